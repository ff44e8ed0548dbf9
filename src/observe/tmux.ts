import { runCommand } from "./run-command.js";
import { checkTmuxSocket, tmuxClientEnv } from "./tmux-socket.js";
import type { SourceUnavailable, TmuxObservation, TmuxPane } from "./types.js";

// One `tmux list-panes -a` call per socket gives every pane of every session; the
// first pane of each session is the agent's. Session names are matched exactly by the
// caller — nothing here ever resolves a prefix.

const SEP = "\u001f";
const FIELDS = [
  "pane_id", "window_index", "pane_index", "pane_pid", "pane_dead", "pane_dead_status",
  "window_activity", "pane_width", "pane_height", "pane_in_mode", "pane_input_off",
  "pane_synchronized",
  // Last: the one free-text field, so a separator inside it cannot shift the others.
  // (No pane_current_command: tmux reads /proc for every pane to answer it — a third of
  // its answer time at 500 panes — and our own /proc scan already has it.)
  "session_name",
] as const;

export const LIST_PANES_FORMAT = FIELDS.map((field) => `#{${field}}`).join(SEP);

function int(text: string | undefined): number {
  const n = Number.parseInt(text ?? "", 10);
  return Number.isFinite(n) ? n : 0;
}

/** Parse `list-panes -a -F LIST_PANES_FORMAT` output into each session's first pane. */
export function parseListPanes(stdout: string): Map<string, TmuxPane> {
  const sessions = new Map<string, TmuxPane>();
  for (const line of stdout.split("\n")) {
    if (line === "") continue;
    const parts = line.split(SEP);
    if (parts.length < FIELDS.length) continue;
    const head = parts.slice(0, FIELDS.length - 1);
    const session = parts.slice(FIELDS.length - 1).join(SEP);
    const [paneId = "", windowIndex, paneIndex, pid, dead, deadStatus, activity, width, height, inMode, inputOff, synchronized] = head;
    const pane: TmuxPane = {
      session,
      paneId,
      windowIndex: int(windowIndex),
      paneIndex: int(paneIndex),
      pid: int(pid),
      dead: dead === "1",
      deadStatus: deadStatus === "" || deadStatus === undefined ? null : int(deadStatus),
      currentCommand: "",
      activity: int(activity),
      width: int(width),
      height: int(height),
      inMode: inMode === "1",
      inputOff: inputOff === "1",
      synchronized: synchronized === "1",
    };
    const first = sessions.get(session);
    if (!first || pane.windowIndex < first.windowIndex || (pane.windowIndex === first.windowIndex && pane.paneIndex < first.paneIndex)) {
      sessions.set(session, pane);
    }
  }
  return sessions;
}

export interface TmuxObserveOptions {
  env: NodeJS.ProcessEnv;
  uid: number;
  timeoutMs?: number;
  tmuxBin?: string;
}

/** Every session's first pane on one socket, or why the socket could not be read. */
export async function observeTmux(socket: string, options: TmuxObserveOptions): Promise<TmuxObservation | SourceUnavailable> {
  const check = checkTmuxSocket(socket, options.env, options.uid);
  if (!check.ok) return { ok: false, reason: check.reason, message: check.message };
  const result = await runCommand([options.tmuxBin ?? "tmux", "-S", check.path, "list-panes", "-a", "-F", LIST_PANES_FORMAT], {
    env: tmuxClientEnv(options.env),
    timeoutMs: options.timeoutMs ?? 3_000,
  });
  if (result.timedOut) return { ok: false, reason: "TmuxTimeout", message: `tmux on socket "${socket}" did not answer within ${options.timeoutMs ?? 3_000} ms` };
  // A server whose last session is gone (exit-empty off) answers "no current target":
  // it is up, with no sessions — every agent's pane is missing, not unknown.
  if (!result.ok && /no current (target|session)|no sessions/.test(result.stderr)) {
    return { ok: true, socket, socketPath: check.path, sessions: new Map() };
  }
  if (!result.ok) {
    const why = result.notFound ? "tmux is not installed" : result.stderr.trim().split("\n")[0] || `tmux exited ${result.exitCode}`;
    return { ok: false, reason: "TmuxUnavailable", message: `no tmux server on socket "${socket}": ${why}` };
  }
  return { ok: true, socket, socketPath: check.path, sessions: parseListPanes(result.stdout) };
}
