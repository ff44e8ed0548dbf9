import { type Owner, checkTmuxSocket, runTmux } from "../system/index.js";
import { addDeadPaneEvidence } from "./dead-panes.js";
import type { PaneDetail, SourceUnavailable, TmuxObservation, TmuxPane } from "./types.js";

// One `tmux list-panes -a` call per socket gives every pane of every session; the
// first pane of each session is the agent's. Session names are matched exactly by the
// caller — nothing here ever resolves a prefix.

const SEP = "\u001f";
// What `fleet ps` needs of every pane. Each field costs the tmux server time per pane
// (13 fields took 7.7 ms at 500 panes, 8 take ~6), and that server shares the CPUs
// with us while we wait for it.
const FLEET_FIELDS = [
  "pane_id",
  "window_index",
  "pane_index",
  "pane_pid",
  "pane_dead",
  "pane_dead_status",
  "window_activity",
  // Last: the one free-text field, so a separator inside it cannot shift the others.
  // (No pane_current_command: tmux reads /proc for every pane to answer it — a third of
  // its answer time at 500 panes — and our own /proc scan already has it.)
  "session_name",
] as const;
// `agent send` also needs to know whether typing is safe.
const DETAIL_FIELDS = [
  ...FLEET_FIELDS.slice(0, -1),
  "pane_width",
  "pane_height",
  "pane_in_mode",
  "pane_input_off",
  "pane_synchronized",
  "session_name",
] as const;

const format = (fields: readonly string[]) => fields.map((field) => `#{${field}}`).join(SEP);
export const LIST_PANES_FORMAT = format(FLEET_FIELDS);
export const PANE_DETAIL_FORMAT = format(DETAIL_FIELDS);

function int(text: string | undefined): number {
  const n = Number.parseInt(text ?? "", 10);
  return Number.isFinite(n) ? n : 0;
}

/** Each session's first pane (lowest window, then pane index) from `list-panes -a -F FORMAT` lines. */
function firstPanes<P extends TmuxPane>(
  stdout: string,
  fields: readonly string[],
  build: (value: (field: string) => string | undefined, session: string) => P,
): Map<string, P> {
  const sessions = new Map<string, P>();
  const at = new Map(fields.map((field, i) => [field, i]));
  for (const line of stdout.split("\n")) {
    if (line === "") continue;
    const parts = line.split(SEP);
    if (parts.length < fields.length) continue;
    const session = parts.slice(fields.length - 1).join(SEP);
    const pane = build((field) => parts[at.get(field) ?? -1], session);
    const first = sessions.get(session);
    if (
      !first ||
      pane.windowIndex < first.windowIndex ||
      (pane.windowIndex === first.windowIndex && pane.paneIndex < first.paneIndex)
    ) {
      sessions.set(session, pane);
    }
  }
  return sessions;
}

function paneOf(value: (field: string) => string | undefined, session: string): TmuxPane {
  const deadStatus = value("pane_dead_status");
  return {
    session,
    paneId: value("pane_id") ?? "",
    windowIndex: int(value("window_index")),
    paneIndex: int(value("pane_index")),
    pid: int(value("pane_pid")),
    dead: value("pane_dead") === "1",
    deadStatus: deadStatus === "" || deadStatus === undefined ? null : int(deadStatus),
    currentCommand: "",
    activity: int(value("window_activity")),
  };
}

/** Parse `list-panes -a -F LIST_PANES_FORMAT` output into each session's first pane. */
export function parseListPanes(stdout: string): Map<string, TmuxPane> {
  return firstPanes(stdout, FLEET_FIELDS, paneOf);
}

/** Parse `list-panes -a -F PANE_DETAIL_FORMAT` output: the first panes, with what typing needs. */
export function parsePaneDetails(stdout: string): Map<string, PaneDetail> {
  return firstPanes(stdout, DETAIL_FIELDS, (value, session) => ({
    ...paneOf(value, session),
    width: int(value("pane_width")),
    height: int(value("pane_height")),
    inMode: value("pane_in_mode") === "1",
    inputOff: value("pane_input_off") === "1",
    synchronized: value("pane_synchronized") === "1",
  }));
}

interface TmuxObserveOptions {
  env: NodeJS.ProcessEnv;
  uid: number;
  timeoutMs?: number;
  /** The server's owner when it is not us: the tmux client runs as it (never as root). */
  as?: Owner | null;
}

/** Every session's first pane on one socket, or why the socket could not be read. */
export async function observeTmux(
  socket: string,
  options: TmuxObserveOptions,
): Promise<TmuxObservation | SourceUnavailable> {
  const check = checkTmuxSocket(socket, options.env, options.uid);
  if (!check.ok) return { ok: false, reason: check.reason, message: check.message };
  const result = await runTmux(
    { socketPath: check.path, env: options.env, timeoutMs: options.timeoutMs ?? 3_000, owner: options.as ?? null },
    ["list-panes", "-a", "-F", LIST_PANES_FORMAT],
  );
  if (result.timedOut)
    return {
      ok: false,
      reason: "TmuxTimeout",
      message: `tmux on socket "${socket}" did not answer within ${options.timeoutMs ?? 3_000} ms`,
    };
  // A server whose last session is gone (exit-empty off) answers "no current target":
  // it is up, with no sessions — every agent's pane is missing, not unknown.
  if (!result.ok && /no current (target|session)|no sessions/.test(result.stderr)) {
    return { ok: true, socket, socketPath: check.path, sessions: new Map() };
  }
  if (!result.ok) {
    const why = result.notFound
      ? "tmux is not installed"
      : result.stderr.trim().split("\n")[0] || `tmux exited ${result.exitCode}`;
    return { ok: false, reason: "TmuxUnavailable", message: `no tmux server on socket "${socket}": ${why}` };
  }
  const sessions = parseListPanes(result.stdout);
  await addDeadPaneEvidence(
    { socketPath: check.path, env: options.env, timeoutMs: options.timeoutMs ?? 3_000, owner: options.as ?? null },
    sessions.values(),
  );
  return { ok: true, socket, socketPath: check.path, sessions };
}
