import { closeSync, constants, fstatSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { readFileBounded } from "./files.js";
import { runCommand } from "./run.js";

// Locks that a dead holder never keeps: flock(2) on an open file, which the kernel drops
// the moment the holding process dies — SIGKILL included — so there is no staleness to
// guess and no takeover race. Node has no flock, so the system's flock(1) takes it on a
// descriptor we pass it (fd 3); the lock belongs to the open file description we keep,
// and lasts until we close it. One subprocess per lock, never on `fleet ps`'s path.

export type LockMode = "exclusive" | "shared";

export type FlockResult = { ok: true } | { ok: false; busy: boolean; message: string };

/** Lock the open file `fd`, waiting up to `timeoutMs` (0: do not wait). */
export async function flockFd(fd: number, mode: LockMode, timeoutMs: number): Promise<FlockResult> {
  const wait = timeoutMs <= 0 ? ["-n"] : ["-w", (timeoutMs / 1000).toFixed(3)];
  const result = await runCommand(["flock", mode === "shared" ? "-s" : "-x", ...wait, "3"], {
    fds: [fd],
    timeoutMs: Math.max(timeoutMs, 0) + 5_000,
  });
  if (result.ok) return { ok: true };
  // flock(1) exits 1 when the lock was not free in time (-n / -w).
  if (result.exitCode === 1 && !result.timedOut) return { ok: false, busy: true, message: "held by another process" };
  return { ok: false, busy: false, message: result.message };
}

/** A held named lock: close it to release (death releases it too). */
export interface HeldLock {
  release(): void;
}

export type NamedLockResult =
  | { ok: true; lock: HeldLock }
  | { ok: false; busy: true; holder: string | null; message: string }
  | { ok: false; busy: false; message: string };

/**
 * Take the exclusive lock file `path` (created 600 if missing; a symlink, or anything
 * not a regular file of ours, is refused). The holder writes who it is into the file,
 * so a waiter can say who holds it — always a live process, as flock guarantees.
 */
export async function acquireLock(path: string, timeoutMs: number, what: string): Promise<NamedLockResult> {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ELOOP" ? "it is a symbolic link" : ((error as Error).message ?? String(error));
    return { ok: false, busy: false, message: `cannot open lock ${path}: ${why}` };
  }
  const stat = fstatSync(fd);
  const uid = process.geteuid?.() ?? stat.uid;
  if (!stat.isFile() || stat.uid !== uid) {
    closeSync(fd);
    return { ok: false, busy: false, message: `refusing lock ${path}: not a regular file of uid ${uid}` };
  }
  const taken = await flockFd(fd, "exclusive", timeoutMs);
  if (!taken.ok) {
    closeSync(fd);
    if (!taken.busy) return { ok: false, busy: false, message: `cannot lock ${path}: ${taken.message}` };
    return { ok: false, busy: true, holder: readHolder(path), message: taken.message };
  }
  try {
    ftruncateSync(fd, 0);
    writeSync(fd, `pid=${process.pid} what=${what.replace(/\s+/g, "_")} since=${Math.floor(Date.now() / 1000)}\n`, 0);
  } catch {
    // Who holds it is only for messages.
  }
  let open = true;
  return {
    ok: true,
    lock: {
      release() {
        if (!open) return;
        open = false;
        try {
          ftruncateSync(fd, 0);
        } catch {
          // Released all the same by the close.
        }
        closeSync(fd);
      },
    },
  };
}

/** The holder line a lock file carries (bounded), or null. */
function readHolder(path: string): string | null {
  const read = readFileBounded(path, 200);
  if (!read.ok) return null;
  const line = read.bytes.toString("utf8").split("\n")[0]?.trim() ?? "";
  return line === "" ? null : line;
}
