import type { AgentStatus, FixStep } from "../diff/index.js";
import { formatSeconds } from "../spec/index.js";
import { conditionMarks, unobserved, unobservedGroupText, unobservedHeadline } from "./condition-set.js";
import { verdictSentence, type ReportInput } from "./input.js";
import { safeText } from "./style.js";
import { shellLine } from "./shell-line.js";

// `fleet report --format markdown`: for a PR comment, a wiki page or a ticket. Every
// observed string is untrusted (pane commands, session names, heartbeat words), so it
// is made terminal-safe first and then Markdown-inert.

/** Inline Markdown text: control characters shown escaped, Markdown syntax backslashed. */
export function markdownText(text: string): string {
  return safeText(text).replace(/[\\`*_{}[\]<>|~&#!]/g, (c) => `\\${c}`);
}

/** A code span that no backtick inside the text can close early (CommonMark §6.1). */
export function markdownCode(text: string): string {
  const safe = safeText(text);
  const longest = Math.max(0, ...(safe.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = safe.startsWith("`") || safe.endsWith("`") || (safe.startsWith(" ") && safe.endsWith(" ")) ? " " : "";
  return `${fence}${pad}${safe}${pad}${fence}`;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

function heartbeatText(agent: AgentStatus): string {
  const hb = agent.heartbeat;
  if (!hb.expected) return "not expected";
  if (hb.age_s === null) return hb.state;
  return `${hb.state} ${hb.age_s < 0 ? `-${formatSeconds(-hb.age_s)}` : formatSeconds(hb.age_s)}`;
}

/** True conditions in bold, Unknown ones as _?Name_, `-` when every condition is False. */
function conditionsText(agent: AgentStatus): string {
  const marks = conditionMarks(agent.conditions);
  if (marks.length === 0) return "-";
  return marks
    .map((m) => (m.status === "True" ? `**${markdownText(m.label)}**` : `_${markdownText(m.label)}_`))
    .join(", ");
}

function agentRow(agent: AgentStatus): string {
  const { runtime, unit, pane } = agent;
  return row([
    markdownText(agent.name),
    markdownText(agent.tenant_id),
    markdownText(agent.host),
    `${markdownText(runtime.desired)} / ${runtime.actual === null ? "-" : markdownText(runtime.actual)}`,
    `${markdownText(unit.active)}/${markdownText(unit.enabled)}`,
    pane.pid === null ? markdownText(pane.state) : `${markdownText(pane.state)}, pid ${pane.pid}`,
    markdownText(heartbeatText(agent)),
    conditionsText(agent),
  ]);
}

function agentsSection(input: ReportInput): string[] {
  const { agents } = input.status;
  if (agents.length === 0) return ["## Agents", "", "The roster lists no agents: nothing was checked.", ""];
  const lines = [
    "## Agents",
    "",
    row([
      "agent",
      "tenant",
      "host",
      "runtime (desired / actual)",
      "unit (active/enabled)",
      "pane",
      "heartbeat",
      "conditions",
    ]),
    row(["---", "---", "---", "---", "---", "---", "---", "---"]),
    ...agents.map(agentRow),
    "",
    ...unobservedSection(input),
    "### Conditions that are True or Unknown",
    "",
  ];
  // The problems first, the conditions that were not checked after them.
  const problems = (["True", "Unknown"] as const).flatMap((status) =>
    agents.flatMap((agent) => agent.conditions.filter((c) => c.status === status).map((c) => ({ agent, c }))),
  );
  if (problems.length === 0) return [...lines, "None: every condition of every agent is False.", ""];
  lines.push(row(["agent", "condition", "status", "reason", "message"]), row(["---", "---", "---", "---", "---"]));
  for (const { agent, c } of problems) {
    const status = c.status === "True" ? "**True**" : "_Unknown_";
    lines.push(
      row([markdownText(agent.name), markdownText(c.type), status, markdownText(c.reason), markdownText(c.message)]),
    );
  }
  return [...lines, ""];
}

/** The agents not fully observed, grouped by why; nothing when every agent was. */
function unobservedSection(input: ReportInput): string[] {
  const u = unobserved(input.status.agents);
  if (u.count === 0) return [];
  return [
    `**${markdownText(unobservedHeadline(u))}**`,
    "",
    ...u.groups.map((g) => `- ${markdownText(unobservedGroupText(g))}`),
    "",
  ];
}

function fixStep(step: FixStep, index: number): string[] {
  const mark = step.disruptive ? " **disruptive: restarts the agent**" : "";
  return [
    `${index + 1}. ${markdownCode(shellLine(step.argv))}${mark}  `,
    `   ${markdownText(`${step.agent} ${step.condition}: ${step.why}`)}`,
  ];
}

function fixPlanSection(steps: readonly FixStep[] | undefined): string[] {
  if (steps === undefined) return [];
  if (steps.length === 0) return ["## Fix plan", "", "Nothing to do: no condition has a remedy to run.", ""];
  const disruptive = steps.filter((s) => s.disruptive).length;
  return [
    "## Fix plan",
    "",
    ...steps.flatMap(fixStep),
    "",
    `${steps.length - disruptive} safe, ${disruptive} disruptive. Nothing was changed; run the steps yourself.`,
    "",
  ];
}

/** The whole report as CommonMark/GFM. */
export function render(input: ReportInput): string {
  const { status, summary } = input;
  const lines = [
    `# Fleet ${markdownText(status.fleet)} on ${markdownText(status.host)} at ${markdownText(status.observedAt)}: ${summary.verdict}`,
    "",
    `**${markdownText(verdictSentence(summary))}**`,
    "",
    `Roster: ${markdownCode(status.roster)}`,
    "",
    "## Summary",
    "",
    row(["verdict", "agents", "compliant", "non-compliant", "unknown", "unmanaged"]),
    row(["---", "---:", "---:", "---:", "---:", "---:"]),
    row([
      summary.verdict,
      ...[summary.agents, summary.compliant, summary.nonCompliant, summary.unknown, summary.unmanaged].map(String),
    ]),
    "",
    ...agentsSection(input),
  ];
  if (status.unmanaged.length > 0) {
    lines.push("## Unmanaged sessions", "", "Sessions on the fleet's sockets that the roster does not list:", "");
    for (const s of status.unmanaged) {
      lines.push(
        `- ${markdownText(s.session)} on socket ${markdownText(s.socket)} (${markdownText(`${s.tenant_id}@${s.host}`)})`,
      );
    }
    lines.push("");
  }
  if (status.sources.length > 0) {
    lines.push("## Warnings", "");
    for (const source of status.sources)
      lines.push(`- ${markdownText(source.source)}: ${markdownText(source.message)} (${markdownText(source.reason)})`);
    lines.push("");
  }
  lines.push(...fixPlanSection(status.fixPlan));
  return `${lines.join("\n").trimEnd()}\n`;
}
