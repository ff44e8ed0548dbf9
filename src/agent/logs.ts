import { answered } from "../system/index.js";
import { safeText } from "../terminal-text.js";
import { tmux, type PaneClient } from "./pane.js";

// `agent logs`: a pane's recent output read with capture-pane, like `kubectl logs`. Read
// only: no client attaches, no pipe-pane is set, nothing is typed. A dead pane kept by
// remain-on-exit still has its history and screen, so this is how an operator reads an
// agent's last words. Every line is escaped (docs/threat-model.md): the pane's text is
// the agent's, not ours to let the operator's terminal interpret.

/** What capture-pane and display-message tell about one pane right now. */
export interface PaneLogState {
  dead: boolean;
  deadStatus: number | null;
  /** Rows scrolled off into the history. */
  historySize: number;
  cursorY: number;
  /** The line tmux writes under a dead pane's output (remain-on-exit-format, expanded). */
  deadNotice: string;
}

/** Two lines: the numbers, then the dead-pane notice tmux would write for this pane. */
const STATE_ARGS = (paneId: string) => [
  "display-message",
  "-p",
  "-t",
  paneId,
  "#{pane_dead} #{pane_dead_status} #{history_size} #{cursor_y}",
  ";",
  "display-message",
  "-p",
  "-t",
  paneId,
  "#{E:remain-on-exit-format}",
];

function parseState(head: string, notice: string): PaneLogState {
  const [dead, status, history, cursor] = head.split(" ");
  const number = (text: string | undefined) => (text !== undefined && /^\d+$/.test(text) ? Number(text) : null);
  return {
    dead: dead === "1",
    deadStatus: number(status),
    historySize: number(history) ?? 0,
    cursorY: number(cursor) ?? 0,
    deadNotice: notice.trim(),
  };
}

/**
 * A dead pane's rows without tmux's own "Pane is dead (…)" line: that is tmux talking,
 * not the agent, and `agent logs` says how the pane died on stderr instead.
 */
export function withoutDeadNotice(rows: readonly string[], state: PaneLogState): string[] {
  const kept = trimTrailingBlank(rows);
  if (state.dead && state.deadNotice !== "" && kept[kept.length - 1]?.trim() === state.deadNotice) kept.pop();
  return trimTrailingBlank(kept);
}

/** Drop the blank rows below the last output (an idle screen's unused bottom). */
export function trimTrailingBlank(lines: readonly string[]): string[] {
  let end = lines.length;
  while (end > 0 && (lines[end - 1] ?? "").trim() === "") end -= 1;
  return lines.slice(0, end).map((line) => line.trimEnd());
}

/** The last `tail` lines (all when undefined) of the pane's history and screen, wrapped lines joined; null when the pane is gone. */
export async function readPaneLog(
  client: PaneClient,
  paneId: string,
  tail: number | undefined,
): Promise<{ lines: string[]; state: PaneLogState } | null> {
  // `-S -N` starts N rows back in the history: N rows plus the screen always hold the last N lines.
  const start = tail === undefined ? "-" : `-${tail}`;
  // A server that does not answer is a timeout (exit 4), never a pane that is gone.
  const result = answered(
    await tmux(client, [...STATE_ARGS(paneId), ";", "capture-pane", "-p", "-J", "-S", start, "-t", paneId]),
    `the tmux server at ${client.socketPath}`,
  );
  if (!result.ok) return null;
  const [head = "", notice = "", ...rows] = result.stdout.replace(/\n$/, "").split("\n");
  const state = parseState(head, notice);
  const lines = withoutDeadNotice(rows, state);
  const kept = tail === undefined ? lines : tail === 0 ? [] : lines.slice(-tail);
  return { lines: kept.map(safeText), state };
}

/**
 * The pane's state and its rows from `back` rows up in the history (all of it for
 * "all"), in one tmux command list, so no output lands between the two; `first` is the
 * absolute index (0 = the oldest history row) of rows[0].
 */
async function readRows(
  client: PaneClient,
  paneId: string,
  back: number | "all",
): Promise<{ rows: string[]; state: PaneLogState; first: number } | null> {
  const start = back === "all" ? "-" : String(-back);
  const result = answered(
    await tmux(client, [...STATE_ARGS(paneId), ";", "capture-pane", "-p", "-S", start, "-t", paneId]),
    `the tmux server at ${client.socketPath}`,
  );
  if (!result.ok) return null;
  const [head = "", notice = "", ...rows] = result.stdout.replace(/\n$/, "").split("\n");
  const state = parseState(head, notice);
  return { rows, state, first: back === "all" ? 0 : Math.max(0, state.historySize - back) };
}

/** Rows that may scroll in between two polls and are still read in one go. */
const POLL_MARGIN = 500;

export interface FollowOptions {
  client: PaneClient;
  paneId: string;
  tail: number | undefined;
  /**
   * Receives complete lines, escaped; may return a promise that settles once the reader
   * has taken them (a slow reader): the next look at the pane waits for it, so lines are
   * never queued in memory without bound.
   */
  write: (lines: string[]) => void | Promise<void>;
  /** Resolves when the operator stops following (Ctrl-C). */
  until: Promise<void>;
  intervalMs?: number;
}

export type FollowEnd = { kind: "stopped" } | { kind: "dead"; status: number | null } | { kind: "gone" };

/** How many rows of context identify where the last printed row went after tmux dropped old history. */
const ANCHOR_ROWS = 3;

/**
 * Where the rows printed last (`anchor`) are now: tmux drops the oldest tenth of the
 * history once it is full, which moves every row up. The nearest match at or above
 * `expected` wins; -1 when they are gone (the screen was cleared).
 */
export function findAnchor(rows: readonly string[], anchor: readonly string[], expected: number): number {
  if (anchor.length === 0) return -1;
  const matchesAt = (end: number) => anchor.every((text, i) => rows[end - anchor.length + 1 + i] === text);
  for (let end = Math.min(expected, rows.length - 1); end >= anchor.length - 1; end -= 1) {
    if (matchesAt(end)) return end;
  }
  return -1;
}

/**
 * `agent logs -f`: print the last `tail` rows, then each row once the cursor has moved
 * past it (a row still being written is not printed half-done), polling capture-pane.
 * Ends when the operator stops, or when the pane dies (its remaining rows printed) or goes.
 */
export async function followPaneLog(options: FollowOptions): Promise<FollowEnd> {
  const { client, paneId, write } = options;
  const intervalMs = options.intervalMs ?? 250;
  let stopped = false;
  void options.until.then(() => {
    stopped = true;
  });

  const first = await readRows(client, paneId, "all");
  if (!first) return { kind: "gone" };
  const complete = (state: PaneLogState, rows: readonly string[], offset: number) =>
    state.dead
      ? offset + withoutDeadNotice(rows, state).length
      : Math.min(offset + rows.length, state.historySize + state.cursorY);
  let next = complete(first.state, first.rows, 0);
  const initial = first.rows.slice(0, next).map((row) => row.trimEnd());
  const shown = options.tail === undefined ? initial : options.tail === 0 ? [] : initial.slice(-options.tail);
  if (shown.length > 0) await Promise.race([write(shown.map(safeText)), options.until]);
  let anchor = first.rows.slice(Math.max(0, next - ANCHOR_ROWS), next);
  let history = first.state.historySize;
  if (first.state.dead) return { kind: "dead", status: first.state.deadStatus };

  while (!stopped) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    if (stopped) break;
    const from = next - anchor.length;
    let read = await readRows(client, paneId, Math.max(0, history - from) + POLL_MARGIN);
    if (!read) return { kind: "gone" };
    // The anchor must still sit just above `next`; if history was trimmed, more than the
    // margin scrolled in, or the screen was cleared, find it again in the whole pane (or
    // start over from the screen's top).
    const at = from - read.first;
    const inPlace =
      read.state.historySize >= history && at >= 0 && anchor.every((text, i) => read?.rows[at + i] === text);
    if (!inPlace) {
      read = await readRows(client, paneId, "all");
      if (!read) return { kind: "gone" };
      const end = findAnchor(read.rows, anchor, next - 1);
      next = anchor.length === 0 ? Math.min(next, read.rows.length) : end >= 0 ? end + 1 : read.state.historySize;
    }
    history = read.state.historySize;
    const { rows, first: offset } = read;
    const until = complete(read.state, rows.slice(next - offset), next);
    if (until > next) {
      await Promise.race([
        write(rows.slice(next - offset, until - offset).map((row) => safeText(row.trimEnd()))),
        options.until,
      ]);
      anchor = rows.slice(Math.max(0, until - offset - ANCHOR_ROWS), until - offset);
      next = until;
    }
    if (read.state.dead) return { kind: "dead", status: read.state.deadStatus };
  }
  return { kind: "stopped" };
}
