// The test helpers' one way to run a tool (tmux, systemctl): argv without a shell, exactly
// `env`, bounded by a timeout, never throwing for an exit code — the product's result
// shape (CommandResult), so helpers and product code read alike.

import { execa } from "execa";
import type { CommandResult } from "../../src/system/run.js";

export type { CommandResult };

/** Run argv with exactly `env`; a hang is killed after `timeoutMs` and reported, never waited out. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 10_000): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error("run needs a program");
  const result = await execa(file, args, {
    reject: false,
    timeout: timeoutMs,
    env,
    extendEnv: false,
    stdin: "ignore",
    stripFinalNewline: false,
    forceKillAfterDelay: 500,
  });
  const code = (result as { code?: string }).code;
  const notFound = code === "ENOENT" || code === "EACCES";
  const stderr = String(result.stderr ?? "");
  return {
    ok: result.exitCode === 0 && !result.timedOut,
    exitCode: result.exitCode ?? null,
    stdout: String(result.stdout ?? ""),
    stderr,
    timedOut: result.timedOut,
    overflowed: false,
    notFound,
    program: file,
    timeoutMs,
    message: result.timedOut
      ? `${file} did not answer within ${timeoutMs} ms`
      : notFound
        ? `${file} is not installed or not executable`
        : stderr.trim().split("\n")[0] || `${file} exited ${result.exitCode}`,
  };
}
