// Where `agent watch` looks when the operator's terminal is smaller than the agent's
// window: the view follows the cursor (where the agent is writing) and the newest
// output, scrolling as the pane scrolls, as a terminal would; and a banner that always
// fits the terminal's width with the way out ("q") in it.

export interface PaneView {
  paneWidth: number;
  paneHeight: number;
  cursorX: number;
  cursorY: number;
  /** Index of the last row holding text (-1: a blank screen). */
  lastRow: number;
}

/** The top row and left column of the window of `rows`×`columns` the viewer shows. */
export function viewWindow(pane: PaneView, rows: number, columns: number): { top: number; left: number } {
  // The lower of the cursor and the newest text ends the view; the cursor is never cut off.
  const end = Math.min(pane.paneHeight, Math.max(pane.cursorY, pane.lastRow) + 1);
  const top = Math.max(0, Math.min(end - rows, pane.cursorY, pane.paneHeight - rows));
  const left = Math.max(0, Math.min(pane.cursorX - columns + 1, pane.paneWidth - columns));
  return { top: Math.max(0, top), left };
}

export interface BannerParts {
  name: string;
  socket: string;
  paneId: string;
  size: string;
  dead: boolean;
  /** "rows 11-33 of 50" when the view is scrolled, else "". */
  scrolled: string;
  /** A short note on the last key pressed, or "". */
  note: string;
}

/** The longest banner that fits `columns`: from the full sentence down to "q: leave". */
export function banner(parts: BannerParts, columns: number): string {
  const where = [parts.paneId, parts.size, parts.dead ? "pane dead" : "", parts.scrolled].filter(Boolean).join(", ");
  const candidates = [
    `Watching ${parts.name} READ-ONLY on socket ${parts.socket}: keys are not sent to the agent. Leave with q, C-c or C-b d. [${where}]${parts.note}`,
    `${parts.name} READ-ONLY [${where}]: leave with q, C-c or C-b d${parts.note}`,
    `${parts.name} READ-ONLY [${where}], q: leave`,
    `${parts.name} read-only, q: leave`,
    `read-only, q: leave`,
    `q: leave`,
    `q`,
  ];
  return candidates.find((text) => text.length <= columns) ?? "";
}
