import { formatSeconds } from "../../spec/index.js";
import { safeText } from "../../terminal-text.js";
import type { Condition } from "../types.js";
import { freshHeartbeat, hiddenCondition, notScheduled, type CheckContext } from "./check.js";

/** AwaitingInput: the agent says (heartbeat `status=waiting`) it needs its operator — a question or a permission prompt. */
export function awaitingInput(ctx: CheckContext): Condition {
  const type = "AwaitingInput";
  if (!ctx.agent.heartbeat.expected) {
    return { type, status: "False", reason: "HeartbeatNotExpected", message: "roster expects no heartbeat" };
  }
  const hidden = hiddenCondition(type, ctx);
  if (hidden) return hidden;
  if (notScheduled(ctx))
    return { type, status: "False", reason: "NotScheduled", message: "ephemeral agent is not running" };
  const fresh = freshHeartbeat(type, ctx);
  if ("unknown" in fresh) return fresh.unknown;
  const { record } = fresh;
  if (record.status !== "waiting") {
    return { type, status: "False", reason: "NotWaiting", message: `status ${record.status}` };
  }
  const waitedS = Math.max(0, ctx.nowMs / 1000 - Math.min(record.since ?? record.ts, record.ts));
  const note = record.note ? `: ${safeText(record.note)}` : "";
  const after = ctx.agent.attention.waitingAfterS;
  if (waitedS < after) {
    return {
      type,
      status: "False",
      reason: "WaitingBriefly",
      message: `waiting ${formatSeconds(waitedS)}, less than attention.waiting_after ${formatSeconds(after)}${note}`,
    };
  }
  return {
    type,
    status: "True",
    reason: "WaitingForOperator",
    message: `waiting for the operator for ${formatSeconds(waitedS)}${note}`,
  };
}
