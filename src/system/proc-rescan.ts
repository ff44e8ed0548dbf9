import { closeSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { isExitedState, parseProcStat, type ProcStat } from "./proc-stat.js";
import { scanProcesses, type ProcessIndex } from "./procfs.js";

// The process index `fleet ps --watch` keeps between its full passes (docs/commands.md,
// Watch). A full scan reads every /proc/PID/stat (tens of ms on a host of thousands of
// processes); when an event names a few agents, only what can have changed for them is
// read again: the pids that appeared since, the cached descendants of the named panes
// (their states and parents), the named extra pids (heartbeat writers), and every
// process whose parent went away (the kernel reparents it). The kernel has no
// /proc/PID/task/TID/children here (CONFIG_PROC_CHILDREN), so new children can only be
// found by listing /proc: one readdir.

function readStat(procRoot: string, pid: number): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`${procRoot}/${pid}/stat`, "utf8"));
  } catch {
    // Gone, or not ours to read: like the full scan, nothing is known of it.
    return null;
  }
}

/** Every live process's stat, kept up to date one rescan at a time. */
export class ProcessIndexCache {
  private index: ProcessIndex | null = null;

  constructor(readonly procRoot: string) {}

  /** A fresh full scan (what `fleet ps` reads); throws when /proc cannot be listed. */
  full(): ProcessIndex {
    this.index = scanProcesses(this.procRoot);
    return this.index;
  }

  /**
   * The index with the processes under `roots` (and `pids`) read again, plus every
   * process new since the last look; a full scan when there was none yet. Cheap when
   * nothing is named (one readdir): called every second, so that no pid can leave and
   * come back (pids are handed out cyclically) between two looks unnoticed.
   */
  rescan(roots: readonly number[], pids: readonly number[]): ProcessIndex {
    const index = this.index;
    if (index === null) return this.full();
    const { stats, zombies } = index;
    const listed = new Set<number>();
    for (const name of readdirSync(this.procRoot)) {
      const first = name.charCodeAt(0);
      if (first >= 48 && first <= 57) listed.add(Number(name));
    }
    let changed = false;
    const again = new Set<number>(pids);
    for (const pid of stats.keys())
      if (!listed.has(pid)) {
        stats.delete(pid);
        changed = true;
      }
    for (const pid of zombies)
      if (listed.has(pid)) again.add(pid);
      else zombies.delete(pid);
    for (const pid of listed) if (!stats.has(pid) && !zombies.has(pid)) again.add(pid);
    // Orphans: a process whose parent is gone has a new parent now.
    for (const stat of stats.values()) if (stat.ppid > 1 && !stats.has(stat.ppid)) again.add(stat.pid);
    // The named trees as indexed: each member's state and parent may have changed.
    const walked = new Set<number>();
    const queue = [...roots];
    for (let pid = queue.pop(); pid !== undefined; pid = queue.pop()) {
      if (walked.has(pid)) continue;
      walked.add(pid);
      again.add(pid);
      for (const child of index.children.get(pid) ?? []) queue.push(child.pid);
    }
    for (const pid of again) {
      const stat = listed.has(pid) ? readStat(this.procRoot, pid) : null;
      const before = stats.get(pid);
      stats.delete(pid);
      zombies.delete(pid);
      if (stat !== null && isExitedState(stat.state)) zombies.add(stat.pid);
      else if (stat !== null) stats.set(stat.pid, stat);
      if (before?.ppid !== stat?.ppid || before?.startTicks !== stat?.startTicks || stat === null) changed = true;
    }
    if (changed) index.children = childrenOf(stats);
    return index;
  }
}

/** Live children by parent, oldest first: as the full scan indexes them. */
function childrenOf(stats: Map<number, ProcStat>): Map<number, ProcStat[]> {
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats.values()) {
    const siblings = children.get(stat.ppid);
    if (siblings === undefined) children.set(stat.ppid, [stat]);
    else siblings.push(stat);
  }
  for (const siblings of children.values()) siblings.sort((a, b) => a.startTicks - b.startTicks || a.pid - b.pid);
  return children;
}

/**
 * A process the watch looks at many times a second (a pane's, a heartbeat's writer):
 * `exited()` re-reads its /proc/PID/statm, held open since the start — one pread of
 * ~1.4 µs, as cheap as kill(pid, 0), which a zombie passes. The read fails once the
 * process was reaped (even if its pid was handed out again since: the descriptor names
 * the process, not the number), and its size is 0 pages once it has let go of its
 * memory (exiting, or a zombie): a pane's process that its tmux server has not reaped
 * yet — tmux 3.3a can leave one for minutes — is seen at its next check. Without the
 * descriptor (gone already, or out of descriptors) kill(pid, 0) answers, a zombie
 * passing it.
 */
export class WatchedProcess {
  private fd: number | null;
  private static readonly scratch = Buffer.allocUnsafe(64);

  constructor(
    readonly pid: number,
    procRoot = "/proc",
  ) {
    try {
      this.fd = Number.isSafeInteger(pid) && pid > 0 ? openSync(`${procRoot}/${pid}/statm`, "r") : null;
    } catch {
      // Already gone, or out of file descriptors: kill(pid, 0) alone then.
      this.fd = null;
    }
  }

  /** Whether the process has exited (reaped, a zombie, or on its way). */
  exited(): boolean {
    if (this.fd === null) return !this.exists();
    try {
      const buffer = WatchedProcess.scratch;
      const length = readSync(this.fd, buffer, 0, buffer.length, 0);
      // statm is "size resident shared …" in pages: "0 " when the process has no memory left.
      return length < 2 || (buffer[0] === 0x30 && buffer[1] === 0x20);
    } catch {
      return true;
    }
  }

  /** kill(pid, 0): no signal is delivered (kill(2)); EPERM is another user's live process. */
  private exists(): boolean {
    if (!Number.isSafeInteger(this.pid) || this.pid <= 0) return false;
    try {
      process.kill(this.pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "EPERM";
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
