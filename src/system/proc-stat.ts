// Pure parsers for the /proc text formats: no fs here, so every tricky case (a comm
// holding ") ", a rewritten argv) is tested without spawning anything.

/**
 * Clock ticks per second for /proc start times. The kernel reports them in USER_HZ,
 * which is fixed at 100 on x86_64 and arm64 whatever CONFIG_HZ is (sysconf(_SC_CLK_TCK)
 * says the same); Node cannot call sysconf, so it is a constant.
 */
export const CLOCK_TICKS_PER_SECOND = 100;

/** The fields of /proc/PID/stat that the observers use. */
export interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  /** One letter: R running, S sleeping, D disk wait, Z zombie, T stopped, X dead … */
  state: string;
  /** Field 22: start time in clock ticks since boot. */
  startTicks: number;
  /** Field 8: the foreground process group of the process's terminal (-1 or 0: none). */
  tpgid?: number;
  /** Field 5: the process group. */
  pgid?: number;
  /** Field 6: the session (a daemon that called setsid() has left its parent's). */
  sid?: number;
}

// Field numbers from proc(5), counted from the first field after comm (field 3).
const STATE_FIELD = 3;
const PPID_FIELD = 4;
const PGRP_FIELD = 5;
const SESSION_FIELD = 6;
const TPGID_FIELD = 8;
const STARTTIME_FIELD = 22;
const FIRST_FIELD_AFTER_COMM = 3;

/** Parse one /proc/PID/stat line; comm may hold spaces and ")", so split at the LAST ")". */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 1 || close < open) return null;
  const pid = toInt(text.slice(0, open).trim());
  // Only fields 3..22 are needed, and the scan parses a line for every process on the
  // host: walk the fields in place and decode just those six, no split, no substrings.
  let state: string | undefined;
  let ppid: number | null = null;
  let tpgid: number | null = null;
  let pgid: number | null = null;
  let sid: number | null = null;
  let startTicks: number | null = null;
  let field = FIRST_FIELD_AFTER_COMM;
  let i = close + 1;
  while (field <= STARTTIME_FIELD && i < text.length) {
    while (i < text.length && isBlank(text.charCodeAt(i))) i += 1;
    let end = i;
    while (end < text.length && !isBlank(text.charCodeAt(end))) end += 1;
    if (end === i) break;
    if (field === STATE_FIELD) state = text.slice(i, end);
    else if (field === PPID_FIELD) ppid = intIn(text, i, end);
    else if (field === PGRP_FIELD) pgid = intIn(text, i, end);
    else if (field === SESSION_FIELD) sid = intIn(text, i, end);
    else if (field === TPGID_FIELD) tpgid = intIn(text, i, end);
    else if (field === STARTTIME_FIELD) startTicks = intIn(text, i, end);
    field += 1;
    i = end;
  }
  if (pid === null || ppid === null || startTicks === null) return null;
  if (state === undefined || state.length !== 1) return null;
  const stat: ProcStat = { pid, ppid, comm: text.slice(open + 1, close), state, startTicks };
  if (tpgid !== null) stat.tpgid = tpgid;
  if (pgid !== null) stat.pgid = pgid;
  if (sid !== null) stat.sid = sid;
  return stat;
}

// Space, tab and newline separate the fields.
function isBlank(code: number): boolean {
  return code === 32 || code === 10 || code === 9;
}

/** The integer spelled by text[from, to) (an optional "-", then digits only), else null. */
function intIn(text: string, from: number, to: number): number | null {
  let i = from;
  const negative = text.charCodeAt(i) === 45;
  if (negative) i += 1;
  if (i === to) return null;
  let value = 0;
  for (; i < to; i += 1) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return null;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

/** Zombies (Z) and dead tasks (X) have exited; only their /proc entry remains. */
export function isExitedState(state: string): boolean {
  return state === "Z" || state === "X";
}

/** Boot time in unix seconds from the `btime` line of /proc/stat. */
export function parseBootTime(text: string): number | null {
  const match = /^btime\s+(\d+)\s*$/m.exec(text);
  return match?.[1] === undefined ? null : Number(match[1]);
}

/** Unix milliseconds at which a process started. */
export function startedAtMs(bootTimeSec: number, startTicks: number): number {
  return bootTimeSec * 1000 + Math.round((startTicks * 1000) / CLOCK_TICKS_PER_SECOND);
}

/**
 * argv from /proc/PID/cmdline (NUL-separated). Like psutil, a single argument holding
 * spaces is taken to be an argv the process rewrote into one string (setproctitle,
 * `process.title`) and is split on spaces; trailing NUL padding is dropped. `length`:
 * how much of `buf` holds the file (the scan reads into one reused buffer).
 */
export function parseCmdline(buf: Buffer, length = buf.length): string[] {
  let end = Math.min(length, buf.length);
  while (end > 0 && buf[end - 1] === 0) end -= 1;
  if (end === 0) return [];
  const args = buf.toString("utf8", 0, end).split("\0");
  const only = args[0];
  if (args.length === 1 && only !== undefined && only.includes(" ")) {
    return only.split(" ").filter((arg) => arg !== "");
  }
  return args;
}

function toInt(word: string | undefined): number | null {
  if (word === undefined || !/^-?\d+$/.test(word)) return null;
  return Number(word);
}
