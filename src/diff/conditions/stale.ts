import { heartbeatHealth } from "../heartbeat-health.js";
import type { Condition } from "../types.js";
import { hiddenCondition, notScheduled, type CheckContext } from "./check.js";

/** Stale: the heartbeat is older than 3 × interval, or its writer is gone. */
export function stale(ctx: CheckContext): Condition {
  if (!ctx.agent.heartbeat.expected) {
    return { type: "Stale", status: "False", reason: "HeartbeatNotExpected", message: "roster expects no heartbeat" };
  }
  const hidden = hiddenCondition("Stale", ctx);
  if (hidden) return hidden;
  if (notScheduled(ctx)) {
    return { type: "Stale", status: "False", reason: "NotScheduled", message: "ephemeral agent is not running" };
  }
  const health = ctx.assessment.heartbeat ?? heartbeatHealth(ctx.agent, ctx.facts, ctx.nowMs);
  const status = health.state === "healthy" ? "False" : health.state === "stale" ? "True" : "Unknown";
  return { type: "Stale", status, reason: health.reason, message: health.message };
}
