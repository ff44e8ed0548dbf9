import { safeText } from "../terminal-text.js";
import { runTmux, type TmuxServer } from "../system/index.js";
import type { TmuxPane } from "./types.js";

// Why a pane died (docs/conditions.md, PaneDead): its exit signal and the last lines it
// printed. Asked only when some pane is dead, of all dead panes in ONE tmux call
// (`display-message … \; capture-pane … \; …`), so `fleet ps` stays at a constant
// number of subprocesses: one more when anything is dead, never one per pane.

/** How many lines of a dead pane are kept, and how long each may be. */
export const DEAD_PANE_LINES = 5;
export const DEAD_LINE_CHARS = 200;
/** More dead panes than this are reported without their last lines (argv stays bounded). */
const MAX_CAPTURED = 200;
const HISTORY_LINES = 20;

export interface DeadPaneEvidence {
  signal: number | null;
  lastLines: string[];
}

/** The argv tail capturing every dead pane, each preceded by a marker line no pane can forge (a fresh nonce). */
export function deadPaneCommands(panes: readonly Pick<TmuxPane, "paneId">[], nonce: string): string[] {
  const argv: string[] = [];
  for (const pane of panes.slice(0, MAX_CAPTURED)) {
    if (argv.length > 0) argv.push(";");
    // The id comes from tmux's own #{pane_id}: display-message runs its text through
    // strftime first, which mangles a literal "%4".
    argv.push("display-message", "-p", "-t", pane.paneId, `${nonce} #{pane_id} #{pane_dead_signal}`);
    argv.push(";", "capture-pane", "-p", "-J", "-S", `-${HISTORY_LINES}`, "-t", pane.paneId);
  }
  return argv;
}

/** Split the chained output back into each pane's evidence. */
export function parseDeadPanes(stdout: string, nonce: string): Map<string, DeadPaneEvidence> {
  const found = new Map<string, DeadPaneEvidence>();
  let current: { id: string; signal: number | null; lines: string[] } | null = null;
  const flush = () => {
    if (current) found.set(current.id, { signal: current.signal, lastLines: lastLines(current.lines) });
  };
  for (const line of stdout.split("\n")) {
    const marker = line.startsWith(`${nonce} `) ? /^\S+ (%\d+) (\d*)$/.exec(line) : null;
    if (marker) {
      flush();
      const signal = marker[2] ? Number(marker[2]) : null;
      current = {
        id: marker[1] ?? "",
        signal: signal !== null && Number.isSafeInteger(signal) ? signal : null,
        lines: [],
      };
    } else current?.lines.push(line);
  }
  flush();
  return found;
}

/** The last non-blank lines the program printed (tmux's own "Pane is dead" line left out), escaped and cut. */
function lastLines(lines: readonly string[]): string[] {
  const printed = lines.filter((line) => line.trim() !== "" && !/^Pane is dead \((status|signal) /.test(line));
  return printed.slice(-DEAD_PANE_LINES).map((line) => {
    const shown = safeText(line.trimEnd());
    return shown.length > DEAD_LINE_CHARS ? `${shown.slice(0, DEAD_LINE_CHARS - 1)}…` : shown;
  });
}

/** Ask tmux (one call) for every dead pane's signal and last lines, and attach them to the panes. */
export async function addDeadPaneEvidence(server: TmuxServer, panes: Iterable<TmuxPane>): Promise<void> {
  const dead = [...panes].filter((pane) => pane.dead && /^%\d+$/.test(pane.paneId));
  if (dead.length === 0) return;
  // node:crypto loads here, only when a pane is dead: its import costs every `fleet ps` ~2.5 ms.
  const nonce = `mosaic-dead-${process.getBuiltinModule("node:crypto").randomBytes(8).toString("hex")}`;
  const result = await runTmux(server, deadPaneCommands(dead, nonce));
  // A pane gone since list-panes fails its part of the chain; what came before still counts.
  const evidence = parseDeadPanes(result.stdout, nonce);
  for (const pane of dead) {
    const found = evidence.get(pane.paneId);
    if (found) {
      pane.deadSignal = found.signal;
      pane.lastLines = found.lastLines;
    }
  }
}
