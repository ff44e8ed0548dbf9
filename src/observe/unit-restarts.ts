import { readlinkSync } from "node:fs";
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

/** What decides whether a unit's restart facts may have changed. */
export function runKey(runtimeDir: string | undefined, unit: string, active: string, sub: string): string {
  let invocation = "";
  if (runtimeDir) {
    try {
      // Concatenated, not path.join: this runs once per unit (join's normalizing showed in profiles).
      invocation = readlinkSync(`${runtimeDir}/systemd/units/invocation:${unit}`);
    } catch {
      // Not running (or not published): the states below still tell runs apart.
    }
  }
  return `${invocation}/${active}/${sub}`;
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
  units: Record<string, { run: string; restarts: UnitRestarts }>;
}

function fileName(instance: string): string {
  return cacheFileName("restarts", instance);
}

/** The restart facts remembered for this manager instance, by unit, with the run they belong to. */
export function readRestartCache(
  dir: string,
  instance: string,
  uid: number,
): Map<string, { run: string; restarts: UnitRestarts }> {
  const cached = readPrivateJson(join(dir, fileName(instance)), uid) as CachedRuns | null;
  if (cached?.key !== instance || typeof cached.units !== "object" || cached.units === null) return new Map();
  const valid = Object.entries(cached.units).filter(
    ([, entry]) => typeof entry?.run === "string" && Number.isSafeInteger(entry.restarts?.count),
  );
  return new Map(valid);
}

/** Remember the restart facts of each unit with its run key. */
export function storeRestartCache(
  dir: string,
  instance: string,
  units: Map<string, { run: string; restarts: UnitRestarts }>,
): void {
  const entry: CachedRuns = { key: instance, units: Object.fromEntries(units) };
  writePrivateJson(dir, fileName(instance), entry);
}
