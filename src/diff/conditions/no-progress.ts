import { formatSeconds } from "../../spec/index.js";
import type { Condition } from "../types.js";
import { freshHeartbeat, hiddenCondition, notScheduled, type CheckContext } from "./check.js";

/**
 * NoProgress: alive, heartbeat fresh, status `working` — yet no pane output and no
 * status change for longer than attention.progress_timeout: the wedged agent whose pane
 * looks busy. The last activity is the later of tmux's window_activity and the
 * heartbeat's `since=` (a v1 line without `since` counts the pane alone).
 */
export function noProgress(ctx: CheckContext): Condition {
  const type = "NoProgress";
  if (!ctx.agent.heartbeat.expected) {
    return { type, status: "False", reason: "HeartbeatNotExpected", message: "roster expects no heartbeat" };
  }
  const hidden = hiddenCondition(type, ctx);
  if (hidden) return hidden;
  const { tmux } = ctx.facts;
  if (!tmux.ok) return { type, status: "Unknown", reason: tmux.reason, message: tmux.message };
  if (notScheduled(ctx))
    return { type, status: "False", reason: "NotScheduled", message: "ephemeral agent is not running" };
  const pane = tmux.pane;
  if (pane === null || pane.dead) {
    return { type, status: "False", reason: "NoProcess", message: "no running pane; PaneDead covers it" };
  }
  const fresh = freshHeartbeat(type, ctx);
  if ("unknown" in fresh) return fresh.unknown;
  const { record } = fresh;
  if (record.status !== "working") {
    return { type, status: "False", reason: "NotWorking", message: `status ${record.status}` };
  }
  const lastS = Math.max(pane.activity, Math.min(record.since ?? 0, record.ts));
  const quietS = Math.max(0, ctx.nowMs / 1000 - lastS);
  const at = new Date(lastS * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const limit = ctx.agent.attention.progressTimeoutS;
  if (quietS > limit) {
    return {
      type,
      status: "True",
      reason: "NoActivity",
      message: `working, but no pane output or status change since ${at} (${formatSeconds(quietS)}, more than attention.progress_timeout ${formatSeconds(limit)})`,
    };
  }
  return {
    type,
    status: "False",
    reason: "Progressing",
    message: `working; last activity ${formatSeconds(quietS)} ago (${at})`,
  };
}
