import { formatSeconds } from "../spec/index.js";
import type { AgentStatus, FleetStatus } from "../diff/index.js";
import { cellWidth, paintCell, textCell, truncateCell, type Cell, type Span } from "./cells.js";
import { conditionMarks, unobservedLines, type ConditionMark } from "./condition-set.js";
import { safeText, UNKNOWN_STYLE, type Paint } from "./style.js";
import { fitTable, type FitColumn } from "./table-fit.js";

// The `fleet ps` table (docs/commands.md): kubectl-style borderless columns. Not on a
// terminal it is always the full table (stable for scripts); on one it is fitted to the
// terminal's width (table-fit.ts); `-o wide` adds columns and is never cut.

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
export const WIDE_COLUMNS = [
  ...TABLE_COLUMNS,
  "UNKNOWN",
  "SOCKET",
  "TARGET",
  "COMMAND",
  "UNIT-NAME",
  "RESTARTS",
] as const;
type ColumnName = (typeof WIDE_COLUMNS)[number];

/** How to lay the table out: every column as is, the wide set, or fitted to a terminal's width. */
export type TableLayout = { kind: "full" } | { kind: "wide" } | { kind: "fit"; width: number };

const GAP = 3;
/** How much of a long name is kept before any essential column is cut. */
const NAME_READABLE = 24;

/** The command, and in a word the helper daemons that left the pane's session (they outlive it). */
function commandText(agent: AgentStatus): string {
  const command = agent.runtime.command ?? "-";
  const helpers = agent.runtime.helpers_left_session ?? [];
  if (helpers.length === 0) return command;
  const first = (helpers[0] ?? "").slice(0, 40);
  const more = helpers.length > 1 ? ` +${helpers.length - 1}` : "";
  return `${command} (${helpers.length} helper${helpers.length > 1 ? "s" : ""} left the pane's session: ${first}${more})`;
}

function runtimeCell(agent: AgentStatus): Cell {
  const { desired, actual } = agent.runtime;
  if (actual === null || actual === desired) return textCell(safeText(desired));
  return [{ text: `${safeText(desired)} ` }, { text: `(${safeText(actual)})`, style: "red" }];
}

function heartbeatCell(agent: AgentStatus): Cell {
  const hb = agent.heartbeat;
  if (!hb.expected) return textCell("-");
  const age = hb.age_s === null ? "" : ` ${formatSeconds(Math.max(0, hb.age_s))}`;
  const style = hb.state === "healthy" ? "green" : hb.state === "stale" ? "red" : UNKNOWN_STYLE;
  const cell: Span[] = [{ text: `${hb.state}${age}`, style }];
  if (hb.probe !== undefined)
    cell.push(hb.probe.answered ? { text: ` probe ${hb.probe.rtt_ms}ms` } : { text: " no-probe-answer", style: "red" });
  return cell;
}

function markSpans(marks: readonly ConditionMark[]): Span[] {
  return marks.flatMap((mark, i) => [
    ...(i === 0 ? [] : [{ text: "," }]),
    { text: mark.label, style: mark.status === "True" ? ("red" as const) : UNKNOWN_STYLE },
  ]);
}

/** The CONDITIONS cell: `-` only when every condition is False; an Unknown one reads `?Name`. */
export function conditionsCell(agent: AgentStatus): Cell {
  const marks = conditionMarks(agent.conditions);
  return marks.length === 0 ? textCell("-") : markSpans(marks);
}

/**
 * The CONDITIONS cell in at most `width` cells: the names that fit, then `+N` for the
 * rest (`?all` when nothing was observed), so an Unknown never shrinks into a `-`.
 */
export function conditionsCellWithin(agent: AgentStatus, width: number): Cell {
  const full = conditionsCell(agent);
  if (cellWidth(full) <= width) return full;
  const marks = conditionMarks(agent.conditions);
  if (marks.every((m) => m.status === "Unknown") && marks.length === agent.conditions.length && width >= 4)
    return textCell("?all", UNKNOWN_STYLE);
  const styleOf = (rest: readonly ConditionMark[]) =>
    rest.some((m) => m.status === "Unknown") ? UNKNOWN_STYLE : "red";
  for (let shown = marks.length - 1; shown >= 1; shown -= 1) {
    const rest = marks.slice(shown);
    const cell = [...markSpans(marks.slice(0, shown)), { text: `,+${rest.length}`, style: styleOf(rest) }];
    if (cellWidth(cell) <= width) return cell;
  }
  // Not even one name fits whole: the first one cut, and how many follow.
  const rest = marks.slice(1);
  const more: Span[] = rest.length === 0 ? [] : [{ text: `+${rest.length}`, style: styleOf(rest) }];
  const first = truncateCell(markSpans(marks.slice(0, 1)), width - cellWidth(more));
  return truncateCell([...first, ...more], width);
}

/** The CONDITIONS cell of a narrow table: an agent with nothing observed reads `?all` (the footer says why). */
function conditionsShort(agent: AgentStatus): Cell {
  const marks = conditionMarks(agent.conditions);
  return marks.length > 1 && marks.length === agent.conditions.length && marks.every((m) => m.status === "Unknown")
    ? textCell("?all", UNKNOWN_STYLE)
    : conditionsCell(agent);
}

const ENABLED_SHORT: Record<string, string> = { enabled: "en", disabled: "dis", unknown: "?" };

function cellOf(agent: AgentStatus, column: ColumnName): Cell {
  switch (column) {
    case "NAME":
      return textCell(safeText(agent.name));
    case "TENANT":
      return textCell(safeText(agent.tenant_id));
    case "HOST":
      return textCell(safeText(agent.host));
    case "RUNTIME":
      return runtimeCell(agent);
    case "UNIT":
      return textCell(`${safeText(agent.unit.active)}/${safeText(agent.unit.enabled)}`);
    case "PANE":
      return textCell(agent.pane.state);
    case "PID":
      return textCell(agent.pane.pid === null ? "-" : String(agent.pane.pid));
    case "IDLE":
      return textCell(agent.pane.idle_s === null ? "-" : formatSeconds(agent.pane.idle_s));
    case "HEARTBEAT":
      return heartbeatCell(agent);
    case "CONDITIONS":
      return conditionsCell(agent);
    case "UNKNOWN": {
      const reasons = [...new Set(agent.conditions.filter((c) => c.status === "Unknown").map((c) => c.reason))];
      return reasons.length === 0 ? textCell("-") : textCell(reasons.join(","), UNKNOWN_STYLE);
    }
    case "SOCKET":
      return textCell(safeText(agent.socket));
    case "TARGET":
      return textCell(safeText(agent.pane.target ?? "-"));
    case "COMMAND":
      return textCell(safeText(commandText(agent)));
    case "UNIT-NAME":
      return textCell(safeText(agent.unit.name));
    case "RESTARTS":
      return textCell(agent.unit.n_restarts === undefined ? "-" : String(agent.unit.n_restarts));
  }
}

/**
 * What the fitter may do with each column, in rank order: drop PID, IDLE; cut a long NAME
 * to 24 cells; drop UNIT, RUNTIME, HOST, TENANT; cut CONDITIONS, HEARTBEAT to a readable
 * width; then cut CONDITIONS, HEARTBEAT and NAME (last) to their headers.
 */
const FIT_RULES: Partial<Record<ColumnName, Omit<FitColumn, "name" | "cells">>> = {
  TENANT: { hoistable: true, dropRank: 6 },
  HOST: { hoistable: true, dropRank: 5 },
  RUNTIME: { dropRank: 4 },
  UNIT: { dropRank: 3 },
  PID: { dropRank: 1 },
  IDLE: { dropRank: 2 },
  CONDITIONS: { shrinkRank: 1, softRank: 7, softWidth: 16 },
  HEARTBEAT: { shrinkRank: 2, softRank: 8, softWidth: 10 },
  NAME: { shrinkRank: 3, softRank: 2.5, softWidth: NAME_READABLE },
};

function columnsFor(status: FleetStatus, layout: TableLayout): FitColumn[] {
  const names = layout.kind === "wide" ? WIDE_COLUMNS : TABLE_COLUMNS;
  return names.map((name) => {
    const column: FitColumn = { name, cells: status.agents.map((agent) => cellOf(agent, name)), ...FIT_RULES[name] };
    if (name === "UNIT") {
      column.short = status.agents.map((a) =>
        textCell(`${safeText(a.unit.active)}/${safeText(ENABLED_SHORT[a.unit.enabled] ?? a.unit.enabled)}`),
      );
    }
    if (name === "CONDITIONS") {
      column.short = status.agents.map(conditionsShort);
      column.shrink = (row, width) => conditionsCellWithin(status.agents[row]!, width);
    }
    return column;
  });
}

/** A line cut to `width` terminal cells (the last resort of a terminal too narrow for the essentials). */
function fitLine(cell: Cell, width: number | undefined, paint: Paint): string {
  return paintCell(width === undefined ? cell : truncateCell(cell, width), paint);
}

/** The table, then unmanaged sessions, agents not fully observed and unavailable sources as footer lines. */
export function renderTable(status: FleetStatus, paint: Paint, layout: TableLayout = { kind: "full" }): string {
  const width = layout.kind === "fit" ? Math.max(1, layout.width) : undefined;
  const fitted = fitTable(columnsFor(status, layout), GAP, width);
  const gap = " ".repeat(fitted.gap);
  const rows: Cell[][] = [
    fitted.columns.map((c) => textCell(c.name)),
    ...status.agents.map((_, row) => fitted.columns.map((c) => c.cells[row] ?? [])),
  ];
  const lines: string[] = [];
  if (fitted.context.length > 0) lines.push(fitLine(fitted.context, width, paint));
  for (const cells of rows) {
    const line = cells.flatMap((cell, i): Span[] => {
      const pad = " ".repeat(Math.max(0, fitted.columns[i]!.width - cellWidth(cell)));
      return [...(i === 0 ? [] : [{ text: gap }]), ...cell, ...(i === cells.length - 1 ? [] : [{ text: pad }])];
    });
    // The fitted widths already fit; the cut only guards a terminal narrower than the headers.
    lines.push(fitLine(line, width, paint).trimEnd());
  }
  const footer: Cell[] = [];
  if (status.agents.length === 0) footer.push(textCell("(the roster lists no agents)"));
  for (const session of status.unmanaged) {
    footer.push(
      textCell(
        `unmanaged: session "${safeText(session.session)}" on socket ${safeText(session.socket)} (${safeText(session.tenant_id)}@${safeText(session.host)}) is not in the roster`,
        "yellow",
      ),
    );
  }
  if (layout.kind === "wide") {
    for (const view of status.grouped ?? []) {
      footer.push(
        textCell(
          `grouped: session "${safeText(view.session)}" on socket ${safeText(view.socket)} (${safeText(view.tenant_id)}@${safeText(view.host)}) is a grouped view of agent ${safeText(view.agent)}'s windows, not an agent of its own`,
        ),
      );
    }
  }
  for (const line of unobservedLines(status.agents)) footer.push(textCell(line, UNKNOWN_STYLE));
  for (const source of status.sources) {
    // Another host's source is named with its host, so two hosts' warnings are told apart.
    const where = source.host === status.host || source.source.startsWith("host:") ? "" : `${safeText(source.host)}: `;
    footer.push(textCell(`warning: ${where}${safeText(source.message)} (${source.reason})`, "yellow"));
  }
  lines.push(...footer.map((cell) => fitLine(cell, width, paint)));
  return `${lines.join("\n")}\n`;
}
