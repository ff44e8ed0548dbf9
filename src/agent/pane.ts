import { answered, runTmux, type TmuxServer } from "../system/index.js";
import { parsePaneDetails, PANE_DETAIL_FORMAT, type PaneDetail } from "../observe/index.js";
import { parseRow, rowText, type Row } from "./screen.js";

// One agent's pane on one socket: its state, its cursor line, and whether its
// foreground program is waiting for terminal input. Every target is a pane id (%N) or
// an exact session (=NAME:), never a prefix.

/** The agent's tmux server (src/system/tmux.ts addresses it). */
export type PaneClient = TmuxServer;

/** tmux on the agent's socket (src/system/tmux.ts runTmux). */
export const tmux = runTmux;

/** The first pane of exactly session `name`, or null. */
export async function findPane(client: PaneClient, name: string): Promise<PaneDetail | null> {
  // A server that does not answer is not a missing session: that throws instead.
  const listed = answered(
    await tmux(client, ["list-panes", "-a", "-F", PANE_DETAIL_FORMAT]),
    `the tmux server at ${client.socketPath}`,
  );
  if (!listed.ok) return null;
  return parsePaneDetails(listed.stdout).get(name) ?? null;
}

export interface CursorLine {
  text: string;
  x: number;
  y: number;
  /** The whole visible screen as text, for before/after comparisons. */
  screen: string[];
  /** The same screen with attributes (dim, grey, reverse), row by row. */
  rows: Row[];
  tty: string;
  /** Whether the terminal cursor is shown (full-screen programs hide it and draw their own). */
  cursorShown: boolean;
  /** Whether the program switched to the alternate screen (a full-screen program). */
  alternateScreen: boolean;
}

/** The pane's visible screen with attributes (`capture-pane -e`) and its cursor, in one tmux call. */
export async function readCursor(client: PaneClient, paneId: string): Promise<CursorLine | null> {
  const result = answered(
    await tmux(client, [
      "display-message",
      "-p",
      "-t",
      paneId,
      "#{cursor_x} #{cursor_y} #{cursor_flag} #{alternate_on} #{pane_tty}",
      ";",
      "capture-pane",
      "-p",
      "-e",
      "-t",
      paneId,
    ]),
    `the tmux server at ${client.socketPath}`,
  );
  if (!result.ok) return null;
  const [head = "", ...lines] = result.stdout.split("\n");
  const [x, y, cursorFlag, alternate, tty = ""] = head.split(" ");
  const cursorY = Number(y);
  const rows = lines.map(parseRow);
  const screen = rows.map((row) => rowText(row).trimEnd());
  return {
    text: screen[cursorY] ?? "",
    x: Number(x),
    y: cursorY,
    screen,
    rows,
    tty,
    cursorShown: cursorFlag === "1",
    alternateScreen: alternate === "1",
  };
}

export { foregroundWaitingForInput } from "../system/index.js";
