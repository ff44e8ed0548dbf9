import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import type { RosterProblem } from "./problems.js";
import type { FleetSpec } from "./resolve.js";

// Reading the roster file, apart from parsing it: cheap, no YAML or schema code, so the
// roster cache can check a file without loading the parser.

export const MAX_ROSTER_BYTES = 512 * 1024;

export type RosterResult = { ok: true; fleet: FleetSpec } | { ok: false; problems: RosterProblem[] };

function fileProblem(file: string, message: string, code: RosterProblem["code"] = "FileUnreadable"): RosterResult {
  return { ok: false, problems: [{ code, file, line: 0, col: 0, message }] };
}

/** Read the roster text with a size cap; a directory, FIFO or missing path is a problem. */
export function readRosterText(file: string): { ok: true; text: string } | { ok: false; result: RosterResult } {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : `cannot open (${code ?? "error"})`;
    return { ok: false, result: fileProblem(file, `${why}; give a roster with --roster FILE or MOSAIC_ROSTER`) };
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return { ok: false, result: fileProblem(file, "is a directory, not a roster file") };
    if (!stat.isFile()) return { ok: false, result: fileProblem(file, "is not a regular file") };
    if (stat.size > MAX_ROSTER_BYTES) {
      return {
        ok: false,
        result: fileProblem(
          file,
          `is ${stat.size} bytes; a roster may be at most ${MAX_ROSTER_BYTES} bytes`,
          "FileTooLarge",
        ),
      };
    }
    const buffer = Buffer.alloc(Math.min(stat.size, MAX_ROSTER_BYTES) + 1);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    if (length > MAX_ROSTER_BYTES) {
      return { ok: false, result: fileProblem(file, `is larger than ${MAX_ROSTER_BYTES} bytes`, "FileTooLarge") };
    }
    return { ok: true, text: buffer.subarray(0, length).toString("utf8") };
  } catch (error) {
    return {
      ok: false,
      result: fileProblem(file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`),
    };
  } finally {
    closeSync(fd);
  }
}
