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
}

// Field numbers from proc(5), counted from the first field after comm (field 3).
const STATE_FIELD = 3;
const PPID_FIELD = 4;
const TPGID_FIELD = 8;
const STARTTIME_FIELD = 22;
const FIRST_FIELD_AFTER_COMM = 3;

/** Parse one /proc/PID/stat line; comm may hold spaces and ")", so split at the LAST ")". */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 1 || close < open) return null;
  const pid = toInt(text.slice(0, open).trim());
  // Only fields 3..22 are needed: take them without splitting the whole (52-field) line,
  // which the scan does for every process on the host.
  const rest = fieldsAfterComm(text, close + 1, STARTTIME_FIELD - FIRST_FIELD_AFTER_COMM + 1);
  const state = rest[STATE_FIELD - FIRST_FIELD_AFTER_COMM];
  const ppid = toInt(rest[PPID_FIELD - FIRST_FIELD_AFTER_COMM]);
  const tpgid = toInt(rest[TPGID_FIELD - FIRST_FIELD_AFTER_COMM]);
  const startTicks = toInt(rest[STARTTIME_FIELD - FIRST_FIELD_AFTER_COMM]);
  if (pid === null || ppid === null || startTicks === null) return null;
  if (state === undefined || state.length !== 1) return null;
  const stat: ProcStat = { pid, ppid, comm: text.slice(open + 1, close), state, startTicks };
  if (tpgid !== null) stat.tpgid = tpgid;
  return stat;
}

/** The first `count` whitespace-separated fields from `from`. */
function fieldsAfterComm(text: string, from: number, count: number): string[] {
  const fields: string[] = [];
  let i = from;
  while (fields.length < count && i < text.length) {
    while (i < text.length && (text[i] === " " || text[i] === "\n" || text[i] === "\t")) i += 1;
    let end = i;
    while (end < text.length && text[end] !== " " && text[end] !== "\n" && text[end] !== "\t") end += 1;
    if (end > i) fields.push(text.slice(i, end));
    i = end;
  }
  return fields;
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
 * `process.title`) and is split on spaces; trailing NUL padding is dropped.
 */
export function parseCmdline(buf: Buffer): string[] {
  let end = buf.length;
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
