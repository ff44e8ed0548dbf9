import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { RosterResult } from "./read.js";
import { readRosterText } from "./read.js";
import type { FleetSpec, MachineFacts } from "./resolve.js";
import type { RuntimeSpec } from "./runtimes.js";

// The resolved fleet of a roster already validated, keyed by the roster's exact bytes,
// this build of mosaic, and the machine facts its defaults used. A hit skips the YAML
// parser and the schema entirely (tens of ms for a 500-agent roster, plus their import
// cost) — `fleet ps` runs from cron every few minutes on rosters that rarely change.
// `fleet validate` never uses it.

declare const __MOSAIC_BUILD__: string | undefined;
const BUILD = typeof __MOSAIC_BUILD__ === "string" ? __MOSAIC_BUILD__ : `dev-${process.pid}-${Date.now()}`;

interface CachedFleet {
  key: string;
  fleet: Omit<FleetSpec, "runtimes"> & { runtimes: [string, RuntimeSpec][] };
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Where cached fleets live: $XDG_CACHE_HOME/mosaic or ~/.cache/mosaic; null to disable. */
export function rosterCacheDir(env: NodeJS.ProcessEnv): string | null {
  if (env["MOSAIC_NO_CACHE"]) return null;
  const base = env["XDG_CACHE_HOME"] || (env["HOME"] ? join(env["HOME"], ".cache") : null);
  return base ? join(base, "mosaic") : null;
}

function readCached(path: string, key: string, uid: number): FleetSpec | null {
  try {
    const stat = lstatSync(path);
    // Our own private file only: anyone else's could claim any fleet.
    if (!stat.isFile() || stat.uid !== uid || (stat.mode & 0o077) !== 0) return null;
    const cached = JSON.parse(readFileSync(path, "utf8")) as CachedFleet;
    if (cached.key !== key || !Array.isArray(cached.fleet?.agents) || !Array.isArray(cached.fleet.runtimes)) return null;
    return { ...cached.fleet, runtimes: new Map(cached.fleet.runtimes) };
  } catch {
    return null;
  }
}

function writeCached(dir: string, path: string, key: string, fleet: FleetSpec): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temp = `${path}.${process.pid}.tmp`;
    const entry: CachedFleet = { key, fleet: { ...fleet, runtimes: [...fleet.runtimes] } };
    writeFileSync(temp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(temp, path);
  } catch {
    // A cache that cannot be written is only slower.
  }
}

/** Load a roster, from the cache when its bytes, this build and the facts are unchanged. */
export async function loadRosterCached(file: string, facts: MachineFacts, cacheDir: string | null, uid: number): Promise<RosterResult> {
  const read = readRosterText(file);
  if (!read.ok) return read.result;
  const key = sha256([BUILD, facts.user, facts.hostname, file, read.text].join("\u0000"));
  const path = cacheDir === null ? null : join(cacheDir, `roster-${sha256(resolve(file)).slice(0, 16)}.json`);
  if (path !== null) {
    const hit = readCached(path, key, uid);
    if (hit) return { ok: true, fleet: hit };
  }
  const { parseRoster } = await import("./load.js");
  const result = parseRoster(file, read.text, facts);
  if (result.ok && path !== null && cacheDir !== null) writeCached(cacheDir, path, key, result.fleet);
  return result;
}
