import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { readProcess } from "../system/procfs.js";

// One holder at a time, and a dead holder never keeps the lock (docs/commands.md,
// `fleet apply`). The lock file names its holder by pid AND process start time (field 22
// of /proc/PID/stat), so a holder killed with SIGKILL, or whose pid was reused by an
// unrelated process, is recognised as gone at once — no mtime guess like
// proper-lockfile's, which keeps a dead holder's lock for its whole staleness period.
//
// Taking it: the holder line is written to a private temp file, then hard-linked to the
// lock path: link() fails if the path exists, so the lock file is never seen half
// written. Breaking a dead holder's lock is serialised by a second lock (`PATH.break`,
// the same protocol), so two processes that both find the same dead holder cannot both
// delete the lock — one of them could otherwise delete the other's fresh lock.

/** Who holds a lock: a process identified by pid and start time (clock ticks since boot). */
export interface LockHolder {
  pid: number;
  startTicks: number;
}

export type LockAttempt =
  { acquired: true; release: () => void } | { acquired: false; holder: LockHolder; path: string };

/** The holder named by a lock file's text, or null when the text is not a holder line. */
export function parseHolder(text: string): LockHolder | null {
  const match = /^(\d{1,10}) (\d{1,20})\n$/.exec(text);
  if (!match) return null;
  const pid = Number(match[1]);
  const startTicks = Number(match[2]);
  return pid > 0 && Number.isSafeInteger(startTicks) ? { pid, startTicks } : null;
}

/** The running process `pid` as a holder (its start time read from /proc). */
export function selfHolder(pid: number = process.pid): LockHolder {
  const info = readProcess(pid);
  if (info === null) throw new Error(`cannot read /proc/${pid}/stat`);
  return { pid, startTicks: info.startTicks };
}

/** Whether the holder is still the same running process (not gone, not a reused pid). */
export function holderAlive(holder: LockHolder): boolean {
  const info = readProcess(holder.pid);
  return info !== null && info.startTicks === holder.startTicks;
}

type Read = { state: "missing" } | { state: "held"; text: string; holder: LockHolder | null };

function readLock(path: string): Read {
  try {
    const text = readFileSync(path, "utf8");
    return { state: "held", text, holder: parseHolder(text) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { state: "missing" };
    throw error;
  }
}

/** link() a complete holder file to `path`; false when `path` already exists. */
function linkHolder(path: string, me: LockHolder): boolean {
  const temp = join(dirname(path), `.${me.pid}.${me.startTicks}.${Math.random().toString(36).slice(2)}.tmp`);
  writeFileSync(temp, `${me.pid} ${me.startTicks}\n`, { mode: 0o600, flag: "wx" });
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    unlinkSync(temp);
  }
}

/** Remove `path` only if it still holds exactly `text`; false if it changed or is gone. */
function unlinkIfUnchanged(path: string, text: string): void {
  const now = readLock(path);
  if (now.state === "held" && now.text === text) unlinkSync(path);
}

/** Release: remove the lock file only while it is still ours. */
function releaser(path: string, me: LockHolder): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    try {
      unlinkIfUnchanged(path, `${me.pid} ${me.startTicks}\n`);
    } catch {
      // Already gone: nothing to release.
    }
  };
}

/**
 * Try once to take the lock at `path` (its directory is created, mode 700). A lock whose
 * holder is dead is broken and taken; a live holder's is reported, never waited for.
 */
export function tryLock(path: string, me: LockHolder = selfHolder()): LockAttempt {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // Each pass either takes the lock, finds a live holder, or removes one dead holder's
  // file; a few passes cover a lock that changes hands while we look.
  for (let pass = 0; pass < 8; pass += 1) {
    if (linkHolder(path, me)) return { acquired: true, release: releaser(path, me) };
    const seen = readLock(path);
    if (seen.state === "missing") continue; // released between our link and our read
    if (seen.holder !== null && holderAlive(seen.holder)) return { acquired: false, holder: seen.holder, path };
    breakDeadLock(path, seen.text, me);
  }
  const last = readLock(path);
  const holder = last.state === "held" ? last.holder : null;
  return { acquired: false, holder: holder ?? { pid: 0, startTicks: 0 }, path };
}

/** Delete a dead holder's lock file, under the `.break` lock so only one process does. */
function breakDeadLock(path: string, deadText: string, me: LockHolder): void {
  const breaker = `${path}.break`;
  for (let pass = 0; pass < 4; pass += 1) {
    if (linkHolder(breaker, me)) {
      try {
        unlinkIfUnchanged(path, deadText);
      } finally {
        releaser(breaker, me)();
      }
      return;
    }
    const seen = readLock(breaker);
    if (seen.state === "missing") continue;
    // A live breaker is doing the job; a dead one (killed in its few microseconds) is
    // removed like any dead holder's file.
    if (seen.holder !== null && holderAlive(seen.holder)) return;
    try {
      unlinkIfUnchanged(breaker, seen.text);
    } catch {
      // Someone else removed it first.
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Take the lock, waiting up to `timeoutMs` for a live holder to finish (0: try once). */
export async function acquireLock(path: string, timeoutMs: number): Promise<LockAttempt> {
  const me = selfHolder();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const attempt = tryLock(path, me);
    if (attempt.acquired || Date.now() >= deadline) return attempt;
    await sleep(20 + Math.random() * 30);
  }
}
