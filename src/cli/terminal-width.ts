import type { TableLayout } from "../report/index.js";
import type { Io } from "./io.js";

// How wide the operator's terminal is, for `fleet ps` on a TTY (docs/commands.md).

const FALLBACK_COLUMNS = 80;

/** `COLUMNS` when it is a positive whole number (as with `COLUMNS=80 mosaic …`), else the terminal's width, else 80. */
export function terminalWidth(io: Pick<Io, "env" | "stdoutColumns">): number {
  const raw = io.env["COLUMNS"]?.trim();
  if (raw !== undefined && /^[1-9][0-9]{0,4}$/.test(raw)) return Number(raw);
  const columns = io.stdoutColumns?.();
  return columns !== undefined && Number.isInteger(columns) && columns > 0 ? columns : FALLBACK_COLUMNS;
}

/** The table layout for an output format: fitted on a terminal, full columns for scripts, `wide` never cut. */
export function tableLayout(format: string, io: Pick<Io, "env" | "stdoutColumns" | "stdoutIsTTY">): TableLayout {
  if (format === "wide") return { kind: "wide" };
  return io.stdoutIsTTY ? { kind: "fit", width: terminalWidth(io) } : { kind: "full" };
}
