import { existsSync, readdirSync, readFileSync } from "node:fs";
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
   * process new since the last look; a full scan when there was none yet.
   */
  rescan(roots: readonly number[], pids: readonly number[]): ProcessIndex {
    const previous = this.index;
    if (previous === null) return this.full();
    const listed = new Set<number>();
    for (const name of readdirSync(this.procRoot)) {
      const first = name.charCodeAt(0);
      if (first >= 48 && first <= 57) listed.add(Number(name));
    }
    const stats = new Map(previous.stats);
    const zombies = new Set(previous.zombies);
    const again = new Set<number>();
    for (const pid of [...stats.keys()]) if (!listed.has(pid)) stats.delete(pid);
    for (const pid of [...zombies])
      if (listed.has(pid)) again.add(pid);
      else zombies.delete(pid);
    for (const pid of listed) if (!stats.has(pid) && !zombies.has(pid)) again.add(pid);
    // Orphans: a process whose parent is gone has a new parent now.
    for (const stat of stats.values()) if (stat.ppid > 1 && !stats.has(stat.ppid)) again.add(stat.pid);
    // The named trees as cached: each member's state and parent may have changed.
    for (const pid of pids) again.add(pid);
    const walked = new Set<number>();
    const queue = [...roots];
    for (let pid = queue.pop(); pid !== undefined; pid = queue.pop()) {
      if (walked.has(pid)) continue;
      walked.add(pid);
      again.add(pid);
      for (const child of previous.children.get(pid) ?? []) queue.push(child.pid);
    }
    for (const pid of again) {
      const stat = listed.has(pid) ? readStat(this.procRoot, pid) : null;
      stats.delete(pid);
      zombies.delete(pid);
      if (stat === null) continue;
      if (isExitedState(stat.state)) zombies.add(stat.pid);
      else stats.set(stat.pid, stat);
    }
    // Children re-indexed as the full scan indexes them: oldest first.
    const children = new Map<number, ProcStat[]>();
    for (const stat of stats.values()) {
      const siblings = children.get(stat.ppid);
      if (siblings === undefined) children.set(stat.ppid, [stat]);
      else siblings.push(stat);
    }
    for (const siblings of children.values()) siblings.sort((a, b) => a.startTicks - b.startTicks || a.pid - b.pid);
    this.index = { stats, children, zombies };
    return this.index;
  }
}

/**
 * Whether pid still has a /proc entry: one access(2), no file opened, no signal sent
 * (the watch looks at every pane's process many times a second; a zombie still counts).
 */
export function pidListed(pid: number, procRoot = "/proc"): boolean {
  return existsSync(`${procRoot}/${pid}`);
}
