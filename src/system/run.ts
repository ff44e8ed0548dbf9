import type { spawn as Spawn } from "node:child_process";
import { CommandTimeout } from "./command-timeout.js";
import { needsSwitch, ownerEnv, switchArgv, type Owner } from "./owner.js";

// node:child_process (with net's and dgram's modules, ~3 ms) loads on the first spawn,
// not with this file: every folder reaches the runner through system/index.ts, and a
// command that starts no program (--help, fleet validate) must not pay for it
// (test/cli/startup-modules.test.ts). process.getBuiltinModule: Node >= 20.16.
let spawnFn: typeof Spawn | undefined;
const spawn: typeof Spawn = ((...args: Parameters<typeof Spawn>) =>
  (spawnFn ??= process.getBuiltinModule("node:child_process").spawn)(...args)) as typeof Spawn;

export { CommandTimeout } from "./command-timeout.js";

// Every subprocess mosaic starts goes through here: one place bounds it with a timeout,
// turns a non-zero exit into data, counts spawns (the benchmark checks the count stays
// flat with fleet size), and runs a program aimed at another user's instance as that
// user (`as`: see owner.ts).
//
// Why node:child_process and not execa here: this runner is on `fleet ps`'s hot path,
// and loading execa costs ~12 ms of a ~120 ms budget (bench/, BENCHMARKS.md), while
// all this needs is argv in, bytes out, an exit code and a timeout. execa stays where
// its features earn their cost (interactive attach, the control-mode client).
export interface CommandResult {
  ok: boolean;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The program could not be started at all (ENOENT, EACCES). */
  notFound: boolean;
  message: string;
  /** More than `maxStdoutBytes` came: the program was killed and stdout cut there. */
  overflowed: boolean;
  /** The program asked for (argv[0]) and the bound it had. */
  program: string;
  timeoutMs: number;
}

export interface RunOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /**
   * Run as this account (uid, gid, supplementary groups) with a clean environment: its
   * own, plus `env`'s XDG_RUNTIME_DIR and TMUX_TMPDIR only. Ignored when we already are it.
   */
  as?: Owner | null;
  /** Extra descriptors the child inherits as fd 3, 4, … (a lock's file, for flock). */
  fds?: number[];
  cwd?: string;
  /** Stop reading (and kill the program) past this many bytes of stdout: an untrusted peer's answer. */
  maxStdoutBytes?: number;
}

/** The result, unless the program timed out: then a CommandTimeout naming `what`. */
export function answered(result: CommandResult, what: string): CommandResult {
  if (result.timedOut) throw new CommandTimeout(result.program, result.timeoutMs, what);
  return result;
}

let spawnCount = 0;

/** How many subprocesses this process has started through runCommand. */
export function spawnedCommands(): number {
  return spawnCount;
}

/** Run argv without a shell; never throws for exit codes, timeouts or a missing binary. */
export function runCommand(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const switched = needsSwitch(options.as);
  const [file, ...args] = switched && options.as ? [...switchArgv(options.as), ...argv] : argv;
  const program = argv[0];
  if (file === undefined || program === undefined) throw new Error("runCommand needs a program");
  const env =
    switched && options.as
      ? ownerEnv(options.as, {
          XDG_RUNTIME_DIR: options.env?.["XDG_RUNTIME_DIR"],
          TMUX_TMPDIR: options.env?.["TMUX_TMPDIR"],
        })
      : (options.env ?? process.env);
  spawnCount += 1;
  const timeoutMs = options.timeoutMs ?? 5_000;
  return new Promise((resolve) => {
    // Its own process group, so a timeout can end the whole group: a hung tool's child
    // holding stdout open would otherwise keep us waiting past the timeout.
    const child = spawn(file, args, {
      env,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe", ...(options.fds ?? [])],
      detached: true,
      // Never a directory of root's that the other user cannot enter.
      cwd: options.cwd ?? (switched && options.as ? "/" : undefined),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let overflowed = false;
    let outBytes = 0;
    let spawnError: NodeJS.ErrnoException | null = null;
    child.stdout?.on("data", (chunk: Buffer) => {
      if (overflowed) return;
      outBytes += chunk.length;
      if (options.maxStdoutBytes !== undefined && outBytes > options.maxStdoutBytes) {
        overflowed = true;
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
          // Already gone.
        }
        return;
      }
      out.push(chunk);
    });
    child.stderr?.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", (error: NodeJS.ErrnoException) => {
      spawnError = error;
    });
    if (options.input !== undefined) {
      child.stdin?.on("error", () => undefined); // the program may exit without reading
      child.stdin?.end(options.input);
    }
    let exited = false;
    let settled = false;
    const finish = (code: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString("utf8");
      const stderr = Buffer.concat(err).toString("utf8");
      const failure: NodeJS.ErrnoException | null = spawnError;
      const notFound = failure?.code === "ENOENT" || failure?.code === "EACCES";
      resolve({
        ok: code === 0 && !timedOut && !overflowed && failure === null,
        exitCode: code,
        stdout,
        stderr,
        timedOut,
        overflowed,
        notFound,
        program,
        timeoutMs,
        message: timedOut
          ? `${program} did not answer within ${timeoutMs} ms`
          : overflowed
            ? `${program} wrote more than ${options.maxStdoutBytes} bytes`
            : notFound
              ? `${file} is not installed or not executable`
              : failure
                ? `${file} could not be started (${failure.code ?? failure.message})`
                : stderr.trim().split("\n")[0] || `${program} exited ${code}`,
      });
    };
    // Past the timeout nothing more is awaited: the group is killed, and a descendant
    // that escaped it (setsid) and still holds our pipes is cut off, not waited for.
    const giveUp = () => {
      child.stdout?.destroy();
      child.stderr?.destroy();
      finish(child.exitCode);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
      if (exited) giveUp();
    }, timeoutMs);
    child.on("exit", () => {
      exited = true;
      if (timedOut) giveUp();
    });
    child.on("close", (code) => finish(code));
  });
}
