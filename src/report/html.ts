import type { AgentStatus, Condition, FixStep } from "../diff/index.js";
import { formatSeconds } from "../spec/index.js";
import { renderHealthChart } from "./health-chart.js";
import { conditionMarks, unobserved, unobservedGroupText, unobservedHeadline } from "./condition-set.js";
import { verdictSentence, type ReportInput } from "./input.js";
import { safeText } from "./style.js";
import { shellLine } from "./shell-line.js";

// `fleet report --format html`: one self-contained file to open from a mail or a CI
// artifact. Inline CSS only, no script, no external asset; the CSP forbids loading any,
// so even a bug in escaping could not pull anything in.

/** HTML text and attribute values: terminal-safe, then entity-escaped. */
export function htmlText(text: string): string {
  return safeText(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1a1a1a; --bg: #fff; --head-bg: #f5f5f5; --code-bg: #f3f3f3;
  --true: #c62828; --true-bg: #fdecea; --unknown: #a65f00; --unknown-bg: #fff4e0;
  --ok: #2e7d32; --ok-bg: #e8f5e9; --muted: #666; --line: #ddd; --badge-fg: #fff; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e6e6; --bg: #15171a; --head-bg: #23262b; --code-bg: #2a2d33;
    --true: #ff8a80; --true-bg: #3b1d1d; --unknown: #ffb74d; --unknown-bg: #33280f;
    --ok: #81c784; --ok-bg: #1c3320; --muted: #a0a0a0; --line: #3a3d42; --badge-fg: #111; }
}
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 80rem; padding: 0 1rem; color: var(--fg); background: var(--bg); }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
.verdict { border-left: 6px solid; padding: .75rem 1rem; border-radius: 4px; }
.verdict-COMPLIANT { border-color: var(--ok); background: var(--ok-bg); }
.verdict-NONCOMPLIANT { border-color: var(--true); background: var(--true-bg); }
.verdict-UNKNOWN { border-color: var(--unknown); background: var(--unknown-bg); }
.badge { display: inline-block; font-weight: 700; padding: 0 .4rem; border-radius: 3px; color: var(--badge-fg); }
.badge-COMPLIANT { background: var(--ok); } .badge-NONCOMPLIANT { background: var(--true); } .badge-UNKNOWN { background: var(--unknown); }
.meta { color: var(--muted); margin: .25rem 0 0; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--head-bg); font-weight: 600; }
tbody td:nth-child(-n+3) { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.group th { background: none; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); padding-top: .9rem; }
tr.group-noncompliant th { color: var(--true); } tr.group-unknown th { color: var(--unknown); }
tr.agent-noncompliant td:first-child { border-left: 4px solid var(--true); }
tr.agent-unknown td:first-child { border-left: 4px solid var(--unknown); }
tr.agent-compliant td:first-child { border-left: 4px solid var(--ok); }
tr.agent-compliant td { color: var(--muted); }
.cond { display: inline-block; margin: 0 .2rem .2rem 0; padding: 0 .35rem; border-radius: 3px; font-size: 12px; white-space: nowrap; }
.cond-True { background: var(--true-bg); color: var(--true); font-weight: 700; }
.cond-Unknown { background: var(--unknown-bg); color: var(--unknown); border: 1px dashed var(--unknown); }
.cond-False { background: var(--ok-bg); color: var(--ok); }
tr.status-True td { background: var(--true-bg); } tr.status-Unknown td { background: var(--unknown-bg); }
code { font: 12.5px ui-monospace, "SFMono-Regular", Menlo, monospace; background: var(--code-bg); padding: .1rem .3rem; border-radius: 3px; overflow-wrap: anywhere; }
.disruptive { color: var(--true); font-weight: 700; }
.why { color: var(--muted); }
.unobserved { border-left: 6px solid var(--unknown); background: var(--unknown-bg); padding: .5rem 1rem; border-radius: 4px; }
.unobserved ul { margin: .25rem 0 0; padding-left: 1.25rem; }
/* A narrow screen scrolls the chart, starting at its right end: the latest runs. */
.chart { overflow-x: auto; direction: rtl; } .chart svg { direction: ltr; }
.health-chart { max-width: 100%; min-width: 540px; height: auto; color: var(--fg); }
/* A phone: each table row becomes a block of labelled lines; only the chart scrolls sideways. */
@media (max-width: 720px) {
  body { margin: 1rem auto; }
  table.stack thead { display: none; }
  table.stack, table.stack tbody, table.stack tr, table.stack td, table.stack th { display: block; width: auto; }
  table.stack tr { border-bottom: 1px solid var(--line); padding: .35rem 0; }
  table.stack td { border: 0; padding: .1rem .5rem; white-space: normal !important; text-align: left; }
  table.stack td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-size: 12px; }
  table.stack td:first-child { font-weight: 600; }
  table.stack tr.agent-noncompliant { border-left: 4px solid var(--true); }
  table.stack tr.agent-unknown { border-left: 4px solid var(--unknown); }
  table.stack tr.agent-compliant { border-left: 4px solid var(--ok); }
  table.stack tr[class^="agent-"] td:first-child { border-left: 0; }
  table.stack tr.group th { padding: .9rem .5rem .2rem; }
}
.health-chart .axis { stroke: var(--muted); } .health-chart .grid { stroke: var(--line); }
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

/** One chip: a True condition by name, an Unknown one as `?Name` (condition-set.ts), a False one in green. */
function conditionChip(c: Condition, label: string): string {
  return `<span class="cond cond-${c.status}" title="${htmlText(`${c.status}: ${c.reason}: ${c.message}`)}">${htmlText(label)}</span>`;
}

/** The abnormal conditions first (as every human format orders them), then the False ones. */
function conditionChips(agent: AgentStatus): string {
  const marks = conditionMarks(agent.conditions);
  const fine = agent.conditions.filter((c) => c.status === "False");
  return [...marks.map((m) => conditionChip(m.condition, m.label)), ...fine.map((c) => conditionChip(c, c.type))].join(
    "",
  );
}

/** Table cells; a labelled one shows its label when a narrow screen stacks the row (STYLE). */
function cells(values: readonly string[], tag: "td" | "th" = "td", labels: readonly (string | null)[] = []): string {
  return values
    .map((v, i) => {
      const label = labels[i];
      return `<${tag}${label ? ` data-label="${htmlText(label)}"` : ""}>${v}</${tag}>`;
    })
    .join("");
}

/** Headers as stacked-row labels: the first cell (the agent) needs none. */
function labelsOf(headers: readonly string[], unlabelled = 1): (string | null)[] {
  return headers.map((h, i) => (i < unlabelled ? null : h));
}

function agentRow(agent: AgentStatus): string {
  const { runtime, unit, pane } = agent;
  return `<tr class="${agentClass(agent)}">${cells(
    [
      htmlText(agent.name),
      htmlText(agent.tenant_id),
      htmlText(agent.host),
      `${htmlText(runtime.desired)} / ${runtime.actual === null ? "-" : htmlText(runtime.actual)}`,
      `${htmlText(unit.active)}/${htmlText(unit.enabled)}`,
      pane.pid === null ? htmlText(pane.state) : `${htmlText(pane.state)}, pid ${pane.pid}`,
      htmlText(heartbeatText(agent)),
      conditionChips(agent),
    ],
    "td",
    labelsOf(AGENT_HEADERS),
  )}</tr>`;
}

const AGENT_GROUPS = [
  ["agent-noncompliant", "Problems"],
  ["agent-unknown", "Not fully observed"],
  ["agent-compliant", "In compliance"],
] as const;

const AGENT_HEADERS = [
  "agent",
  "tenant",
  "host",
  "runtime (desired / actual)",
  "unit (active/enabled)",
  "pane",
  "heartbeat",
  "conditions",
];

/** The agents grouped: problems, then not fully observed, then in compliance, each under a heading row. */
function agentRows(agents: readonly AgentStatus[]): string[] {
  const rows: string[] = [];
  for (const [cls, heading] of AGENT_GROUPS) {
    const members = agents.filter((a) => agentClass(a) === cls);
    if (members.length === 0) continue;
    const group = cls.replace("agent-", "group-");
    rows.push(
      `<tr class="group ${group}"><th colspan="${AGENT_HEADERS.length}">${heading} (${members.length})</th></tr>`,
    );
    rows.push(...members.map(agentRow));
  }
  return rows;
}

const CONDITION_HEADERS = ["agent", "condition", "status", "reason", "message"];

/** A condition table row: one agent, one or more condition types that share status, reason and message. */
interface ConditionRow {
  agent: AgentStatus;
  types: string[];
  c: Condition;
}

/** Rows of one agent's conditions with the same reason and message merged (five RemoteHost rows read as one). */
function mergedRows(rows: readonly { agent: AgentStatus; c: Condition }[]): ConditionRow[] {
  const merged: ConditionRow[] = [];
  for (const { agent, c } of rows) {
    const last = merged.at(-1);
    if (last && last.agent === agent && last.c.reason === c.reason && last.c.message === c.message)
      last.types.push(c.type);
    else merged.push({ agent, types: [c.type], c });
  }
  return merged;
}

function conditionRows(rows: readonly ConditionRow[]): string[] {
  return [
    '<table class="stack">',
    `<thead><tr>${cells(CONDITION_HEADERS, "th")}</tr></thead>`,
    "<tbody>",
    ...rows.map(
      ({ agent, types, c }) =>
        `<tr class="status-${c.status}">${cells([htmlText(agent.name), htmlText(types.join(", ")), `<span class="cond cond-${c.status}">${c.status}</span>`, htmlText(c.reason), htmlText(c.message)], "td", labelsOf(CONDITION_HEADERS, 2))}</tr>`,
    ),
    "</tbody>",
    "</table>",
  ];
}

function agentsSection(input: ReportInput): string[] {
  const { agents } = input.status;
  if (agents.length === 0) return ["<h2>Agents</h2>", "<p>The roster lists no agents: nothing was checked.</p>"];
  const lines = [
    "<h2>Agents</h2>",
    '<table class="stack">',
    `<thead><tr>${cells(AGENT_HEADERS, "th")}</tr></thead>`,
    "<tbody>",
    ...agentRows(agents),
    "</tbody>",
    "</table>",
    ...unobservedNote(agents),
  ];
  const withStatus = (status: "True" | "Unknown") =>
    agents.flatMap((agent) => agent.conditions.filter((c) => c.status === status).map((c) => ({ agent, c })));
  const problems = withStatus("True");
  const unknown = withStatus("Unknown");
  lines.push("<h2>Conditions that are True</h2>");
  const single = problems.map(({ agent, c }) => ({ agent, types: [c.type], c }));
  lines.push(...(problems.length === 0 ? ["<p>None: no condition of any agent is True.</p>"] : conditionRows(single)));
  if (unknown.length > 0)
    lines.push("<h2>Conditions that are Unknown (not checked)</h2>", ...conditionRows(mergedRows(unknown)));
  return lines;
}

/** The agents not fully observed, grouped by why. */
function unobservedNote(agents: readonly AgentStatus[]): string[] {
  const u = unobserved(agents);
  if (u.count === 0) return [];
  return [
    '<div class="unobserved">',
    `<strong>${htmlText(unobservedHeadline(u))}</strong>`,
    "<ul>",
    ...u.groups.map((g) => `<li>${htmlText(unobservedGroupText(g))}</li>`),
    "</ul>",
    "</div>",
  ];
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

const SUMMARY_HEADERS = ["agents", "compliant", "non-compliant", "unknown", "unmanaged"];

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
    '<table class="stack">',
    `<thead><tr><th>verdict</th>${SUMMARY_HEADERS.map((h) => `<th class="num">${h}</th>`).join("")}</tr></thead>`,
    `<tbody><tr><td><span class="badge badge-${verdict}">${verdict}</span></td>${counts.map((n, i) => `<td class="num" data-label="${SUMMARY_HEADERS[i]}">${n}</td>`).join("")}</tr></tbody>`,
    "</table>",
  ];
  if (input.history !== undefined)
    body.push("<h2>Fleet health over time</h2>", `<div class="chart">${renderHealthChart(input.history)}</div>`);
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
