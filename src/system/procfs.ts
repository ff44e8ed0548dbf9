import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from "node:fs";
import { isExitedState, parseBootTime, parseCmdline, parseProcStat, startedAtMs, type ProcStat } from "./proc-stat.js";
import type { ProcessInfo } from "../observe/index.js";

// procfs, read in one place: stat lines, argv, start times, executables, the whole-host
// scan and the per-thread syscall reader — with synchronous fs calls. Measured on 3 000
// stat files: open/read/close with fs/promises took 71–97 ms against 41–65 ms for
// readFileSync, so the sync path stays. The process observer (observe/proc.ts) builds
// trees from what this reads.

/** Where to read procfs; tests and the benchmark may point it elsewhere. */
export interface ProcOptions {
  procRoot?: string;
}

export const DEFAULT_PROC_ROOT = "/proc";

// One scratch buffer for every read: a stat line is < 1 KiB and comes in one read().
let scratch = Buffer.allocUnsafe(64 * 1024);
let filesRead = 0;

/** How many /proc files were opened so far, so the benchmark can show reads stay linear. */
export function procFilesRead(): number {
  return filesRead;
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

// A process that exits between listing and reading is an ordinary race, not an error.
const GONE = new Set(["ENOENT", "ESRCH"]);
// hidepid= or a setuid process: the entry exists but is not ours to read.
const DENIED = new Set(["EACCES", "EPERM"]);

/**
 * Read a small procfs file into the shared scratch buffer; returns its length, valid
 * until the next read. No copy: the caller decodes what it needs straight away (the
 * scan reads ~1 000 files per run, and a Buffer per file showed up as GC time).
 */
function readProcFile(path: string): number | "gone" | "denied" {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    return classify(error);
  }
  filesRead += 1;
  try {
    let length = 0;
    for (;;) {
      if (length === scratch.length) scratch = Buffer.concat([scratch, Buffer.allocUnsafe(scratch.length)]);
      const n = readSync(fd, scratch, length, scratch.length - length, null);
      length += n;
      // procfs hands over a small file in one read; only a full buffer may have more.
      if (n === 0 || length < scratch.length) break;
    }
    return length;
  } catch (error) {
    return classify(error);
  } finally {
    closeSync(fd);
  }
}

/** A procfs text file as a string (stat lines, /proc/stat), or why it could not be read. */
function readProcText(path: string): string | null {
  const length = readProcFile(path);
  return typeof length === "string" ? null : scratch.toString("utf8", 0, length);
}

function classify(error: unknown): "gone" | "denied" {
  const code = errorCode(error);
  if (code !== undefined && GONE.has(code)) return "gone";
  if (code !== undefined && DENIED.has(code)) return "denied";
  throw error;
}

function readStat(procRoot: string, pid: number): ProcStat | null {
  const text = readProcText(`${procRoot}/${pid}/stat`);
  return text === null ? null : parseProcStat(text);
}

const bootTimes = new Map<string, number>();

// btime moves only with wall-clock steps, so one read per run is enough.
export function bootTimeSec(procRoot: string): number {
  const cached = bootTimes.get(procRoot);
  if (cached !== undefined) return cached;
  const text = readProcText(`${procRoot}/stat`);
  const btime = text === null ? null : parseBootTime(text);
  if (btime === null) throw new Error(`cannot read btime from ${procRoot}/stat`);
  bootTimes.set(procRoot, btime);
  return btime;
}

// Joins a stat with its argv; null when the process vanished before its cmdline was read.
export function toInfo(procRoot: string, bootSec: number, stat: ProcStat): ProcessInfo | null {
  const cmdline = readProcFile(`${procRoot}/${stat.pid}/cmdline`);
  if (cmdline === "gone") return null;
  const argv = cmdline === "denied" ? [] : parseCmdline(scratch, cmdline);
  return {
    pid: stat.pid,
    ppid: stat.ppid,
    startTicks: stat.startTicks,
    startedAtMs: startedAtMs(bootSec, stat.startTicks),
    comm: stat.comm,
    argv,
    ...(stat.pgid !== undefined ? { pgid: stat.pgid } : {}),
    ...(stat.sid !== undefined ? { sid: stat.sid } : {}),
  };
}

/** Where /proc/PID/exe points (the program really executed); null when gone or not ours. */
export function resolvedExecutable(pid: number, opts: ProcOptions = {}): string | null {
  if (!isPid(pid)) return null;
  try {
    // A replaced binary reads "/path (deleted)": the path is still what ran.
    return readlinkSync(`${opts.procRoot ?? DEFAULT_PROC_ROOT}/${pid}/exe`).replace(/ \(deleted\)$/, "");
  } catch {
    return null;
  }
}

export function isPid(pid: number): boolean {
  return Number.isSafeInteger(pid) && pid > 0;
}

function liveStat(procRoot: string, pid: number): ProcStat | null {
  const stat = isPid(pid) ? readStat(procRoot, pid) : null;
  return stat === null || isExitedState(stat.state) ? null : stat;
}

/** One process for single-pid checks (a heartbeat's writer, pid reuse); null if gone or a zombie. */
export function readProcess(pid: number, opts: ProcOptions = {}): ProcessInfo | null {
  const procRoot = opts.procRoot ?? DEFAULT_PROC_ROOT;
  const stat = liveStat(procRoot, pid);
  return stat === null ? null : toInfo(procRoot, bootTimeSec(procRoot), stat);
}

/** Whether pid is a running process; a zombie has exited and counts as dead. */
export function processAlive(pid: number, opts: ProcOptions = {}): boolean {
  return liveStat(opts.procRoot ?? DEFAULT_PROC_ROOT, pid) !== null;
}

/** Every live process's stat, indexed by pid and parent, from one scan. */
export interface ProcessIndex {
  stats: Map<number, ProcStat>;
  /** Processes that exited and wait to be reaped (Z): left out of trees, kept to be named. */
  zombies: Set<number>;
  /** ppid → live children, oldest first. */
  children: Map<number, ProcStat[]>;
}

// Why a full scan and not /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN), measured
// here (2 vCPU VM, kernel 6.18, Node 20, median of 7):
//   1 000 roots × 3 processes, ~3 080 on host: scan 64–104 ms / 6 085 files;
//     children walk 91 ms / 9 000 files + 3 000 task readdirs.
//   200 node roots (≈7 threads each) × 3, 676 on host: scan 16 ms, children 33 ms.
//   10 roots × 3 among 3 109 on host: scan 49 ms, children 0.9 ms.
// The walk pays a readdir plus one children file per *thread* of every tree process,
// so it only wins when the fleet is a small part of the host; at fleet scale the scan
// wins and it needs no kernel option, so there is nothing to fall back from.
export function scanProcesses(procRoot: string): ProcessIndex {
  const stats = new Map<number, ProcStat>();
  const children = new Map<number, ProcStat[]>();
  const zombies = new Set<number>();
  for (const name of readdirSync(procRoot)) {
    const first = name.charCodeAt(0);
    if (first < 48 || first > 57) continue; // only /proc/[0-9]*
    const stat = readStat(procRoot, Number(name));
    if (stat === null) continue;
    if (isExitedState(stat.state)) {
      zombies.add(stat.pid);
      continue;
    }
    stats.set(stat.pid, stat);
    const siblings = children.get(stat.ppid);
    if (siblings === undefined) children.set(stat.ppid, [stat]);
    else siblings.push(stat);
  }
  for (const siblings of children.values()) siblings.sort((a, b) => a.startTicks - b.startTicks || a.pid - b.pid);
  return { stats, children, zombies };
}

// --- the input-wait reader (agent send): which thread of the pane's foreground group blocks on its tty ---

// Syscalls a program blocks in while it waits for input, by architecture:
// read-like (fd is the first argument), epoll (the watched fds are in fdinfo), and
// poll/select (arguments are pointers we cannot read: judged by whether stdin is the tty).
const SYSCALLS: Record<string, { read: ReadonlySet<number>; epoll: ReadonlySet<number>; poll: ReadonlySet<number> }> = {
  x64: { read: new Set([0, 17, 19]), epoll: new Set([232, 281, 441]), poll: new Set([7, 23, 270, 271]) },
  arm64: { read: new Set([63, 65, 67]), epoll: new Set([22, 441]), poll: new Set([72, 73]) },
};

function fdIsTty(pid: string, fd: number, tty: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/fd/${fd}`) === tty;
  } catch {
    return false;
  }
}

/** The fds an epoll instance watches (`tfd:` lines of its fdinfo). */
function epollTargets(pid: string, epfd: number): number[] {
  try {
    return [...readFileSync(`/proc/${pid}/fdinfo/${epfd}`, "latin1").matchAll(/^tfd:\s+(\d+)/gm)].map((m) =>
      Number(m[1]),
    );
  } catch {
    return [];
  }
}

/** The threads of a process (/proc/PID/task): a reader of the terminal need not be the main one. */
function threadsOf(pid: string): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`).filter((tid) => /^\d+$/.test(tid));
  } catch {
    return [];
  }
}

/** Whether one thread is blocked reading the terminal (directly, in poll, or in an epoll watching it). */
function threadWaitsOnTty(
  pid: string,
  tid: string,
  tty: string,
  calls: { read: ReadonlySet<number>; epoll: ReadonlySet<number>; poll: ReadonlySet<number> },
): boolean {
  try {
    const stat = parseProcStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, "latin1"));
    if (stat?.state !== "S") return false;
    const [nr, arg0] = readFileSync(`/proc/${pid}/task/${tid}/syscall`, "latin1").split(" ");
    const syscall = Number(nr);
    const fd = Number.parseInt(arg0 ?? "", 16);
    // The fd table is shared by the threads: /proc/PID/fd and fdinfo answer for all of them.
    if (calls.read.has(syscall)) return fdIsTty(pid, fd, tty);
    if (calls.epoll.has(syscall)) return epollTargets(pid, fd).some((target) => fdIsTty(pid, target, tty));
    if (calls.poll.has(syscall)) return fdIsTty(pid, 0, tty);
  } catch {
    // Gone, or not ours to read.
  }
  return false;
}

/**
 * Whether a thread of a process in the pane's foreground process group is blocked
 * waiting for input from the pane's terminal right now — any thread, not only the main
 * one (codex reads its terminal on a thread of its own). For a line-mode program, after
 * Enter that means the line was consumed: `sleep` never reads, and a program idling in
 * epoll on other fds (a timer loop) is not waiting on the terminal. A full-screen
 * program reads its terminal all the time, so for it this proves nothing (send.ts).
 */
export function foregroundWaitingForInput(panePid: number, tty: string): boolean {
  const calls = SYSCALLS[process.arch];
  if (!calls || tty === "") return false;
  let tpgid: number;
  try {
    tpgid = parseProcStat(readFileSync(`/proc/${panePid}/stat`, "latin1"))?.tpgid ?? 0;
  } catch {
    return false;
  }
  if (!(tpgid > 0)) return false;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (parseProcStat(readFileSync(`/proc/${entry}/stat`, "latin1"))?.pgid !== tpgid) continue;
      if (threadsOf(entry).some((tid) => threadWaitsOnTty(entry, tid, tty, calls))) return true;
    } catch {
      // Gone, or not ours to read.
    }
  }
  return false;
}
