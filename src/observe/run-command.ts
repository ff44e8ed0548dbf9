import { execa } from "execa";

// Every observer subprocess goes through here: one place bounds it with a timeout,
// turns a non-zero exit into data, and counts spawns (the benchmark checks the count
// stays flat with fleet size).

export interface CommandResult {
  ok: boolean;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The program could not be started at all (ENOENT, EACCES). */
  notFound: boolean;
  message: string;
}

export interface RunOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  input?: string;
}

let spawnCount = 0;

/** How many subprocesses this process has started through runCommand. */
export function spawnedCommands(): number {
  return spawnCount;
}

/** Run argv without a shell; never throws for exit codes, timeouts or a missing binary. */
export async function runCommand(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error("runCommand needs a program");
  spawnCount += 1;
  const timeoutMs = options.timeoutMs ?? 5_000;
  // Its own process group, so a timeout can end the whole group: a hung tool's child
  // holding stdout open would otherwise keep us waiting past the timeout.
  const subprocess = execa(file, args, {
    reject: false,
    env: options.env,
    extendEnv: options.env === undefined,
    input: options.input,
    stdin: options.input === undefined ? "ignore" : "pipe",
    stripFinalNewline: false,
    detached: true,
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      if (subprocess.pid !== undefined) process.kill(-subprocess.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }, timeoutMs);
  const result = await subprocess;
  clearTimeout(timer);
  const code = (result as { code?: string }).code;
  const notFound = code === "ENOENT" || code === "EACCES";
  return {
    ok: result.exitCode === 0 && !timedOut,
    exitCode: result.exitCode ?? null,
    stdout: String(result.stdout ?? ""),
    stderr: String(result.stderr ?? ""),
    timedOut,
    notFound,
    message: timedOut
      ? `${file} did not answer within ${timeoutMs} ms`
      : notFound
        ? `${file} is not installed or not executable`
        : String(result.stderr ?? "").trim().split("\n")[0] || `${file} exited ${result.exitCode}`,
  };
}
