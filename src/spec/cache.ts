import { unlinkSync } from "node:fs";
import { join } from "node:path";
import { cacheFileName, readPrivateJson, writePrivateJson } from "../cache/index.js";
import { readRosterText, STDIN_ROSTER, type RosterFile, type RosterResult } from "./read.js";
import type { FleetSpec, MachineFacts } from "./resolve.js";
import type { RuntimeSpec } from "./runtimes.js";

// The resolved fleet of a roster already validated, keyed by the roster's path (the file
// opened, never its label), its exact bytes, this build of mosaic, and the machine facts
// its defaults used. A hit skips the YAML
// parser and the schema entirely (tens of ms for a 500-agent roster, plus their import
// cost) — `fleet ps` runs from cron every few minutes on rosters that rarely change.
// `fleet validate` never uses it.

declare const __MOSAIC_BUILD__: string | undefined;
const BUILD = typeof __MOSAIC_BUILD__ === "string" ? __MOSAIC_BUILD__ : `dev-${process.pid}-${Date.now()}`;

interface CachedFleet {
  /** Everything the fleet was resolved from, compared in full: the build, the facts, the absolute path and the roster's text. */
  key: string[];
  fleet: Omit<FleetSpec, "runtimes"> & { runtimes: [string, RuntimeSpec][] };
}

function sameKey(a: unknown, b: readonly string[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((part, i) => part === b[i]);
}

function readCached(path: string, key: readonly string[], uid: number): FleetSpec | null {
  const cached = readPrivateJson(path, uid) as CachedFleet | null;
  if (
    !sameKey(cached?.key, key) ||
    !cached ||
    !Array.isArray(cached.fleet?.agents) ||
    !Array.isArray(cached.fleet.runtimes)
  )
    return null;
  return { ...cached.fleet, hosts: cached.fleet.hosts ?? [], runtimes: new Map(cached.fleet.runtimes) };
}

function writeCached(dir: string, name: string, key: readonly string[], fleet: FleetSpec): void {
  const entry: CachedFleet = { key: [...key], fleet: { ...fleet, runtimes: [...fleet.runtimes] } };
  writePrivateJson(dir, name, entry);
}

/**
 * Load a roster, from the cache when its path, bytes, this build and the facts are
 * unchanged. The fleet carries `file.label` whichever directory the entry was written
 * from. A roster on standard input (`fleet observe -f -`: what another host's mosaic
 * sends over ssh, the same bytes on every pass) has an entry of its own, keyed by its bytes.
 */
export async function loadRosterCached(
  file: RosterFile,
  facts: MachineFacts,
  cacheDir: string | null,
  uid: number,
): Promise<RosterResult> {
  const read = readRosterText(file);
  if (!read.ok) return read.result;
  const dir = cacheDir;
  const key = [BUILD, facts.user, facts.hostname, file.path, read.text];
  const name = cacheFileName(file.path === STDIN_ROSTER.path ? "roster-text" : "roster", file.path);
  if (dir !== null) {
    const hit = readCached(join(dir, name), key, uid);
    if (hit) return { ok: true, fleet: { ...hit, file: file.label } };
  }
  const { parseRoster } = await import("./load.js");
  const result = parseRoster(file.label, read.text, facts);
  if (result.ok && dir !== null) writeCached(dir, name, key, result.fleet);
  return result;
}

/** Remove the cached fleet of `file` (an absolute path), if the entry there is that roster's. */
export function dropCachedRoster(file: string, cacheDir: string | null, uid: number): void {
  if (cacheDir === null) return;
  const path = join(cacheDir, cacheFileName("roster", file));
  const cached = readPrivateJson(path, uid) as CachedFleet | null;
  // The entry's name already says which absolute path it was written for; the path it
  // stores guards against a name collision.
  if (!Array.isArray(cached?.key) || cached.key[3] !== file) return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}
