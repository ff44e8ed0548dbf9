import {
  DEFAULT_PROC_ROOT,
  bootTimeSec,
  isPid,
  resolvedExecutable,
  scanProcesses,
  toInfo,
  type ProcOptions,
  type ProcessIndex,
} from "../system/index.js";
import type { ProcessInfo, ProcessTree } from "./types.js";

// The process observer: pane root pids in, process trees out, from one scan of procfs
// (src/system/procfs.ts reads it).

// Breadth-first from the root; `seen` guards against ppid links that a racing scan
// could make look circular.
function treeOf(procRoot: string, bootSec: number, index: ProcessIndex, rootPid: number): ProcessTree | null {
  const rootStat = index.stats.get(rootPid);
  const root = rootStat === undefined ? null : toInfo(procRoot, bootSec, rootStat);
  if (root === null) return null;
  const processes = [root];
  const seen = new Set([rootPid]);
  for (let i = 0; i < processes.length; i += 1) {
    const parent = processes[i] as ProcessInfo;
    for (const stat of index.children.get(parent.pid) ?? []) {
      if (seen.has(stat.pid)) continue;
      seen.add(stat.pid);
      const info = toInfo(procRoot, bootSec, stat);
      if (info !== null) processes.push(info);
    }
  }
  // The terminal's foreground process group leader, as tmux finds pane_current_command.
  const tpgid = rootStat?.tpgid;
  const foreground = tpgid !== undefined && tpgid > 0 ? processes.find((p) => p.pid === tpgid) : undefined;
  const tree: ProcessTree = foreground ? { root, processes, foreground } : { root, processes };
  if (tpgid !== undefined && tpgid > 0) tree.foregroundGroup = tpgid;
  Object.defineProperty(tree, "exeOf", {
    value: (pid: number) => (seen.has(pid) ? resolvedExecutable(pid, { procRoot }) : null),
    enumerable: false,
  });
  return tree;
}

/** One scan of procfs: every live process's stat, indexed by pid and parent. */
export interface ProcessTable {
  procRoot: string;
  bootSec: number;
  index: ProcessIndex;
}

/**
 * Scan procfs once (stat files only; argv is read later, for tree members). Separate
 * from building trees so the scan can run while tmux is still answering.
 * Throws only when procfs itself cannot be listed or has no btime.
 */
export function scanProcessTable(opts: ProcOptions = {}): ProcessTable {
  const procRoot = opts.procRoot ?? DEFAULT_PROC_ROOT;
  return { procRoot, bootSec: bootTimeSec(procRoot), index: scanProcesses(procRoot) };
}

/** Each root's process tree (root first, then descendants breadth-first); null for a root that is gone. */
export function treesFrom(table: ProcessTable, rootPids: readonly number[]): Map<number, ProcessTree | null> {
  const trees = new Map<number, ProcessTree | null>();
  for (const pid of rootPids) {
    if (!trees.has(pid)) trees.set(pid, isPid(pid) ? treeOf(table.procRoot, table.bootSec, table.index, pid) : null);
  }
  return trees;
}

/** Whether pid had exited but was not yet reaped (a zombie) at the scan. */
export function zombieInTable(table: ProcessTable, pid: number): boolean {
  return table.index.zombies.has(pid);
}

/** One process from the table (argv read now); null if it was not alive at the scan. */
export function processFromTable(table: ProcessTable, pid: number): ProcessInfo | null {
  const stat = table.index.stats.get(pid);
  return stat === undefined ? null : toInfo(table.procRoot, table.bootSec, stat);
}

/**
 * Every pane's process tree (root first, then descendants breadth-first, zombies left
 * out) from ONE scan of procfs for the whole fleet; null for a root that is gone.
 * Throws only when procfs itself cannot be listed or has no btime.
 */
export function observeProcessTrees(
  rootPids: readonly number[],
  opts: ProcOptions = {},
): Map<number, ProcessTree | null> {
  return treesFrom(scanProcessTable(opts), rootPids);
}
