import { lstatSync, mkdirSync } from "node:fs";

// The heartbeat run directory is where agents and observers meet; a directory another
// user could write into would let them forge liveness, so writers refuse it.

/** A run directory a writer will not use; the CLI shows the message as a usage error. */
export class RunDirRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunDirRefused";
  }
}

/** Create `dir` (0700) if missing, then refuse it unless it is ours and private. */
export function ensurePrivateRunDir(dir: string, uid: number = process.getuid?.() ?? 0): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (stat.isSymbolicLink() || !stat.isDirectory()) {
    throw new RunDirRefused(`refusing heartbeat directory ${dir}: it is not a real directory`);
  }
  if (stat.uid !== uid) {
    throw new RunDirRefused(`refusing heartbeat directory ${dir}: owned by uid ${stat.uid}, not ${uid}`);
  }
  if ((stat.mode & 0o022) !== 0) {
    throw new RunDirRefused(
      `refusing heartbeat directory ${dir}: mode ${(stat.mode & 0o777).toString(8)} is group/world-writable (chmod 700 it)`,
    );
  }
}
