import type { ConditionStatus } from "../diff/index.js";
import type { ReportInput, Verdict } from "./input.js";
import { safeText } from "./style.js";

// `fleet report --format prometheus`: text exposition format 0.0.4 for node_exporter's
// textfile collector (write it atomically into the collector's directory). No sample
// timestamps: the collector rejects them; the observation time is its own gauge.

type Labels = Record<string, string>;

interface Family {
  name: string;
  help: string;
  samples: { labels: Labels; value: number }[];
}

/** A label value: terminal-safe, then escaped per the exposition format. */
export function labelValue(text: string): string {
  return safeText(text).replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** HELP text escapes only backslash and newline. */
function helpText(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"));
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

const CONDITION_STATUSES: readonly [ConditionStatus, string][] = [
  ["True", "true"],
  ["False", "false"],
  ["Unknown", "unknown"],
];
const PANE_STATES = ["alive", "dead", "missing", "unknown"] as const;
const VERDICTS: readonly Verdict[] = ["COMPLIANT", "NONCOMPLIANT", "UNKNOWN"];

declare const __MOSAIC_VERSION__: string | undefined;
const VERSION = typeof __MOSAIC_VERSION__ === "string" ? __MOSAIC_VERSION__ : "0.0.0-dev";

// Shaped as kube-state-metrics shapes conditions (docs/json.md, "Prometheus"): a state
// set per condition — one series per status, 1 for the current one, so sum() and
// `== 1` work and no -1 breaks them — and the reason in its own info-style series, so
// a reason change does not restart a `for:` on the condition. Every series carries
// tenant_id and host.
function families(input: ReportInput): Family[] {
  const { status, summary } = input;
  const fleetLabels = { fleet: status.fleet, tenant_id: status.tenant_id, host: status.host };
  const agentLabels = (a: { name: string; tenant_id: string; host: string }): Labels => ({
    fleet: status.fleet,
    agent: a.name,
    tenant_id: a.tenant_id,
    host: a.host,
  });
  const gauge = (name: string, help: string, value: number): Family => ({
    name,
    help,
    samples: [{ labels: fleetLabels, value }],
  });
  return [
    {
      name: "mosaic_build_info",
      help: "The mosaic that wrote this report: always 1, with its version.",
      samples: [{ labels: { ...fleetLabels, version: VERSION }, value: 1 }],
    },
    {
      name: "mosaic_agent_info",
      help: "One series per roster agent, always 1: what the roster says it is.",
      samples: status.agents.map((a) => ({
        labels: {
          ...agentLabels(a),
          runtime: a.runtime.desired,
          unit: a.unit.name,
          socket: a.socket,
          lifecycle: a.lifecycle,
        },
        value: 1,
      })),
    },
    {
      name: "mosaic_agent_condition",
      help: "Agent condition (abnormal-true) as a state set: status is true (a problem), false or unknown (not observed; never compliant); 1 for the current status, 0 for the others.",
      samples: status.agents.flatMap((a) =>
        a.conditions.flatMap((c) =>
          CONDITION_STATUSES.map(([value, label]) => ({
            labels: { ...agentLabels(a), condition: c.type, status: label },
            value: c.status === value ? 1 : 0,
          })),
        ),
      ),
    },
    {
      name: "mosaic_agent_condition_reason",
      help: "Why each agent condition has its status: always 1, the reason as a label (kept apart so a reason change does not reset alerts on mosaic_agent_condition).",
      samples: status.agents.flatMap((a) =>
        a.conditions.map((c) => ({ labels: { ...agentLabels(a), condition: c.type, reason: c.reason }, value: 1 })),
      ),
    },
    {
      name: "mosaic_agent_heartbeat_age_seconds",
      help: "Seconds since the agent's last heartbeat; absent when there is no readable heartbeat.",
      samples: status.agents.flatMap((a) =>
        a.heartbeat.age_s === null ? [] : [{ labels: agentLabels(a), value: a.heartbeat.age_s }],
      ),
    },
    {
      name: "mosaic_agent_pane_state",
      help: "The agent's tmux pane as a state set (alive, dead, missing, unknown): 1 for the current state.",
      samples: status.agents.flatMap((a) =>
        PANE_STATES.map((state) => ({ labels: { ...agentLabels(a), state }, value: a.pane.state === state ? 1 : 0 })),
      ),
    },
    gauge("mosaic_fleet_agents", "Agents listed in the roster.", summary.agents),
    gauge("mosaic_fleet_agents_compliant", "Agents observed with every condition False.", summary.compliant),
    gauge("mosaic_fleet_agents_noncompliant", "Agents with at least one True condition.", summary.nonCompliant),
    gauge("mosaic_fleet_agents_unknown", "Agents with an Unknown condition and no True one.", summary.unknown),
    gauge(
      "mosaic_fleet_unmanaged_sessions",
      "Sessions on the fleet's sockets that the roster does not list.",
      summary.unmanaged,
    ),
    {
      name: "mosaic_fleet_unmanaged_session",
      help: "1 for each session on the fleet's sockets that the roster does not list.",
      samples: status.unmanaged.map((s) => ({
        labels: { fleet: status.fleet, session: s.session, socket: s.socket, tenant_id: s.tenant_id, host: s.host },
        value: 1,
      })),
    },
    gauge(
      "mosaic_fleet_compliant",
      "1 when the verdict is COMPLIANT; 0 when NONCOMPLIANT or UNKNOWN (zero agents or nothing observable is never compliant).",
      summary.verdict === "COMPLIANT" ? 1 : 0,
    ),
    {
      name: "mosaic_fleet_verdict",
      help: "The report's verdict as a state set: 1 for the current verdict (COMPLIANT, NONCOMPLIANT or UNKNOWN), 0 for the others.",
      samples: VERDICTS.map((verdict) => ({
        labels: { ...fleetLabels, verdict },
        value: verdict === summary.verdict ? 1 : 0,
      })),
    },
    gauge(
      "mosaic_fleet_report_timestamp_seconds",
      "Unix time at which the fleet was observed for this report (alert when it stops moving).",
      Date.parse(status.observedAt) / 1000,
    ),
  ];
}

function sampleLine(name: string, labels: Labels, value: number): string {
  const pairs = Object.entries(labels).map(([key, v]) => `${key}="${labelValue(v)}"`);
  return `${name}{${pairs.join(",")}} ${formatValue(value)}`;
}

/** The exposition text: HELP and TYPE for every family, then its samples. */
export function render(input: ReportInput): string {
  const lines: string[] = [];
  for (const family of families(input)) {
    lines.push(`# HELP ${family.name} ${helpText(family.help)}`, `# TYPE ${family.name} gauge`);
    for (const sample of family.samples) lines.push(sampleLine(family.name, sample.labels, sample.value));
  }
  return `${lines.join("\n")}\n`;
}
