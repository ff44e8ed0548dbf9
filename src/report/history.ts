import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, writeSync } from "node:fs";
import { writeFileAtomic, flockFd } from "../system/index.js";
import type { ReportInput, Verdict } from "./input.js";

// A JSON-lines file of past runs so the HTML report can chart fleet health over time.
// The file is append-only: each run adds one line with one O_APPEND write, so
// concurrent cron runs never interleave or tear each other's lines.

/** One run of `fleet report`, as one line of the history file. */
export interface HistoryEntry {
  observedAt: string;
  fleet: string;
  /** Whose view and where (older lines may lack them). */
  tenant_id?: string;
  host?: string;
  agents: number;
  compliant: number;
  nonCompliant: number;
  unknown: number;
  unmanaged: number;
  verdict: Verdict;
}

/** How many past runs a report reads back (and compaction keeps). */
export const HISTORY_LIMIT = 500;
/** A history line is ~200 bytes; read at most this much from the end of the file. */
const TAIL_BYTES = 1 << 20;
/** Past this size, appending also rewrites the file down to the last HISTORY_LIMIT runs. */
const COMPACT_BYTES = 4 << 20;
const VERDICTS: readonly string[] = ["COMPLIANT", "NONCOMPLIANT", "UNKNOWN"];

/** The history line for this run. */
export function historyEntry(input: ReportInput): HistoryEntry {
  const { status, summary } = input;
  return {
    observedAt: status.observedAt,
    fleet: status.fleet,
    tenant_id: status.tenant_id,
    host: status.host,
    agents: summary.agents,
    compliant: summary.compliant,
    nonCompliant: summary.nonCompliant,
    unknown: summary.unknown,
    unmanaged: summary.unmanaged,
    verdict: summary.verdict,
  };
}

const COUNT_FIELDS = ["agents", "compliant", "nonCompliant", "unknown", "unmanaged"] as const;

/** A parsed line, or null when it is not a well-formed entry. */
function parseEntry(line: string): HistoryEntry | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  const { observedAt, fleet, verdict } = record;
  if (typeof observedAt !== "string" || Number.isNaN(Date.parse(observedAt))) return null;
  if (typeof fleet !== "string" || typeof verdict !== "string" || !VERDICTS.includes(verdict)) return null;
  for (const field of COUNT_FIELDS) {
    const count = record[field];
    if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) return null;
  }
  const entry = record as unknown as HistoryEntry;
  const text = (v: unknown) => (typeof v === "string" && v.length <= 256 ? v : undefined);
  return {
    observedAt,
    fleet,
    ...(text(record["tenant_id"]) !== undefined ? { tenant_id: text(record["tenant_id"]) } : {}),
    ...(text(record["host"]) !== undefined ? { host: text(record["host"]) } : {}),
    verdict: verdict as Verdict,
    agents: entry.agents,
    compliant: entry.compliant,
    nonCompliant: entry.nonCompliant,
    unknown: entry.unknown,
    unmanaged: entry.unmanaged,
  };
}

/** The file's last `maxBytes`, starting at a line boundary; "" when it does not exist. */
function readTail(path: string, maxBytes: number): string {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO in its place must not hang the report waiting for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw error;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`history file ${path} is not a regular file`);
    const length = Math.min(stat.size, maxBytes);
    const start = stat.size - length;
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const n = readSync(fd, buffer, filled, length - filled, start + filled);
      if (n === 0) break;
      filled += n;
    }
    let text = buffer.subarray(0, filled).toString("utf8");
    // Reading from the middle of the file: the first line is probably a fragment.
    if (start > 0) text = text.slice(text.indexOf("\n") + 1);
    return text;
  } finally {
    closeSync(fd);
  }
}

/**
 * Past runs, oldest first: at most `limit`, malformed lines skipped, a missing file is
 * an empty history. With `fleet`, only that fleet's runs.
 */
export function readHistory(path: string, options: { limit?: number; fleet?: string } = {}): HistoryEntry[] {
  const limit = options.limit ?? HISTORY_LIMIT;
  const entries: HistoryEntry[] = [];
  for (const line of readTail(path, TAIL_BYTES).split("\n")) {
    if (line.trim() === "") continue;
    const entry = parseEntry(line);
    if (entry && (options.fleet === undefined || entry.fleet === options.fleet)) entries.push(entry);
  }
  return limit > 0 ? entries.slice(-limit) : [];
}

/**
 * Add one run as one JSON line in a single O_APPEND write (atomic against other
 * appenders), under a shared flock so that compaction — which rewrites the file under
 * the exclusive lock — never loses a line appended meanwhile: an appender that waited on
 * the old file while it was replaced notices (another inode at the path) and appends
 * to the new one.
 */
export async function appendHistory(path: string, entry: HistoryEntry): Promise<void> {
  const line = Buffer.from(`${JSON.stringify(historyLine(entry))}\n`, "utf8");
  let size: number;
  for (let attempt = 0; ; attempt += 1) {
    const fd = openHistory(path);
    try {
      const locked = await flockFd(fd, "shared", LOCK_WAIT_MS);
      if (!locked.ok) throw new Error(`cannot lock history file ${path}: ${locked.message}`);
      if (!sameFile(fd, path)) {
        if (attempt < 20) continue;
        throw new Error(`history file ${path} keeps being replaced; not appending`);
      }
      const written = writeSync(fd, line);
      if (written !== line.length) throw new Error(`short write to history file ${path}`);
      size = fstatSync(fd).size;
      break;
    } finally {
      closeSync(fd);
    }
  }
  if (size > COMPACT_BYTES) await compactHistory(path);
}

/** How long a history writer waits for another's compaction. */
const LOCK_WAIT_MS = 30_000;

function openHistory(path: string): number {
  let fd: number;
  try {
    // O_NOFOLLOW: never append through a planted symlink; O_NONBLOCK: a FIFO fails, not hangs.
    fd = openSync(
      path,
      constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
      0o644,
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP")
      throw new Error(`history file ${path} is a symbolic link; refusing to append through it`, { cause: error });
    if (code === "ENXIO") throw new Error(`history file ${path} is not a regular file`, { cause: error });
    throw error;
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    throw new Error(`history file ${path} is not a regular file`);
  }
  return fd;
}

/** Whether the open file is still the one at `path` (not replaced by a compaction). */
function sameFile(fd: number, path: string): boolean {
  const open = fstatSync(fd);
  const named = lstatSync(path, { throwIfNoEntry: false });
  return named !== undefined && named.ino === open.ino && named.dev === open.dev;
}

/** Only the entry's own fields, in a stable order. */
function historyLine(entry: HistoryEntry): HistoryEntry {
  const { observedAt, fleet, tenant_id, host, agents, compliant, nonCompliant, unknown, unmanaged, verdict } = entry;
  return { observedAt, fleet, tenant_id, host, agents, compliant, nonCompliant, unknown, unmanaged, verdict };
}

/**
 * Rewrite the file to its last HISTORY_LIMIT runs, under the exclusive lock (no append
 * in between), keeping its mode and owner. Best effort: the run is already recorded, so
 * a compaction that cannot run only costs space.
 */
async function compactHistory(path: string): Promise<void> {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return;
  }
  try {
    const locked = await flockFd(fd, "exclusive", 2_000);
    if (!locked.ok || !sameFile(fd, path)) return; // another run is compacting, or just did
    const kept = readHistory(path)
      .map((entry) => `${JSON.stringify(historyLine(entry))}\n`)
      .join("");
    writeFileAtomic(path, kept);
  } finally {
    closeSync(fd);
  }
}
