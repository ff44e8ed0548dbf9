import { clockMs } from "../log.js";
import { type Owner, runCommand, tmuxClientEnv } from "../system/index.js";
import type { CheckedStep } from "./check-step.js";

// Runs one checked step: argv (never shell text), bounded by a timeout, and — when root
// acts for a tenant — as that tenant (the system layer switches uid, gid and groups and
// gives it a clean environment: docs/threat-model.md). The one place a step becomes a
// process.

export interface StepResult {
  ok: boolean;
  ms: number;
  message: string;
  exitCode: number | null;
  timedOut: boolean;
}

/** Run the step's command and wait for it, at most `timeoutMs`; `owner` is the tenant's account when run as one. */
export async function runStep(
  checked: CheckedStep,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  owner: Owner | null,
): Promise<StepResult> {
  const { command } = checked.action;
  // A tenant's instances: its own runtime directory (user manager) and default tmux socket directory.
  const stepEnv =
    owner === null ? tmuxClientEnv(env) : { XDG_RUNTIME_DIR: `/run/user/${owner.uid}`, TMUX_TMPDIR: undefined };
  const started = clockMs();
  const result = await runCommand(command, { env: stepEnv, timeoutMs, as: owner });
  return {
    ok: result.ok,
    ms: Math.round(clockMs() - started),
    message: result.ok ? "ok" : result.message,
    exitCode: result.exitCode,
    timedOut: result.timedOut,
  };
}
