import type { ConditionStatus } from "../diff/types.js";
import type { ReportInput, Verdict } from "./history.js";
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

const CONDITION_VALUE: Record<ConditionStatus, number> = { True: 1, False: 0, Unknown: -1 };
const VERDICTS: readonly Verdict[] = ["COMPLIANT", "NONCOMPLIANT", "UNKNOWN"];

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
      name: "mosaic_fleet_condition",
      help: "Agent condition (abnormal-true): 1 when status is True (a problem), 0 when False, -1 when Unknown (not observable; not compliant).",
      samples: status.agents.flatMap((a) =>
        a.conditions.map((c) => ({
          labels: { ...agentLabels(a), condition: c.type, status: c.status, reason: c.reason },
          value: CONDITION_VALUE[c.status],
        })),
      ),
    },
    {
      name: "mosaic_fleet_heartbeat_age_seconds",
      help: "Seconds since the agent's last heartbeat; absent when there is no readable heartbeat.",
      samples: status.agents.flatMap((a) =>
        a.heartbeat.age_s === null ? [] : [{ labels: agentLabels(a), value: a.heartbeat.age_s }],
      ),
    },
    {
      name: "mosaic_fleet_pane_alive",
      help: "1 when the agent's tmux pane is alive, else 0; the state label is alive, dead, missing or unknown.",
      samples: status.agents.map((a) => ({
        labels: { ...agentLabels(a), state: a.pane.state },
        value: a.pane.state === "alive" ? 1 : 0,
      })),
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
      "Unix time at which the fleet was observed for this report.",
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
