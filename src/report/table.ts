import Table from "cli-table3";
import { formatSeconds } from "../spec/duration.js";
import type { AgentStatus, FleetStatus } from "../diff/types.js";
import { safeText, type Paint } from "./style.js";

// The `fleet ps` table (docs/commands.md, fleet ps): kubectl-style borderless columns.

const BORDERLESS = {
  top: "",
  "top-mid": "",
  "top-left": "",
  "top-right": "",
  bottom: "",
  "bottom-mid": "",
  "bottom-left": "",
  "bottom-right": "",
  left: "",
  "left-mid": "",
  mid: "",
  "mid-mid": "",
  right: "",
  "right-mid": "",
  middle: "   ",
};

export const TABLE_COLUMNS = [
  "NAME",
  "TENANT",
  "HOST",
  "RUNTIME",
  "UNIT",
  "PANE",
  "PID",
  "IDLE",
  "HEARTBEAT",
  "CONDITIONS",
] as const;
const WIDE_COLUMNS = [...TABLE_COLUMNS, "UNKNOWN", "SOCKET", "TARGET", "COMMAND", "UNIT-NAME"] as const;

function runtimeCell(agent: AgentStatus, paint: Paint): string {
  const { desired, actual } = agent.runtime;
  if (actual === null || actual === desired) return desired;
  return `${desired} ${paint("red", `(${actual})`)}`;
}

function heartbeatCell(agent: AgentStatus, paint: Paint): string {
  const hb = agent.heartbeat;
  if (!hb.expected) return "-";
  const age = hb.age_s === null ? "" : ` ${formatSeconds(Math.max(0, hb.age_s))}`;
  const style = hb.state === "healthy" ? "green" : hb.state === "stale" ? "red" : "yellow";
  const probe =
    hb.probe === undefined ? "" : hb.probe.answered ? ` probe ${hb.probe.rtt_ms}ms` : paint("red", " no-probe-answer");
  return `${paint(style, `${hb.state}${age}`)}${probe}`;
}

function conditionsCell(agent: AgentStatus, paint: Paint, status: "True" | "Unknown"): string {
  const names = agent.conditions.filter((c) => c.status === status).map((c) => c.type);
  if (names.length === 0) return "-";
  return paint(status === "True" ? "red" : "yellow", names.join(","));
}

function row(agent: AgentStatus, paint: Paint, wide: boolean): string[] {
  const cells = [
    safeText(agent.name),
    agent.tenant_id,
    agent.host,
    runtimeCell(agent, paint),
    `${agent.unit.active}/${agent.unit.enabled}`,
    agent.pane.state,
    agent.pane.pid === null ? "-" : String(agent.pane.pid),
    agent.pane.idle_s === null ? "-" : formatSeconds(agent.pane.idle_s),
    heartbeatCell(agent, paint),
    conditionsCell(agent, paint, "True"),
  ];
  if (wide) {
    cells.push(
      conditionsCell(agent, paint, "Unknown"),
      agent.socket,
      agent.pane.target ?? "-",
      safeText(agent.runtime.command ?? "-"),
      agent.unit.name,
    );
  }
  return cells;
}

/** The table, then unmanaged sessions and unavailable sources as footer lines. */
export function renderTable(status: FleetStatus, paint: Paint, wide = false): string {
  const table = new Table({
    head: [...(wide ? WIDE_COLUMNS : TABLE_COLUMNS)],
    chars: BORDERLESS,
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0, compact: true },
  });
  for (const agent of status.agents) table.push(row(agent, paint, wide));
  const lines = table
    .toString()
    .split("\n")
    .map((line) => line.trimEnd());
  if (status.agents.length === 0) lines.push("(the roster lists no agents)");
  for (const session of status.unmanaged) {
    lines.push(
      paint(
        "yellow",
        `unmanaged: session "${safeText(session.session)}" on socket ${session.socket} (${session.tenant_id}@${session.host}) is not in the roster`,
      ),
    );
  }
  for (const source of status.sources) {
    lines.push(paint("yellow", `warning: ${source.message} (${source.reason})`));
  }
  return `${lines.join("\n")}\n`;
}
