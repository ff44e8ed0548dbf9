import type { AgentStatus, Condition, FixStep } from "../diff/types.js";
import { formatSeconds } from "../spec/duration.js";
import { renderHealthChart } from "./health-chart.js";
import { verdictSentence, type ReportInput } from "./history.js";
import { safeText, shellLine } from "./style.js";

// `fleet report --format html`: one self-contained file to open from a mail or a CI
// artifact. Inline CSS only, no script, no external asset; the CSP forbids loading any,
// so even a bug in escaping could not pull anything in.

/** HTML text and attribute values: terminal-safe, then entity-escaped. */
export function htmlText(text: string): string {
  return safeText(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
:root { color-scheme: light; --true: #c62828; --true-bg: #fdecea; --unknown: #a65f00; --unknown-bg: #fff4e0;
  --ok: #2e7d32; --ok-bg: #e8f5e9; --muted: #666; --line: #ddd; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 80rem; padding: 0 1rem; color: #1a1a1a; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
.verdict { border-left: 6px solid; padding: .75rem 1rem; border-radius: 4px; }
.verdict-COMPLIANT { border-color: var(--ok); background: var(--ok-bg); }
.verdict-NONCOMPLIANT { border-color: var(--true); background: var(--true-bg); }
.verdict-UNKNOWN { border-color: var(--unknown); background: var(--unknown-bg); }
.badge { display: inline-block; font-weight: 700; padding: 0 .4rem; border-radius: 3px; color: #fff; }
.badge-COMPLIANT { background: var(--ok); } .badge-NONCOMPLIANT { background: var(--true); } .badge-UNKNOWN { background: var(--unknown); }
.meta { color: var(--muted); margin: .25rem 0 0; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f5f5f5; font-weight: 600; }
tbody td:nth-child(-n+3) { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.agent-noncompliant td:first-child { border-left: 4px solid var(--true); }
tr.agent-unknown td:first-child { border-left: 4px solid var(--unknown); }
tr.agent-compliant td:first-child { border-left: 4px solid var(--ok); }
.cond { display: inline-block; margin: 0 .2rem .2rem 0; padding: 0 .35rem; border-radius: 3px; font-size: 12px; }
.cond-True { background: var(--true-bg); color: var(--true); font-weight: 700; }
.cond-Unknown { background: var(--unknown-bg); color: var(--unknown); }
.cond-False { background: var(--ok-bg); color: var(--ok); }
tr.status-True td { background: var(--true-bg); } tr.status-Unknown td { background: var(--unknown-bg); }
code { font: 12.5px ui-monospace, "SFMono-Regular", Menlo, monospace; background: #f3f3f3; padding: .1rem .3rem; border-radius: 3px; overflow-wrap: anywhere; }
.disruptive { color: var(--true); font-weight: 700; }
.why { color: var(--muted); }
.health-chart { max-width: 100%; height: auto; }
`;

function heartbeatText(agent: AgentStatus): string {
  const hb = agent.heartbeat;
  if (!hb.expected) return "not expected";
  if (hb.age_s === null) return hb.state;
  return `${hb.state} ${hb.age_s < 0 ? `-${formatSeconds(-hb.age_s)}` : formatSeconds(hb.age_s)}`;
}

function agentClass(agent: AgentStatus): string {
  if (agent.conditions.some((c) => c.status === "True")) return "agent-noncompliant";
  return agent.conditions.some((c) => c.status === "Unknown") ? "agent-unknown" : "agent-compliant";
}

function conditionChip(c: Condition): string {
  return `<span class="cond cond-${c.status}" title="${htmlText(`${c.status}: ${c.reason}: ${c.message}`)}">${htmlText(c.type)}${c.status === "False" ? "" : ` ${c.status}`}</span>`;
}

function cells(values: readonly string[], tag: "td" | "th" = "td"): string {
  return values.map((v) => `<${tag}>${v}</${tag}>`).join("");
}

function agentRow(agent: AgentStatus): string {
  const { runtime, unit, pane } = agent;
  return `<tr class="${agentClass(agent)}">${cells([
    htmlText(agent.name),
    htmlText(agent.tenant_id),
    htmlText(agent.host),
    `${htmlText(runtime.desired)} / ${runtime.actual === null ? "-" : htmlText(runtime.actual)}`,
    `${htmlText(unit.active)}/${htmlText(unit.enabled)}`,
    pane.pid === null ? htmlText(pane.state) : `${htmlText(pane.state)}, pid ${pane.pid}`,
    htmlText(heartbeatText(agent)),
    agent.conditions.map(conditionChip).join(""),
  ])}</tr>`;
}

function agentsSection(input: ReportInput): string[] {
  const { agents } = input.status;
  if (agents.length === 0) return ["<h2>Agents</h2>", "<p>The roster lists no agents: nothing was checked.</p>"];
  const lines = [
    "<h2>Agents</h2>",
    "<table>",
    `<thead><tr>${cells(["agent", "tenant", "host", "runtime (desired / actual)", "unit (active/enabled)", "pane", "heartbeat", "conditions"], "th")}</tr></thead>`,
    "<tbody>",
    ...agents.map(agentRow),
    "</tbody>",
    "</table>",
    "<h2>Conditions that are True or Unknown</h2>",
  ];
  const problems = agents.flatMap((agent) =>
    agent.conditions.filter((c) => c.status !== "False").map((c) => ({ agent, c })),
  );
  if (problems.length === 0) return [...lines, "<p>None: every condition of every agent is False.</p>"];
  lines.push(
    "<table>",
    `<thead><tr>${cells(["agent", "condition", "status", "reason", "message"], "th")}</tr></thead>`,
    "<tbody>",
  );
  for (const { agent, c } of problems) {
    lines.push(
      `<tr class="status-${c.status}">${cells([htmlText(agent.name), htmlText(c.type), `<span class="cond cond-${c.status}">${c.status}</span>`, htmlText(c.reason), htmlText(c.message)])}</tr>`,
    );
  }
  return [...lines, "</tbody>", "</table>"];
}

function fixPlanSection(steps: readonly FixStep[] | undefined): string[] {
  if (steps === undefined) return [];
  if (steps.length === 0) return ["<h2>Fix plan</h2>", "<p>Nothing to do: no condition has a remedy to run.</p>"];
  const disruptive = steps.filter((s) => s.disruptive).length;
  return [
    "<h2>Fix plan</h2>",
    "<ol>",
    ...steps.map((step) => {
      const mark = step.disruptive ? ` <span class="disruptive">disruptive: restarts the agent</span>` : "";
      return `<li><code>${htmlText(shellLine(step.argv))}</code>${mark}<div class="why">${htmlText(`${step.agent} ${step.condition}: ${step.why}`)}</div></li>`;
    }),
    "</ol>",
    `<p>${steps.length - disruptive} safe, ${disruptive} disruptive. Nothing was changed; run the steps yourself.</p>`,
  ];
}

/** The whole report as one HTML document. */
export function render(input: ReportInput): string {
  const { status, summary } = input;
  const verdict = summary.verdict;
  const title = `Fleet ${status.fleet} on ${status.host}: ${verdict}`;
  const counts = [summary.agents, summary.compliant, summary.nonCompliant, summary.unknown, summary.unmanaged];
  const body = [
    `<header class="verdict verdict-${verdict}">`,
    `<h1>Fleet ${htmlText(status.fleet)} on ${htmlText(status.host)} <span class="badge badge-${verdict}">${verdict}</span></h1>`,
    `<p><strong>${htmlText(verdictSentence(summary))}</strong></p>`,
    `<p class="meta">Observed at <time>${htmlText(status.observedAt)}</time> from roster <code>${htmlText(status.roster)}</code></p>`,
    "</header>",
    "<h2>Summary</h2>",
    "<table>",
    `<thead><tr><th>verdict</th>${["agents", "compliant", "non-compliant", "unknown", "unmanaged"].map((h) => `<th class="num">${h}</th>`).join("")}</tr></thead>`,
    `<tbody><tr><td><span class="badge badge-${verdict}">${verdict}</span></td>${counts.map((n) => `<td class="num">${n}</td>`).join("")}</tr></tbody>`,
    "</table>",
  ];
  if (input.history !== undefined) body.push("<h2>Fleet health over time</h2>", renderHealthChart(input.history));
  body.push(...agentsSection(input));
  if (status.unmanaged.length > 0) {
    body.push(
      "<h2>Unmanaged sessions</h2>",
      "<p>Sessions on the fleet's sockets that the roster does not list:</p>",
      "<ul>",
    );
    for (const s of status.unmanaged) {
      body.push(
        `<li><code>${htmlText(s.session)}</code> on socket ${htmlText(s.socket)} (${htmlText(`${s.tenant_id}@${s.host}`)})</li>`,
      );
    }
    body.push("</ul>");
  }
  if (status.sources.length > 0) {
    body.push("<h2>Warnings</h2>", "<ul>");
    for (const source of status.sources)
      body.push(`<li>${htmlText(source.source)}: ${htmlText(source.message)} (${htmlText(source.reason)})</li>`);
    body.push("</ul>");
  }
  body.push(...fixPlanSection(status.fixPlan));
  return [
    "<!DOCTYPE html>",
    `<html lang="en">`,
    "<head>",
    `<meta charset="utf-8">`,
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${htmlText(title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    ...body,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
