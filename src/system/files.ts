import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync,
  type Stats,
} from "node:fs";
import { basename, dirname, join } from "node:path";

// Files mosaic writes in place of others' (reports, histories, heartbeats, probes):
// one atomic writer and one bounded reader, so every caller gets the same rules
// (docs/threat-model.md, "Output targets"):
// - only a regular file is ever replaced; a device, FIFO, socket, directory, symbolic
//   link or a file with other hard links is refused and left exactly as it was;
// - a replaced file keeps its mode and owner;
// - a reader sees the old content or the new, never half (temp file + fsync + rename +
//   fsync of the directory).

export type WriteResult = { ok: true } | { ok: false; message: string };

/** `-` and `/dev/stdout` name standard output, not a file to replace. */
export function isStdoutPath(path: string): boolean {
  return path === "-" || path === "/dev/stdout";
}

function kindOf(stat: Stats): string {
  if (stat.isSymbolicLink()) return "a symbolic link";
  if (stat.isDirectory()) return "a directory";
  if (stat.isFIFO()) return "a FIFO";
  if (stat.isSocket()) return "a socket";
  if (stat.isCharacterDevice()) return "a character device";
  if (stat.isBlockDevice()) return "a block device";
  return "not a regular file";
}

/**
 * Why `path` must not be replaced, or null when it is absent or a plain regular file
 * (one link) that can be. Nothing is followed: a link is judged as a link.
 */
export function replaceRefusal(path: string): string | null {
  let stat: Stats;
  try {
    stat = lstatSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    if (code === "ENOTDIR") return `${dirname(path)} is not a directory`;
    return (error as Error).message;
  }
  if (!stat.isFile()) return `it is ${kindOf(stat)}; only a regular file is ever replaced`;
  if (stat.nlink > 1) return `it has ${stat.nlink} hard links; replacing it would split them`;
  return null;
}

function errnoWords(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EROFS") return "read-only file system";
  if (code === "ENOSPC") return "no space left";
  if (code === "ENOENT") return "its directory does not exist";
  if (code === "ENOTDIR") return "a part of its path is not a directory";
  return (error as Error).message;
}

export interface AtomicWriteOptions {
  /** Mode of a new file (an existing file keeps its own). Default 0644. */
  mode?: number;
  /** false: skip the fsyncs (a cache, which may be lost in a crash). Default true. */
  durable?: boolean;
  /**
   * false: the new file gets `mode` and our ownership even when it replaces one (a
   * private cache entry that someone loosened or chowned is not kept so). Default true.
   */
  keepModeAndOwner?: boolean;
  /**
   * true: replace whatever entry is at the path — a symlink is replaced, never written
   * through — for files in a private directory of ours (a heartbeat in the run
   * directory) where a planted entry is to be removed, not respected. Default false:
   * only a regular file is replaced (output targets the user named).
   */
  replaceAnyEntry?: boolean;
}

/**
 * Replace `path` with `data` atomically, under the rules above. Never throws; the
 * message is one sentence naming the file.
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): WriteResult {
  const fail = (why: string): WriteResult => ({ ok: false, message: `cannot write ${path}: ${why}` });
  const dir = dirname(path);
  try {
    if (!lstatSync(dir, { throwIfNoEntry: false })) return fail(`directory ${dir} does not exist`);
  } catch (error) {
    return fail(errnoWords(error));
  }
  const refusal = options.replaceAnyEntry ? null : replaceRefusal(path);
  if (refusal) return fail(refusal);
  const before = lstatSync(path, { throwIfNoEntry: false }) ?? null;

  removeDeadTemps(dir, basename(path));
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    if (before && before.isFile() && options.keepModeAndOwner !== false) {
      const mine = fstatSync(fd);
      if (before.uid !== mine.uid || before.gid !== mine.gid) {
        try {
          fchownSync(fd, before.uid, before.gid);
        } catch {
          throw Object.assign(new Error(`it belongs to uid ${before.uid}; replacing it would change its owner`), {
            code: "EOWNER",
          });
        }
      }
      fchmodSync(fd, before.mode & 0o777);
    } else {
      fchmodSync(fd, (options.mode ?? 0o644) & ~currentUmask());
    }
    if (options.durable !== false) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    // Whatever is at the path now (another writer may have replaced it) must still be
    // a plain regular file, or nothing.
    const late = options.replaceAnyEntry ? null : replaceRefusal(path);
    if (late) throw Object.assign(new Error(late), { code: "ERACE" });
    renameSync(temp, path);
    if (options.durable !== false) syncDirectory(dir);
    return { ok: true };
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // Never created, or already renamed.
    }
    const code = (error as NodeJS.ErrnoException).code;
    return fail(code === "EOWNER" || code === "ERACE" ? (error as Error).message : errnoWords(error));
  }
}

/**
 * Temp files of this writer left by a process that died mid-write (SIGKILL, a crash):
 * named `.NAME.PID.RANDOM.tmp`, removed once PID no longer runs. Never anything else.
 */
function removeDeadTemps(dir: string, name: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  const prefix = `.${name}.`;
  for (const entry of entries) {
    if (!entry.startsWith(prefix) || !entry.endsWith(".tmp")) continue;
    const match = /^(\d+)\.[a-z0-9]+\.tmp$/.exec(entry.slice(prefix.length));
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || processRuns(pid)) continue;
    try {
      const stat = lstatSync(join(dir, entry));
      if (stat.isFile() && stat.uid === (process.geteuid?.() ?? stat.uid)) unlinkSync(join(dir, entry));
    } catch {
      // Gone already, or not ours to remove.
    }
  }
}

/** Whether a process with this pid exists (by /proc, not by a signal). */
function processRuns(pid: number): boolean {
  return lstatSync(`/proc/${pid}`, { throwIfNoEntry: false }) !== undefined;
}

let umaskCache: number | undefined;
function currentUmask(): number {
  if (umaskCache === undefined) {
    // process.umask() without an argument is deprecated; set-and-restore reads it.
    const mask = process.umask(0o022);
    process.umask(mask);
    umaskCache = mask;
  }
  return umaskCache;
}

/** fsync a directory so a rename in it survives a crash (best effort). */
export function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic.
  }
}

export type ReadResult =
  { ok: true; bytes: Buffer; stat: Stats; truncated: boolean } | { ok: false; missing: boolean; message: string };

/**
 * Read at most `maxBytes` of a regular file without following a final symlink and
 * without blocking on a FIFO; anything else is refused with a reason.
 */
export function readFileBounded(path: string, maxBytes: number): ReadResult {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { ok: false, missing: true, message: `${path} does not exist` };
    if (code === "ELOOP") return { ok: false, missing: false, message: `${path} is a symbolic link` };
    return { ok: false, missing: false, message: `cannot read ${path}: ${errnoWords(error)}` };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { ok: false, missing: false, message: `${path} is ${kindOf(stat)}` };
    const length = Math.min(stat.size, maxBytes);
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const n = readSync(fd, buffer, filled, length - filled, filled);
      if (n === 0) break;
      filled += n;
    }
    return { ok: true, bytes: buffer.subarray(0, filled), stat, truncated: stat.size > maxBytes };
  } finally {
    closeSync(fd);
  }
}
