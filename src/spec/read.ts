import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { safeText } from "../terminal-text.js";
import type { RosterProblem } from "./problems.js";
import type { FleetSpec } from "./resolve.js";

// Reading the roster file, apart from parsing it: cheap, no YAML or schema code, so the
// roster cache can check a file without loading the parser.

export const MAX_ROSTER_BYTES = 512 * 1024;
/** `-f -`: a roster on standard input may be larger than a file (docs/commands.md, fleet observe). */
export const MAX_STDIN_ROSTER_BYTES = 1024 * 1024;

/**
 * Which roster to read, as the two things it must never be confused for: `path` is what
 * is opened and what keys the roster cache (an absolute path, or `-` for standard input);
 * `label` is how the operator is shown it and what names every problem's position
 * (FILE:LINE:COL; docs/roster.md). The label is the path as given, relative when under
 * the current directory, with control characters escaped: it is never opened.
 */
export interface RosterFile {
  readonly path: string;
  readonly label: string;
}

/** The roster on standard input (`-f -`). */
export const STDIN_ROSTER: RosterFile = { path: "-", label: "<stdin>" };

/** The roster at an absolute path, labelled with that path (escaped). */
export function rosterFileAt(path: string, label: string = path): RosterFile {
  return { path, label: safeText(label) };
}

export type RosterResult = { ok: true; fleet: FleetSpec } | { ok: false; problems: RosterProblem[] };

function fileProblem(file: string, message: string, code: RosterProblem["code"] = "FileUnreadable"): RosterResult {
  return { ok: false, problems: [{ code, file, line: 0, col: 0, message }] };
}

type ReadResult = { ok: true; text: string } | { ok: false; result: RosterResult };

/** Read the roster text with a size cap; a directory, FIFO or missing path is a problem, named by its label. */
export function readRosterText(roster: RosterFile): ReadResult {
  const file = roster.label;
  if (roster.path === STDIN_ROSTER.path) return readStdinText(file);
  let fd: number;
  try {
    fd = openSync(roster.path, constants.O_RDONLY | constants.O_NONBLOCK);
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

/** How long a read of a non-blocking stdin that had nothing waits before trying again. */
const STDIN_RETRY_MS = 10;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Block this thread for `ms` without spinning (the reader is synchronous). */
function pause(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Standard input, up to MAX_STDIN_ROSTER_BYTES. */
function readStdinText(file: string): ReadResult {
  const chunks: Buffer[] = [];
  let total = 0;
  const buffer = Buffer.alloc(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buffer, 0, buffer.length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A non-blocking stdin with nothing yet (a pipe or socket another process holds
      // open): wait a little and read again — never a busy loop that holds the CPU.
      if (code === "EAGAIN") {
        pause(STDIN_RETRY_MS);
        continue;
      }
      if (code === "EOF") break;
      return { ok: false, result: fileProblem(file, `cannot be read (${code ?? "error"})`) };
    }
    if (n === 0) break;
    total += n;
    if (total > MAX_STDIN_ROSTER_BYTES)
      return {
        ok: false,
        result: fileProblem(file, `is larger than ${MAX_STDIN_ROSTER_BYTES} bytes`, "FileTooLarge"),
      };
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  return { ok: true, text: Buffer.concat(chunks).toString("utf8") };
}
