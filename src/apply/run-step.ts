import { clockMs } from "../log.js";
import { runCommand } from "../observe/run-command.js";
import { tmuxClientEnv } from "../observe/tmux-socket.js";
import type { CheckedStep } from "./check-step.js";

// Runs one checked step: argv (never shell text), bounded by a timeout, as the agent's
// tenant when root acts for one. The one place a step becomes a process, so the system
// layer can take it over (a spawn as uid/gid instead of runuser) without touching apply.

export interface StepResult {
  ok: boolean;
  ms: number;
  message: string;
  exitCode: number | null;
  timedOut: boolean;
}

/** Environment for a step run as `tenant`: its own runtime directory and tmux defaults, not ours. */
function tenantEnv(env: NodeJS.ProcessEnv, uid: number): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = { ...env, XDG_RUNTIME_DIR: `/run/user/${uid}` };
  delete clean["TMUX_TMPDIR"];
  delete clean["DBUS_SESSION_BUS_ADDRESS"];
  return clean;
}

/** Run the step's command and wait for it, at most `timeoutMs`. */
export async function runStep(checked: CheckedStep, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<StepResult> {
  const { command } = checked.action;
  const as = checked.runAs;
  const argv = as === null ? command : ["runuser", "-u", as.name, "--", ...command];
  const stepEnv = tmuxClientEnv(as === null ? env : tenantEnv(env, as.uid));
  const started = clockMs();
  const result = await runCommand(argv, { env: stepEnv, timeoutMs });
  return {
    ok: result.ok,
    ms: Math.round(clockMs() - started),
    message: result.ok ? "ok" : result.message,
    exitCode: result.exitCode,
    timedOut: result.timedOut,
  };
}
