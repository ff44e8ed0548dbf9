import { spawn } from "node:child_process";
import { StringDecoder } from "node:string_decoder";

// Programs whose output is wanted as it comes, or that own the terminal for a while: an
// `ssh` carrying `agent logs -f` from another host, or an `ssh -t` carrying `agent
// watch/attach` (docs/commands.md, Many hosts). Like run.ts, never a shell.

/** How a streamed or terminal program ended. */
export interface StreamEnd {
  /** null: ended by a signal, or never started. */
  exitCode: number | null;
  /** What it wrote on stderr (capped), for the caller to classify and escape. */
  stderr: string;
  /** The program could not be started at all (ENOENT, EACCES). */
  notFound: boolean;
  /** We ended it: `kill()`, or the deadline passed. */
  killed: boolean;
  timedOut: boolean;
  message: string;
}

export interface StreamedProgram {
  /** Close its stdin: a remote `agent logs -f` reads that as "stop". */
  closeInput(): void;
  /** End its process group (SIGTERM). */
  kill(): void;
  ended: Promise<StreamEnd>;
}

const MAX_STDERR = 64 * 1024;

/** Collect stderr up to the cap. */
function collector() {
  const chunks: Buffer[] = [];
  let bytes = 0;
  return {
    add(chunk: Buffer) {
      if (bytes >= MAX_STDERR) return;
      chunks.push(chunk);
      bytes += chunk.length;
    },
    text: () => Buffer.concat(chunks).toString("utf8").slice(0, MAX_STDERR),
  };
}

function message(file: string, exitCode: number | null, error: NodeJS.ErrnoException | null, stderr: string) {
  if (error) return `${file} could not be started (${error.code ?? error.message})`;
  return stderr.trim().split("\n")[0] || `${file} exited ${exitCode ?? "on a signal"}`;
}

/**
 * Start argv with stdin a pipe we hold, stdout handed to `onStdout` as text (UTF-8 kept
 * whole across chunks), stderr collected. Its own process group, off the terminal, so
 * Ctrl-C reaches only us and we decide how it ends (closeInput, then kill).
 */
export function streamCommand(
  argv: readonly string[],
  options: { env: NodeJS.ProcessEnv; onStdout: (text: string) => void; timeoutMs?: number },
): StreamedProgram {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error("streamCommand needs a program");
  const child = spawn(file, args, { env: options.env, stdio: ["pipe", "pipe", "pipe"], detached: true });
  const err = collector();
  const decoder = new StringDecoder("utf8");
  let killed = false;
  let timedOut = false;
  let failure: NodeJS.ErrnoException | null = null;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
        process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  child.stdin.on("error", () => undefined); // it may exit without reading
  child.stdout.on("data", (chunk: Buffer) => {
    const text = decoder.write(chunk);
    if (text !== "") options.onStdout(text);
  });
  child.stderr.on("data", (chunk: Buffer) => err.add(chunk));
  child.on("error", (error: NodeJS.ErrnoException) => {
    failure = error;
  });
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          killed = true;
          signalGroup("SIGKILL");
        }, options.timeoutMs);
  const ended = new Promise<StreamEnd>((resolve) => {
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      const rest = decoder.end();
      if (rest !== "") options.onStdout(rest);
      const stderr = err.text();
      const error: NodeJS.ErrnoException | null = failure;
      resolve({
        exitCode: code,
        stderr,
        notFound: error?.code === "ENOENT" || error?.code === "EACCES",
        killed,
        timedOut,
        message: timedOut
          ? `${file} did not answer within ${options.timeoutMs} ms`
          : message(file, code, error, stderr),
      });
    });
  });
  return {
    closeInput: () => child.stdin.end(),
    kill: () => {
      killed = true;
      signalGroup("SIGTERM");
    },
    ended,
  };
}

/**
 * Hand the terminal to argv (stdin and stdout inherited; stderr collected, since there
 * only the program's own complaints arrive) until it exits. It stays in our process
 * group, in the foreground: a terminal program (ssh -t) takes the keys itself. SIGTERM
 * and SIGHUP to us are passed on to it; SIGINT is its to handle.
 */
export function runOnTerminal(argv: readonly string[], options: { env: NodeJS.ProcessEnv }): Promise<StreamEnd> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error("runOnTerminal needs a program");
  const child = spawn(file, args, { env: options.env, stdio: ["inherit", "inherit", "pipe"] });
  const err = collector();
  let failure: NodeJS.ErrnoException | null = null;
  let killed = false;
  const pass = (signal: NodeJS.Signals) => () => {
    killed = true;
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  };
  const onTerm = pass("SIGTERM");
  const onHup = pass("SIGHUP");
  const onInt = () => undefined;
  process.on("SIGTERM", onTerm);
  process.on("SIGHUP", onHup);
  process.on("SIGINT", onInt);
  child.stderr.on("data", (chunk: Buffer) => err.add(chunk));
  child.on("error", (error: NodeJS.ErrnoException) => {
    failure = error;
  });
  return new Promise((resolve) => {
    child.on("close", (code) => {
      process.off("SIGTERM", onTerm);
      process.off("SIGHUP", onHup);
      process.off("SIGINT", onInt);
      const stderr = err.text();
      const error: NodeJS.ErrnoException | null = failure;
      resolve({
        exitCode: code,
        stderr,
        notFound: error?.code === "ENOENT" || error?.code === "EACCES",
        killed,
        timedOut: false,
        message: message(file, code, error, stderr),
      });
    });
  });
}
