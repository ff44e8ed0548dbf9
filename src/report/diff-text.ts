import type { AgentDiff, FleetStatus } from "../diff/index.js";
import { conditionMarks, unobserved, unobservedLines } from "./condition-set.js";
import { safeText, UNKNOWN_STYLE, type Paint } from "./style.js";

// `fleet diff` as text: per agent, roster (desired) against host (actual), then the
// abnormal conditions; compliant agents take one line.

function show(value: unknown): string {
  if (value === null || value === undefined) return "none";
  if (typeof value === "string") return safeText(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  // A whole list or object added or removed is one change: show it as JSON, not "[object Object]".
  return safeText(JSON.stringify(value));
}

/** The per-agent difference report. */
export function renderDiff(status: FleetStatus, diffs: readonly AgentDiff[], paint: Paint): string {
  const lines = [
    paint("bold", `--- roster (desired)  ${status.roster}`),
    paint("bold", `+++ host (actual)     ${status.host}, observed ${status.observedAt}`),
    "",
  ];
  let differing = 0;
  status.agents.forEach((agent, index) => {
    const changes = diffs[index]?.changes ?? [];
    const abnormal = conditionMarks(agent.conditions);
    const who = `${safeText(agent.name)} (${agent.tenant_id}@${agent.host})`;
    if (changes.length === 0 && abnormal.length === 0) {
      lines.push(`  ${who}: ${paint("green", "in compliance")}`);
      return;
    }
    differing += 1;
    lines.push(`~ ${who}`);
    for (const change of changes) {
      const extra = change.path === "runtime" && agent.runtime.command ? `  (${safeText(agent.runtime.command)})` : "";
      lines.push(
        `    ${paint("yellow", "~")} ${change.path}: ${show(change.desired)} ${paint("dim", "->")} ${paint("red", show(change.actual))}${extra}`,
      );
    }
    for (const { status: state, condition } of abnormal) {
      // `!` a problem, `?` not checked: an Unknown never reads like a finding or like health.
      const mark = state === "True" ? paint("red", "!") : paint(UNKNOWN_STYLE, "?");
      lines.push(
        `    ${mark} ${condition.type}=${condition.status} ${condition.reason}: ${safeText(condition.message)}`,
      );
    }
  });
  if (status.unmanaged.length > 0) {
    lines.push("", "On the host but not in the roster:");
    for (const session of status.unmanaged) {
      lines.push(
        `  ${paint("yellow", "+")} session ${safeText(session.session)} on socket ${session.socket} (${session.tenant_id}@${session.host})`,
      );
    }
  }
  for (const source of status.sources) {
    const where = source.host === status.host || source.source.startsWith("host:") ? "" : `${source.host}: `;
    lines.push(paint("yellow", `warning: ${safeText(where + source.message)} (${source.reason})`));
  }
  const notObserved = unobservedLines(status.agents);
  if (notObserved.length > 0) lines.push("", ...notObserved.map((line) => paint(UNKNOWN_STYLE, line)));
  lines.push("");
  const total = status.agents.length;
  const unknown = unobserved(status.agents).count;
  lines.push(
    total === 0
      ? "Summary: the roster lists no agents; nothing to compare (not compliant)."
      : `Summary: ${differing} of ${total} agent${total === 1 ? "" : "s"} differ${differing === 1 ? "s" : ""}, ${status.unmanaged.length} unmanaged session${status.unmanaged.length === 1 ? "" : "s"}${unknown === 0 ? "" : `, ${unknown} not fully observed (not compliant)`}.`,
  );
  return `${lines.join("\n")}\n`;
}
