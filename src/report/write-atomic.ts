import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

// `--output FILE`: written to a temp file beside it, flushed, then renamed over it, so a
// reader (node_exporter, a CI step) sees the old report or the new one, never half.

/** Null on success, else one sentence saying why FILE could not be written. */
export function writeFileAtomic(file: string, text: string): string | null {
  const dir = dirname(file);
  try {
    if (!statSync(dir).isDirectory()) return `cannot write ${file}: ${dir} is not a directory`;
  } catch {
    return `cannot write ${file}: directory ${dir} does not exist`;
  }
  try {
    if (statSync(file).isDirectory()) return `cannot write ${file}: it is a directory`;
  } catch {
    // Does not exist yet: fine.
  }
  const temp = join(dir, `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, "wx", 0o644);
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, file);
    return null;
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // Never created.
    }
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "EACCES" || code === "EPERM"
        ? "permission denied"
        : code === "EROFS"
          ? "read-only file system"
          : code === "ENOSPC"
            ? "no space left"
            : (error as Error).message;
    return `cannot write ${file}: ${why}`;
  }
}
