import { describeExit } from "../exit-status.js";
import type { Condition } from "../types.js";
import { hiddenCondition, notScheduled, type CheckContext } from "./check.js";

/** PaneDead: the agent's session/pane is missing, or its process exited. */
export function paneDead(ctx: CheckContext): Condition {
  const hidden = hiddenCondition("PaneDead", ctx);
  if (hidden) return hidden;
  const { tmux } = ctx.facts;
  if (!tmux.ok) return { type: "PaneDead", status: "Unknown", reason: tmux.reason, message: tmux.message };
  if (notScheduled(ctx)) {
    return { type: "PaneDead", status: "False", reason: "NotScheduled", message: "ephemeral agent is not running" };
  }
  const pane = ctx.assessment.tmuxPane;
  if (ctx.assessment.pane === "missing" || pane === null) {
    return {
      type: "PaneDead",
      status: "True",
      reason: "PaneMissing",
      message: `no tmux session "${ctx.agent.name}" on socket ${ctx.socket}`,
    };
  }
  if (pane.dead) {
    const exit = describeExit(pane.deadStatus, pane.deadSignal);
    const how =
      exit.status === null && exit.signal === null
        ? ""
        : exit.signal !== null && exit.status === null
          ? ` on ${exit.text}`
          : ` with ${exit.text}`;
    const said =
      pane.lastLines && pane.lastLines.length > 0 ? `; last output: ${pane.lastLines.slice(-3).join(" | ")}` : "";
    return {
      type: "PaneDead",
      status: "True",
      reason: "ProcessExited",
      message: `pane ${pane.paneId} process exited${how}${said}`,
    };
  }
  if (ctx.assessment.pane === "dead" && ctx.facts.rootZombie === true) {
    return {
      type: "PaneDead",
      status: "True",
      reason: "ProcessExited",
      message: `pane ${pane.paneId} pid ${pane.pid} exited but is a zombie: the tmux server has not reaped it (is the server stopped or wedged?)`,
    };
  }
  if (ctx.assessment.pane === "dead") {
    return {
      type: "PaneDead",
      status: "True",
      reason: "ProcessExited",
      message: `pane ${pane.paneId} pid ${pane.pid} is not running`,
    };
  }
  return {
    type: "PaneDead",
    status: "False",
    reason: "PaneAlive",
    message: ctx.assessment.treeKnown
      ? `pane ${pane.paneId} pid ${pane.pid} is running`
      : `pane ${pane.paneId} pid ${pane.pid} is running (per tmux; /proc could not be read)`,
  };
}
