import { shortCommand } from "../runtime-match.js";
import type { Condition } from "../types.js";
import { hiddenCondition, notScheduled, type CheckContext } from "./check.js";

/** Drift: the pane's process tree does not run the roster's runtime. */
export function drift(ctx: CheckContext): Condition {
  const hidden = hiddenCondition("Drift", ctx);
  if (hidden) return hidden;
  const { tmux } = ctx.facts;
  if (!tmux.ok) return { type: "Drift", status: "Unknown", reason: tmux.reason, message: tmux.message };
  if (notScheduled(ctx)) {
    return { type: "Drift", status: "False", reason: "NotScheduled", message: "ephemeral agent is not running" };
  }
  if (!ctx.facts.treeKnown) {
    return {
      type: "Drift",
      status: "Unknown",
      reason: "ProcUnavailable",
      message: "/proc could not be read; the pane's process tree is unknown",
    };
  }
  const found = ctx.assessment.runtime;
  if (ctx.assessment.pane !== "alive" || found === null) {
    return {
      type: "Drift",
      status: "Unknown",
      reason: "NoProcess",
      message: "no running process in the pane to compare",
    };
  }
  const desired = ctx.agent.runtime;
  if (found.runtime === desired.name) {
    return {
      type: "Drift",
      status: "False",
      reason: "RuntimeMatches",
      message: `pane runs ${desired.name} (${shortCommand(found.process)})`,
    };
  }
  const actual = found.runtime ?? "an unknown program";
  return {
    type: "Drift",
    status: "True",
    reason: "RuntimeMismatch",
    message: `roster runtime ${desired.name}, pane runs ${actual} (${shortCommand(found.process)})`,
  };
}
