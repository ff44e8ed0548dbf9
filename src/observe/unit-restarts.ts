import { lstatSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { cacheFileName, readPrivateJson, writePrivateJson } from "../cache/index.js";
import type { UnitRestarts } from "./types.js";

// How often systemd restarted each unit (NRestarts, Result, the main process's last
// exit), for the CrashLoop condition (docs/conditions.md). `list-units` does not carry
// these, and `systemctl show` costs ~0.75 ms per unit (380 ms at 500 units), so they are
// asked only for the units whose run changed since the last look: a unit's run is named
// by its invocation ID, which the manager publishes as the symlink
// $XDG_RUNTIME_DIR/systemd/units/invocation:UNIT (read without a subprocess), plus its
// ActiveState/SubState from list-units. A steady fleet makes no extra call; a restart
// makes one `show` for the units that restarted, whatever the fleet size.

export const RESTART_PROPERTIES = [
  "Id",
  "NRestarts",
  "Result",
  "ExecMainCode",
  "ExecMainStatus",
  "ExecMainStartTimestamp",
];

/** The directory where the manager publishes each running unit's invocation link. */
function linksDir(runtimeDir: string): string {
  return `${runtimeDir}/systemd/units`;
}

/** A unit's invocation ID as its link names it; "" when not running (or not published). */
export function readInvocation(runtimeDir: string | undefined, unit: string): string {
  if (!runtimeDir) return "";
  try {
    // Concatenated, not path.join: this runs once per unit (join's normalizing showed in profiles).
    return readlinkSync(`${linksDir(runtimeDir)}/invocation:${unit}`);
  } catch {
    return "";
  }
}

/** How old the links directory's last change must be before its stamp is trusted. */
export const LINKS_SETTLED_MS = 2000;

/**
 * The links directory's identity and last change (device, inode, mtime, ctime), or null
 * when it cannot vouch for its links: missing, or changed less than LINKS_SETTLED_MS
 * ago. The manager creates, replaces (a rename) and removes an invocation link on
 * every start, restart and stop, and each changes the directory's mtime and ctime; so
 * while the stamp is the same, every link reads as it did (the invocation IDs
 * remembered with it stand in for ~500 readlinks at 500 units). Timestamps are coarse
 * (a clock tick), so a change in the same tick as the one the stamp shows would leave it
 * the same: a stamp is trusted only once its change is LINKS_SETTLED_MS old, and it is
 * taken before the links are read (a change while reading makes the next stamp differ).
 */
export function linksStamp(runtimeDir: string | undefined, nowMs = Date.now()): string | null {
  if (!runtimeDir) return null;
  try {
    const dir = lstatSync(linksDir(runtimeDir), { bigint: true });
    if (!dir.isDirectory()) return null;
    const changedMs = Number((dir.mtimeNs > dir.ctimeNs ? dir.mtimeNs : dir.ctimeNs) / 1_000_000n);
    if (nowMs - changedMs < LINKS_SETTLED_MS) return null;
    return [dir.dev, dir.ino, dir.mtimeNs, dir.ctimeNs].join(":");
  } catch {
    return null;
  }
}

/** What decides whether a unit's restart facts may have changed: its run (invocation) and states. */
export function runKey(invocation: string, active: string, sub: string): string {
  return `${invocation}/${active}/${sub}`;
}

/** The invocation ID a run key was made from. */
export function invocationOf(run: string): string {
  const slash = run.indexOf("/");
  return slash < 0 ? "" : run.slice(0, slash);
}

/** CLD_* codes of waitid(2), as systemctl show prints ExecMainCode. */
function exitKind(code: string): UnitRestarts["lastExit"]["kind"] {
  switch (code) {
    case "1":
      return "exited";
    case "2":
      return "killed";
    case "3":
      return "dumped";
    default:
      return "none";
  }
}

/** `systemctl show --timestamp=unix -p …` blocks → restart facts by unit name. */
export function parseRestarts(stdout: string): Map<string, UnitRestarts> {
  const found = new Map<string, UnitRestarts>();
  for (const block of stdout.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
    }
    const id = fields.get("Id");
    const count = Number(fields.get("NRestarts") ?? "");
    if (!id || !Number.isSafeInteger(count) || count < 0) continue;
    const status = Number(fields.get("ExecMainStatus") ?? "");
    const started = /^@(\d+)$/.exec(fields.get("ExecMainStartTimestamp") ?? "");
    found.set(id, {
      count,
      result: fields.get("Result") ?? "",
      lastExit: {
        kind: exitKind(fields.get("ExecMainCode") ?? ""),
        status: Number.isSafeInteger(status) ? status : null,
      },
      mainStartedAtMs: started ? Number(started[1]) * 1000 : null,
    });
  }
  return found;
}

interface CachedRuns {
  key: string;
  /** linksStamp() when the runs' invocations were read; null when it vouched for nothing. */
  links?: string | null;
  units: Record<string, { run: string; restarts: UnitRestarts }>;
}

/** What a manager instance's restart cache holds. */
export interface RestartCache {
  links: string | null;
  units: Map<string, { run: string; restarts: UnitRestarts }>;
}

function fileName(instance: string): string {
  return cacheFileName("restarts", instance);
}

/** The restart facts remembered for this manager instance, by unit, with the run they belong to. */
export function readRestartCache(dir: string, instance: string, uid: number): RestartCache {
  const cached = readPrivateJson(join(dir, fileName(instance)), uid) as CachedRuns | null;
  if (cached?.key !== instance || typeof cached.units !== "object" || cached.units === null)
    return { links: null, units: new Map() };
  const valid = Object.entries(cached.units).filter(
    ([, entry]) => typeof entry?.run === "string" && Number.isSafeInteger(entry.restarts?.count),
  );
  return { links: typeof cached.links === "string" ? cached.links : null, units: new Map(valid) };
}

/** Remember the restart facts of each unit with its run key. */
export function storeRestartCache(dir: string, instance: string, { links, units }: RestartCache): void {
  const entry: CachedRuns = { key: instance, links, units: Object.fromEntries(units) };
  writePrivateJson(dir, fileName(instance), entry);
}
