// Types of proc.mjs (plain JavaScript so that bench/ can import it too).

/** The one-letter scheduler state of pid (R, S, T, Z …), or null when gone. */
export function pidState(pid: number): string | null;
/** True while pid exists and is not a zombie. */
export function pidAlive(pid: number): boolean;
/** pid's start time in clock ticks since boot, "" when gone. */
export function startTicks(pid: number): string;
/** Live children of pid, read from /proc (zombies left out). */
export function childPids(pid: number): number[];
/** A process named by its pid and start time (a pid handed out again is another process). */
export interface ProcessId {
  pid: number;
  start: string;
}
/** Every live descendant of pid, each with its start time. One /proc scan. */
export function descendantsOf(pid: number): ProcessId[];
/** Whether that process is still running (same pid and start time, not a zombie). */
export function stillRunning(process: ProcessId): boolean;
/** argv of pid from /proc, or [] when it is gone. */
export function argvOf(pid: number): string[];
export function sleep(ms: number): Promise<void>;
/** Poll `check` until it holds (true) or the deadline passes (false). */
export function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, stepMs?: number): Promise<boolean>;
/** Hierarchies systemd tracks processes in (cgroup2, v1 name=systemd) that we can enter. */
export function trackingHierarchies(): string[];
/** Every pid in the cgroups under `dirs`. */
export function cgroupPids(dirs: readonly string[]): number[];
/** Remove the cgroup trees under `dirs`, deepest first; a busy one stays. */
export function removeCgroupTrees(dirs: readonly string[]): void;

export interface ReaperOptions {
  /** Our tmux server: kill-server on this socket in this TMUX_TMPDIR. */
  tmux?: { socket: string; dir: string };
  /** Our systemd manager, by pid and start time (startTicks). */
  manager?: { pid: number; start: string };
  /** A file holding "PID START" of a manager started after the watcher. */
  managerFile?: string;
  /** Also clean up as soon as the manager is gone, not only when we are. */
  followManager?: boolean;
  /** A shell script to run (after the cgroups are emptied). */
  script?: string;
  /** Our temporary root, removed last. */
  root?: string;
  /** cgroup directories whose processes are killed and which are removed. */
  cgroups?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

export interface Reaper {
  readonly pid: number | undefined;
  /** End the watcher (the normal cleanup has run). */
  stop(): void;
}

/** Start the detached cleanup watcher for the resources named. */
export function startReaper(options: ReaperOptions): Reaper;
