import { lstatSync, mkdirSync } from "node:fs";
import { UserError } from "../cli/exit-codes.js";

// The heartbeat run directory is where agents and observers meet; a directory another
// user could write into would let them forge liveness, so writers refuse it.

/** Create `dir` (0700) if missing, then refuse it unless it is ours and private. */
export function ensurePrivateRunDir(dir: string, uid: number = process.getuid?.() ?? 0): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (stat.isSymbolicLink() || !stat.isDirectory()) {
    throw new UserError(`refusing heartbeat directory ${dir}: it is not a real directory`);
  }
  if (stat.uid !== uid) {
    throw new UserError(`refusing heartbeat directory ${dir}: owned by uid ${stat.uid}, not ${uid}`);
  }
  if ((stat.mode & 0o022) !== 0) {
    throw new UserError(
      `refusing heartbeat directory ${dir}: mode ${(stat.mode & 0o777).toString(8)} is group/world-writable (chmod 700 it)`,
    );
  }
}
