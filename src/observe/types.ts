// Observed state: plain facts stamped by the observers. Observers never decide what is
// wrong; the diff engine does. A failed observation is data (`ok: false` + a reason).

/** Why a whole source could not be observed. */
type SourceUnavailableReason =
  "TmuxUnavailable" | "TmuxTimeout" | "SocketUnsafe" | "SystemdUnavailable" | "SystemdTimeout";

export interface SourceUnavailable {
  ok: false;
  reason: SourceUnavailableReason;
  message: string;
}

/** The first pane of one tmux session, as `list-panes -a` reports it. */
export interface TmuxPane {
  session: string;
  /** `%N` pane id: a stable target. */
  paneId: string;
  windowIndex: number;
  paneIndex: number;
  pid: number;
  dead: boolean;
  /** Exit status of a dead pane's process, when tmux knows it. */
  deadStatus: number | null;
  /** The signal that ended a dead pane's process, when tmux knows it (asked only of dead panes). */
  deadSignal?: number | null;
  /** A dead pane's last printed lines, escaped and bounded (asked only of dead panes). */
  lastLines?: string[];
  /** Not asked of tmux (it reads /proc for every pane); derived from our own scan. */
  currentCommand: string;
  /** Unix seconds of the window's last activity. */
  activity: number;
}

/** What typing into a pane must know besides (asked only by `agent send`, for one pane). */
export interface PaneDetail extends TmuxPane {
  width: number;
  height: number;
  inMode: boolean;
  inputOff: boolean;
  synchronized: boolean;
}

export interface TmuxObservation {
  ok: true;
  socket: string;
  socketPath: string;
  /** session name → its first pane (lowest window index, then pane index). */
  sessions: Map<string, TmuxPane>;
}

/** One systemd unit as its user manager sees it, in systemd's own words. */
export interface UnitState {
  name: string;
  /** LoadState: loaded | not-found | masked | … */
  load: string;
  /** ActiveState: active | inactive | failed | activating | … */
  active: string;
  /** SubState: running | exited | dead | … */
  sub: string;
  /** UnitFileState: enabled | disabled | static | masked | enabled-runtime | … */
  enabled: string;
  /** Type= in the unit file on disk, for a unit whose run is a oneshot's (active/exited). */
  fileType?: string;
  /** NRestarts and the last exit, for a loaded unit whose manager reported them. */
  restarts?: UnitRestarts;
}

/** How often systemd restarted a unit (`Restart=`), and how its main process last ended. */
export interface UnitRestarts {
  /** NRestarts: automatic restarts since the unit was last started by hand. */
  count: number;
  /** Result: success | exit-code | signal | start-limit-hit | … */
  result: string;
  /** ExecMainCode / ExecMainStatus: how the main process last ended. */
  lastExit: { kind: "exited" | "killed" | "dumped" | "none"; status: number | null };
  /** ExecMainStartTimestamp in unix ms, null when it never ran. */
  mainStartedAtMs: number | null;
}

export interface SystemdObservation {
  ok: true;
  units: Map<string, UnitState>;
}

/** One process read from /proc/PID. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Start time in clock ticks since boot (field 22 of /proc/PID/stat). */
  startTicks: number;
  /** Start time in unix milliseconds (boot time + startTicks). */
  startedAtMs: number;
  /** The kernel's short name (comm). */
  comm: string;
  /** argv from /proc/PID/cmdline; empty for kernel threads or unreadable entries. */
  argv: string[];
  /** Process group and session (fields 5, 6 of stat), when read. */
  pgid?: number;
  sid?: number;
}

/** A pane's process tree: the pane's root process first, then its descendants. */
export interface ProcessTree {
  root: ProcessInfo;
  processes: ProcessInfo[];
  /** The pane terminal's foreground process (what tmux calls pane_current_command). */
  foreground?: ProcessInfo;
  /** The terminal's foreground process group (tpgid), when it has one. */
  foregroundGroup?: number;
  /**
   * The resolved executable of a tree process (readlink /proc/PID/exe), asked lazily and
   * only when argv names no runtime. Not enumerable: never serialised or compared.
   */
  exeOf?: (pid: number) => string | null;
}

// The heartbeat's facts are defined with the protocol (src/heartbeat/).
export type { HeartbeatInvalidReason, HeartbeatObservation, HeartbeatRecord } from "../heartbeat/index.js";
