// In-process phase timings of `fleet ps -o json`, straight from src/ (NOT runnable by
// itself: bench/fleet-ps.mjs bundles it with esbuild into a temp file, then runs it with
// the fleet's environment). Each run is a fresh process, so every phase is measured
// cold, exactly once, as in the CLI.
//
//   node <bundle> pipeline ROSTER   loadRoster → observeFleet → buildFleetStatus → renderJson
//   node <bundle> sources  ROSTER   each observer alone, one after the other
//
// Prints one JSON line of { phase: ms } to stderr, prefixed with "PHASES ".

import { performance } from "node:perf_hooks";
import { writeSync } from "node:fs";
import { loadRoster, rosterFileAt } from "../src/spec/load.js";
import { machineFacts } from "../src/spec/resolve.js";
import { observeFleet, isLocal } from "../src/observe/index.js";
import { runDirOf } from "../src/heartbeat/index.js";
import { observeTmux } from "../src/observe/tmux.js";
import { observeSystemd } from "../src/observe/systemd.js";
import { observeProcessTrees } from "../src/observe/proc.js";
import { procFilesRead, readProcess } from "../src/system/procfs.js";
import { readHeartbeats } from "../src/heartbeat/reader.js";
import { spawnedCommands } from "../src/system/run.js";
import { cacheDir } from "../src/cache/private-file.js";
import { buildFleetStatus } from "../src/diff/status.js";
import { renderJson } from "../src/report/status-formats.js";

const [mode, roster] = process.argv.slice(2);
const t = {};
const lap = (name, fn) => {
  const s = performance.now();
  const r = fn();
  t[name] = performance.now() - s;
  return r;
};
const alap = async (name, fn) => {
  const s = performance.now();
  const r = await fn();
  t[name] = performance.now() - s;
  return r;
};

// The full parse (the CLI usually takes the cached fleet instead: see loadRosterCached).
const loaded = lap("loadRoster (full parse; the CLI's cache skips it)", () => loadRoster(rosterFileAt(roster)));
if (!loaded.ok) throw new Error(`roster invalid: ${JSON.stringify(loaded.problems?.[0])}`);
const fleet = loaded.fleet;
const facts = machineFacts();
const uid = process.getuid();
const ctx = {
  env: process.env,
  uid,
  user: facts.user,
  hostname: facts.hostname,
  runDir: runDirOf(process.env.MOSAIC_HOME),
  now: () => Date.now(),
  timeoutMs: 3000,
  // As the CLI: the manager's UnitPath is remembered here after the first run.
  cacheDir: cacheDir(process.env),
};
const local = fleet.agents.filter((a) => isLocal(a, ctx));

if (mode === "pipeline") {
  const observation = await alap("observeFleet (all sources, concurrent)", () => observeFleet(fleet, ctx));
  const status = lap("buildFleetStatus", () =>
    buildFleetStatus(fleet, observation, { nowMs: observation.observedAtMs }),
  );
  const json = lap("renderJson", () => renderJson(status));
  lap("write stdout", () => writeSync(1, json));
} else {
  const socket = local[0].socket;
  const tmux = await alap("tmux: list-panes -a (1 spawn)", () =>
    observeTmux(socket, { env: ctx.env, uid, timeoutMs: 3000 }),
  );
  await alap("systemd: list-units (1 spawn; UnitPath remembered) + unit-file index", () =>
    observeSystemd([...new Set(local.map((a) => a.unit))], {
      env: ctx.env,
      uid,
      timeoutMs: 3000,
      cache: ctx.cacheDir ? { dir: ctx.cacheDir, uid } : null,
    }),
  );
  const roots = tmux.ok ? [...tmux.sessions.values()].filter((p) => !p.dead).map((p) => p.pid) : [];
  const before = procFilesRead();
  lap("proc: scan /proc + build trees", () => observeProcessTrees(roots));
  t["proc: files read"] = procFilesRead() - before;
  const hbs = lap("heartbeats: read .hb files", () =>
    readHeartbeats(
      ctx.runDir,
      local.filter((a) => a.heartbeat.expected).map((a) => a.name),
      { uid },
    ),
  );
  lap("heartbeats: readProcess per heartbeat pid", () => {
    for (const hb of hbs.values()) if (hb.state === "present") readProcess(hb.record.pid);
  });
}
t["spawned (runCommand counter)"] = spawnedCommands();
process.stderr.write(`PHASES ${JSON.stringify(t)}\n`);
