import type { UnitRestarts } from "../../observe/index.js";
import type { Condition } from "../types.js";
import { hiddenCondition, type CheckContext } from "./check.js";

/** Restarts that make a loop, and how recent the last start must be for them to count. */
export const CRASH_LOOP_RESTARTS = 3;
export const CRASH_LOOP_WINDOW_MS = 10 * 60_000;

/** "status 1" / "signal 9" / "core dump, signal 11": how the main process last ended. */
export function lastExitText(restarts: UnitRestarts): string {
  const { kind, status } = restarts.lastExit;
  switch (kind) {
    case "exited":
      return `exited with status ${status ?? "?"}`;
    case "killed":
      return `killed by signal ${status ?? "?"}`;
    case "dumped":
      return `dumped core on signal ${status ?? "?"}`;
    case "none":
      return "has not exited";
    default: {
      const unreachable: never = kind;
      return unreachable;
    }
  }
}

/**
 * CrashLoop: systemd keeps restarting the agent's unit (docs/conditions.md). True when
 * the unit gave up (Result=start-limit-hit), or restarted at least CRASH_LOOP_RESTARTS
 * times and is between attempts, failed, or last started within CRASH_LOOP_WINDOW_MS.
 */
export function crashLoop(ctx: CheckContext): Condition {
  const hidden = hiddenCondition("CrashLoop", ctx);
  if (hidden) return hidden;
  const { systemd } = ctx.facts;
  if (!systemd.ok) return { type: "CrashLoop", status: "Unknown", reason: systemd.reason, message: systemd.message };
  const unit = systemd.unit;
  const restarts = unit.restarts;
  if (restarts === undefined) {
    if (unit.load !== "loaded")
      return { type: "CrashLoop", status: "False", reason: "NotRestarting", message: `${unit.name} is not loaded` };
    return {
      type: "CrashLoop",
      status: "Unknown",
      reason: "RestartsUnknown",
      message: `systemd did not report how often ${unit.name} restarted`,
    };
  }
  const times = `${restarts.count} restart${restarts.count === 1 ? "" : "s"}`;
  const last = `the main process ${lastExitText(restarts)}`;
  if (restarts.result === "start-limit-hit") {
    return {
      type: "CrashLoop",
      status: "True",
      reason: "StartLimitHit",
      message: `${unit.name} hit its start limit after ${times}; systemd gave up (${last})`,
    };
  }
  const between = unit.sub === "auto-restart" || unit.active === "activating" || unit.active === "failed";
  const recent = restarts.mainStartedAtMs !== null && ctx.nowMs - restarts.mainStartedAtMs <= CRASH_LOOP_WINDOW_MS;
  if (restarts.count >= CRASH_LOOP_RESTARTS && (between || recent)) {
    return {
      type: "CrashLoop",
      status: "True",
      reason: "RestartLoop",
      message: `${unit.name} is restarting repeatedly: ${times}, now ${unit.active} (${unit.sub}); ${last}`,
    };
  }
  return {
    type: "CrashLoop",
    status: "False",
    reason: "NotRestarting",
    message: `${unit.name}: ${times}${restarts.count > 0 ? `; ${last}` : ""}`,
  };
}
