import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync } from "node:fs";
import { dirname } from "node:path";
import { MAX_HEARTBEAT_BYTES as MAX_BYTES, parseHeartbeat } from "./grammar.js";
import { heartbeatFileName } from "./layout.js";
import type { HeartbeatInvalidReason, HeartbeatObservation } from "./types.js";

// The heartbeat reader reads `<runDir>/<name>.hb` files and reports facts only; the
// diff engine decides healthy or stale. Agent processes write the run directory, so
// every file is treated as hostile: no symlinks followed, no FIFO opened blocking, no
// unbounded read, nothing trusted that another user could have written.

export interface HeartbeatReadOptions {
  /** The uid that must own the run dir and every heartbeat; default: our own. */
  uid?: number;
}

// O_NONBLOCK: opening a FIFO must not wait for a writer. O_NOFOLLOW: a symlink fails with ELOOP.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Observe one heartbeat file, vetting its directory first (one extra lstat). */
export function readHeartbeat(path: string, opts: HeartbeatReadOptions = {}): HeartbeatObservation {
  const uid = opts.uid ?? process.getuid?.();
  return checkRunDir(dirname(path), uid) ?? readHeartbeatFile(path, uid, Buffer.allocUnsafe(MAX_BYTES + 1));
}

/** Observe the whole fleet's heartbeats: the run dir is vetted once, then one open+fstat+read per agent. */
export function readHeartbeats(
  runDir: string,
  names: readonly string[],
  opts: HeartbeatReadOptions = {},
): Map<string, HeartbeatObservation> {
  const uid = opts.uid ?? process.getuid?.();
  const dirVerdict = checkRunDir(runDir, uid);
  const before = dirVerdict ? null : dirIdentity(runDir);
  const present = dirVerdict ? null : listDir(runDir);
  const buffer = Buffer.allocUnsafe(MAX_BYTES + 1);
  const observations = new Map<string, HeartbeatObservation>();
  // Concatenated, not path.join()ed: names are plain file names (checked in readNamed),
  // and join's normalisation cost ~5 µs per agent.
  const prefix = runDir.endsWith("/") ? runDir : `${runDir}/`;
  for (const name of names) {
    observations.set(name, dirVerdict ? { ...dirVerdict } : readNamed(prefix, name, uid, buffer, present));
  }
  // Check, read, check again: files are opened by path, so a directory swapped while we
  // read (for a world-writable one of forged heartbeats) must void what was read.
  if (before !== null) {
    const after = dirIdentity(runDir);
    // Removed meanwhile: nothing there now. Replaced, or made unsafe: nothing read counts.
    const verdict =
      after === null
        ? { state: "missing" as const }
        : after !== before || checkRunDir(runDir, uid) !== null
          ? invalid("Untrusted", `run directory ${runDir} was replaced while it was being read`)
          : null;
    if (verdict) for (const name of names) observations.set(name, { ...verdict });
  }
  return observations;
}

/** A directory's identity (device and inode), to notice it being swapped. */
function dirIdentity(dir: string): string | null {
  const stat = lstatSync(dir, { throwIfNoEntry: false });
  return stat ? `${stat.dev}:${stat.ino}` : null;
}

/** One readdir spares a throwing open() per absent agent (ENOENT costs ~10 µs in Node); null: open each. */
function listDir(dir: string): Set<string> | null {
  try {
    return new Set(readdirSync(dir));
  } catch {
    return null;
  }
}

function readNamed(
  prefix: string,
  name: string,
  uid: number | undefined,
  buffer: Buffer,
  present: Set<string> | null,
): HeartbeatObservation {
  // Roster names are already validated (docs/roster.md); this only keeps a bad caller inside runDir.
  if (name === "" || name.includes("/") || name.includes("\0")) {
    return invalid("ReadError", `agent name ${JSON.stringify(name)} is not a plain file name`);
  }
  const file = heartbeatFileName(name);
  if (present && !present.has(file)) return { state: "missing" };
  return readHeartbeatFile(`${prefix}${file}`, uid, buffer);
}

/** Whether the run directory can be trusted: null if so, else what every agent gets. */
export function checkRunDir(dir: string, uid: number | undefined): HeartbeatObservation | null {
  let st;
  try {
    st = lstatSync(dir, { throwIfNoEntry: false });
  } catch (err) {
    return invalid("ReadError", `run directory ${dir} cannot be read (${errorCode(err)})`);
  }
  if (st === undefined) return { state: "missing" };
  if (st.isSymbolicLink()) return invalid("Untrusted", `run directory ${dir} is a symlink`);
  if (!st.isDirectory()) return invalid("Untrusted", `run directory ${dir} is not a directory`);
  if (uid !== undefined && st.uid !== uid) {
    return invalid("Untrusted", `run directory ${dir} is owned by uid ${st.uid}, not ${uid}`);
  }
  if (st.mode & 0o022) return invalid("Untrusted", `run directory ${dir} is group- or world-writable`);
  return null;
}

/** A writer renames a complete file into place, so a bad read gets exactly one more try. */
function readHeartbeatFile(path: string, uid: number | undefined, buffer: Buffer): HeartbeatObservation {
  const first = readOnce(path, uid, buffer);
  if (first.state !== "invalid" || first.reason !== "Malformed") return first;
  return readOnce(path, uid, buffer);
}

function readOnce(path: string, uid: number | undefined, buffer: Buffer): HeartbeatObservation {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (err) {
    return openFailure(path, errorCode(err), uid);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return invalid("NotRegularFile", `${path} is not a regular file`);
    if (st.size > MAX_BYTES) return tooLarge(path);
    if (uid !== undefined && st.uid !== uid)
      return invalid("Untrusted", `${path} is owned by uid ${st.uid}, not ${uid}`);
    if (st.mode & 0o022) return invalid("Untrusted", `${path} is group- or world-writable`);
    const length = readUpTo(fd, buffer, st.size);
    if (length > MAX_BYTES) return tooLarge(path); // it grew after fstat
    const text = buffer.toString("latin1", 0, length); // one char per byte: nothing hides in decoding
    if (text === "") return invalid("Malformed", `${path} is empty`);
    if (!text.endsWith("\n")) return invalid("Malformed", `${path} does not end in a newline (torn write?)`);
    const parsed = parseHeartbeat(text);
    if (!parsed.ok) return invalid("Malformed", `${path}: ${parsed.message}`);
    return { state: "present", record: parsed.record, mtimeMs: st.mtimeMs };
  } catch (err) {
    return invalid("ReadError", `${path} cannot be read (${errorCode(err)})`);
  } finally {
    closeQuietly(fd);
  }
}

/** A failed close of a read-only fd loses nothing; it must not turn a fact into a crash. */
function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // nothing to recover
  }
}

/** Read until fstat's size is reached (one read, normally); each read may take up to the cap, so growth shows. */
function readUpTo(fd: number, buffer: Buffer, size: number): number {
  let total = 0;
  while (total < size && total < buffer.length) {
    const n = readSync(fd, buffer, total, buffer.length - total, null);
    if (n === 0) break;
    total += n;
  }
  return total;
}

function openFailure(path: string, code: string, uid: number | undefined): HeartbeatObservation {
  switch (code) {
    case "EACCES": {
      // Unreadable to us because someone else owns it: that is untrusted, not merely unreadable.
      const owner = lstatSync(path, { throwIfNoEntry: false })?.uid;
      if (owner !== undefined && uid !== undefined && owner !== uid)
        return invalid("Untrusted", `${path} is owned by uid ${owner}, not ${uid}`);
      return invalid("ReadError", `${path} cannot be opened (${code})`);
    }
    case "ENOENT":
      return { state: "missing" };
    case "ELOOP": // Linux O_NOFOLLOW on a symlink
    case "EMLINK": // the BSDs
      return invalid("Symlink", `${path} is a symlink`);
    case "ENXIO": // a unix socket cannot be opened
      return invalid("NotRegularFile", `${path} is not a regular file`);
    default:
      return invalid("ReadError", `${path} cannot be opened (${code})`);
  }
}

function tooLarge(path: string): HeartbeatObservation {
  return invalid("TooLarge", `${path} is larger than ${MAX_BYTES} bytes`);
}

function invalid(reason: HeartbeatInvalidReason, message: string): HeartbeatObservation {
  return { state: "invalid", reason, message };
}

function errorCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : String(err);
}
