import { existsSync } from "node:fs";
import { runSystemctl, type UserManager, type Owner } from "../system/index.js";
import { classifyUnitPath, indexUnitFiles, serviceTypeOnDisk, templateOf, unitFileState } from "./unit-files.js";
import { managerInstanceKey, readUnitPath, storeUnitPath } from "./unit-path-cache.js";
import {
  invocationOf,
  linksStamp,
  parseRestarts,
  readInvocation,
  readRestartCache,
  RESTART_PROPERTIES,
  runKey,
  storeRestartCache,
  type RestartCache,
} from "./unit-restarts.js";
import type { SourceUnavailable, SystemdObservation, UnitRestarts, UnitState } from "./types.js";

// The invoking user's systemd manager in two calls whatever the fleet size:
// `list-units --output=json` (flat, ~5 ms at 500) for ActiveState/SubState of the loaded
// units, and `show -p UnitPath` for the search path from which UnitFileState is read
// on disk (see unit-files.ts). A unit missing from list-units is not loaded: inactive.
// The search path is fixed for the life of a manager, so with a cache it is asked once
// per manager instance (unit-path-cache.ts) and a run makes one call. Restart counts
// (NRestarts, for CrashLoop) are asked only for units whose run changed since the last
// look (unit-restarts.ts): none in a steady fleet, one `show` call otherwise.

interface SystemdObserveOptions {
  env: NodeJS.ProcessEnv;
  uid: number;
  timeoutMs?: number;
  systemctlBin?: string;
  /** The manager's owner when it is not us (root observing a tenant): systemctl runs as it. */
  as?: Owner | null;
  /** Where to remember the manager's UnitPath (files of `uid`, the invoking user); none: ask every time. */
  cache?: { dir: string; uid: number } | null;
}

/** Where the user manager lives: $XDG_RUNTIME_DIR, else /run/user/UID (cron has no env). */
export function userManagerEnv(env: NodeJS.ProcessEnv, uid: number): NodeJS.ProcessEnv | null {
  const runtimeDir = env["XDG_RUNTIME_DIR"];
  if (runtimeDir) return env;
  const guess = `/run/user/${uid}`;
  if (existsSync(`${guess}/systemd/private`) || existsSync(`${guess}/bus`)) return { ...env, XDG_RUNTIME_DIR: guess };
  return null;
}

/** `mosaic-agent@a.service` → pattern `mosaic-agent@*.service`: one pattern per template. */
function listUnitsPatterns(units: readonly string[]): string[] {
  const patterns = new Set<string>();
  for (const unit of units) {
    const template = templateOf(unit);
    patterns.add(template ? template.replace("@.", "@*.") : unit);
  }
  return [...patterns].sort();
}

interface ListedUnit {
  unit: string;
  load: string;
  active: string;
  sub: string;
}

/** Parse `systemctl list-units --output=json`. */
function parseListUnits(stdout: string): Map<string, ListedUnit> {
  const listed = new Map<string, ListedUnit>();
  const parsed: unknown = JSON.parse(stdout || "[]");
  if (!Array.isArray(parsed)) return listed;
  for (const entry of parsed) {
    if (typeof entry !== "object" || entry === null) continue;
    const { unit, load, active, sub } = entry as Record<string, unknown>;
    if (typeof unit !== "string") continue;
    const text = (value: unknown): string => (typeof value === "string" ? value : "");
    listed.set(unit, { unit, load: text(load), active: text(active), sub: text(sub) });
  }
  return listed;
}

function unavailable(
  result: { timedOut: boolean; notFound: boolean; stderr: string; exitCode: number | null },
  timeoutMs: number,
): SourceUnavailable {
  if (result.timedOut)
    return { ok: false, reason: "SystemdTimeout", message: `systemctl --user did not answer within ${timeoutMs} ms` };
  const why = result.notFound
    ? "systemctl is not installed"
    : result.stderr.trim().split("\n")[0] || `systemctl exited ${result.exitCode}`;
  return { ok: false, reason: "SystemdUnavailable", message: `no systemd user manager: ${why}` };
}

/** ActiveState, SubState, UnitFileState and LoadState of every unit named. */
export async function observeSystemd(
  units: readonly string[],
  options: SystemdObserveOptions,
): Promise<SystemdObservation | SourceUnavailable> {
  const env = userManagerEnv(options.env, options.uid);
  if (env === null) {
    return {
      ok: false,
      reason: "SystemdUnavailable",
      message: "no systemd user manager: XDG_RUNTIME_DIR is not set and /run/user/UID has none",
    };
  }
  const timeoutMs = options.timeoutMs ?? 3_000;
  const manager: UserManager = {
    env,
    timeoutMs,
    owner: options.as ?? null,
    ...(options.systemctlBin !== undefined ? { bin: options.systemctlBin } : {}),
  };
  const cache = options.cache ?? null;
  const instance = cache === null ? null : managerInstanceKey(env);
  const known = cache === null || instance === null ? null : readUnitPath(cache.dir, instance, cache.uid);
  const [listed, paths] = await Promise.all([
    runSystemctl(manager, [
      "list-units",
      "--all",
      "--no-pager",
      "--plain",
      "--output=json",
      "--",
      ...listUnitsPatterns(units),
    ]),
    known === null ? runSystemctl(manager, ["show", "--property=UnitPath", "--value"]) : null,
  ]);
  if (!listed.ok) return unavailable(listed, timeoutMs);
  if (paths !== null && !paths.ok) return unavailable(paths, timeoutMs);
  const unitPath = known ?? (paths?.stdout ?? "").trim().split(/\s+/).filter(Boolean);
  // Only a path systemctl just reported for a manager we could identify is remembered.
  if (
    known === null &&
    cache !== null &&
    instance !== null &&
    unitPath.length > 0 &&
    managerInstanceKey(env) === instance
  ) {
    storeUnitPath(cache.dir, instance, unitPath);
  }

  let loaded: Map<string, ListedUnit>;
  try {
    loaded = parseListUnits(listed.stdout);
  } catch {
    return {
      ok: false,
      reason: "SystemdUnavailable",
      message: "systemctl list-units printed something that is not JSON",
    };
  }
  const index = indexUnitFiles(classifyUnitPath(unitPath, env["XDG_RUNTIME_DIR"]));
  const states = new Map<string, UnitState>();
  for (const name of units) {
    const file = unitFileState(index, name);
    const live = loaded.get(name);
    states.set(name, {
      name,
      load: live?.load || file.load,
      active: live?.active || "inactive",
      sub: live?.sub || "dead",
      enabled: file.state,
    });
    const state = states.get(name);
    if (state && state.active === "active" && state.sub === "exited") {
      const type = serviceTypeOnDisk(index, name);
      if (type !== null) state.fileType = type;
    }
  }
  const restarts = await observeRestarts(states, { env, manager, cache, instance });
  for (const [name, facts] of restarts) {
    const state = states.get(name);
    if (state) state.restarts = facts;
  }
  return { ok: true, units: states };
}

/** NRestarts & co. of the loaded units: from the cache while their run is unchanged, else one `show`. */
async function observeRestarts(
  states: Map<string, UnitState>,
  options: {
    env: NodeJS.ProcessEnv;
    manager: UserManager;
    cache: { dir: string; uid: number } | null;
    instance: string | null;
  },
): Promise<Map<string, UnitRestarts>> {
  const { cache, instance } = options;
  const runtimeDir = options.env["XDG_RUNTIME_DIR"];
  // Taken before any link is read: a change while reading makes the next run's stamp differ.
  const links = cache && instance ? linksStamp(runtimeDir) : null;
  const remembered: RestartCache =
    cache && instance ? readRestartCache(cache.dir, instance, cache.uid) : { links: null, units: new Map() };
  // The links read as they did when the remembered runs were keyed: their invocation IDs stand in.
  const linksUnchanged = links !== null && remembered.links === links;
  const runs = new Map<string, { run: string; restarts: UnitRestarts }>();
  const ask: string[] = [];
  const runOf = new Map<string, string>();
  for (const state of states.values()) {
    if (state.load !== "loaded") continue;
    const known = remembered.units.get(state.name);
    const invocation =
      linksUnchanged && known !== undefined ? invocationOf(known.run) : readInvocation(runtimeDir, state.name);
    const run = runKey(invocation, state.active, state.sub);
    runOf.set(state.name, run);
    if (known?.run === run) runs.set(state.name, known);
    else ask.push(state.name);
  }
  if (ask.length > 0) {
    const shown = await runSystemctl(options.manager, [
      "show",
      "--timestamp=unix",
      `--property=${RESTART_PROPERTIES.join(",")}`,
      "--",
      ...ask,
    ]);
    // Not known is not zero: a failed `show` leaves these units without restart facts (CrashLoop Unknown).
    if (shown.ok) {
      for (const [name, restarts] of parseRestarts(shown.stdout)) {
        const run = runOf.get(name);
        if (run !== undefined) runs.set(name, { run, restarts });
      }
    }
  }
  if (cache && instance && (ask.length > 0 || links !== remembered.links))
    storeRestartCache(cache.dir, instance, { links, units: runs });
  return new Map([...runs].map(([name, entry]) => [name, entry.restarts]));
}
