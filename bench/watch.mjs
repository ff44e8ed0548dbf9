#!/usr/bin/env node
// `mosaic fleet ps --watch -o json` on REAL fleets (the private tmux server + systemd
// user manager + heartbeats of bench/lib.mjs, as bench/fleet-ps.mjs builds them; the
// holder sets remain-on-exit, so a killed pane stays, dead): how long from a change to
// the redraw that shows it, and how much CPU an idle watch uses.
//
//   node bench/watch.mjs [SIZES...] [--rounds N] [--idle-s S] [--baseline DIR] [--max-busy 0.3]
//   e.g. node bench/watch.mjs 100 1000 --baseline ../old-build         (defaults: 100 1000, N = 7, S = 30)
//
// Per size and per build (this one, then the baseline; the order alternates by size),
// one watcher at a time, its stdout a pipe:
//   - heartbeat: rewrite one agent's heartbeat (atomically, a new status and note), time
//     until a document line containing that note has arrived;
//   - pane death: SIGKILL one agent's pane process, time until a document shows that
//     agent's pane dead; then the pane is respawned and its heartbeat rewritten, and the
//     next round waits until the watcher shows it alive again (outside the timing);
//   - idle: the watcher's CPU (utime + stime of its /proc/PID/stat, and the same for
//     the children it waited for: tmux, systemctl) over S seconds in which nothing
//     changes (every heartbeat written just before, fresh for 45 s).
// Latency = the moment the document's last byte reached this process minus the moment
// just before the change was made; medians of N rounds, each round a different agent.
// Targets (issue 19): redraw ≤ 100 ms at 1 000 agents; idle ≤ 1 % of a core at 100.
// Set BENCH_OUT=FILE for a JSON record.

import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  createReadStream,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Fleet,
  machine,
  ms,
  printMachine,
  requireBuild,
  snapshotCli,
  stats,
  waitForQuiet,
  withCleanup,
} from "./lib.mjs";
import { sleep } from "../test/helpers/proc.mjs";

const argv = process.argv.slice(2);
const valueOf = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const optionIndices = new Set(
  ["--rounds", "--idle-s", "--baseline", "--max-busy"].flatMap((n) => (argv.includes(n) ? [argv.indexOf(n) + 1] : [])),
);
const sizes = argv.filter((a, i) => /^\d+$/.test(a) && !optionIndices.has(i)).map(Number);
if (sizes.length === 0) sizes.push(100, 1000);
sizes.sort((a, b) => a - b);
const ROUNDS = Number(valueOf("--rounds", 7));
const IDLE_S = Number(valueOf("--idle-s", 30));
const BASELINE = valueOf("--baseline", null);
const MAX_BUSY = Number(valueOf("--max-busy", 0.3));
const TARGET_REDRAW_MS = 100;
const TARGET_IDLE_CORE = 0.01;
const TICK_MS = 10; // USER_HZ = 100

const log = (...a) => console.log(...a);

/** utime + stime, and cutime + cstime, of a process, in ms. */
function cpuOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { self: (Number(f[11]) + Number(f[12])) * TICK_MS, children: (Number(f[13]) + Number(f[14])) * TICK_MS };
}

/** A running watcher: its stdout split into lines, each stamped with when its last byte arrived. */
class Watcher {
  constructor(mosaic, roster, env) {
    this.lines = [];
    this.stderr = "";
    this.exited = false;
    // stdout a real pipe (a FIFO), as `… | jq` has it: Node's own "pipe" is a socket pair,
    // which queues without bound (a 1 000-agent document is ~1.5 MB) where a pipe blocks.
    this.dir = mkdtempSync(join(tmpdir(), "mf-bench-watch-"));
    const fifo = join(this.dir, "stdout");
    if (spawnSync("mkfifo", ["-m", "600", fifo]).status !== 0) throw new Error("mkfifo failed");
    const writeEnd = openSync(fifo, "r+"); // O_RDWR: opening does not wait for a reader
    const readEnd = openSync(fifo, "r");
    this.child = spawn(process.execPath, [mosaic, "fleet", "ps", "--watch", "-o", "json", "-f", roster], {
      env,
      stdio: ["ignore", writeEnd, "pipe"],
    });
    closeSync(writeEnd);
    this.stdout = createReadStream(null, { fd: readEnd, highWaterMark: 1 << 20 });
    // The pieces of the line under way are kept as they came (Buffers) and decoded once,
    // when its newline arrives: a 1.5 MB document comes in ~25 pieces, and joining strings
    // piece by piece (and splitting the whole again each time) cost this reader, not the
    // watcher, tens of ms per document at 1 000 agents.
    this.pieces = [];
    this.stdout.on("data", (chunk) => {
      const at = performance.now();
      let start = 0;
      for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
        this.pieces.push(chunk.subarray(start, nl));
        this.lines.push({ at, line: Buffer.concat(this.pieces).toString("utf8") });
        this.pieces = [];
        start = nl + 1;
      }
      if (start < chunk.length) this.pieces.push(chunk.subarray(start));
    });
    this.child.stderr.on("data", (chunk) => (this.stderr += chunk.toString("utf8")));
    this.child.on("exit", () => (this.exited = true));
  }

  /** The first line at or after index `from` that satisfies test; null after timeoutMs. */
  async waitFor(test, from, timeoutMs) {
    const deadline = performance.now() + timeoutMs;
    let i = from;
    for (;;) {
      for (; i < this.lines.length; i += 1) if (test(this.lines[i].line)) return { ...this.lines[i], index: i };
      if (this.exited) throw new Error(`watcher exited: ${this.stderr.slice(-2000)}`);
      if (performance.now() > deadline) return null;
      await sleep(2);
    }
  }

  async stop() {
    if (!this.exited) {
      const gone = new Promise((resolve) => this.child.once("exit", resolve));
      this.child.kill("SIGINT");
      await Promise.race([gone, sleep(5000)]);
      if (!this.exited) this.child.kill("SIGKILL");
    }
    this.stdout.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The pane state and heartbeat note of one agent in a compact FleetStatus line, without parsing it all. */
function agentIn(line, name) {
  const at = line.indexOf(`{"name":"${name}"`);
  if (at < 0) return null;
  // The next row (a unit is `"unit":{"name":…`, never preceded by `},`), or the end of the list.
  const end = line.indexOf(`},{"name":"`, at + 10);
  const row = line.slice(at, end < 0 ? undefined : end);
  return {
    pane: /"pane":\{"state":"([a-z]+)"/.exec(row)?.[1] ?? null,
    pid: Number(/"pane":\{[^}]*?"pid":(\d+)/.exec(row)?.[1] ?? NaN),
    heartbeat: /"heartbeat":\{"state":"([a-z]+)"/.exec(row)?.[1] ?? null,
    row,
  };
}

function writeHeartbeat(fleet, name, fields) {
  const tmp = join(fleet.hbDir, `.${name}.hb.tmp`);
  writeFileSync(tmp, `ts=${Math.floor(Date.now() / 1000)} pid=${fleet.panePids.get(name)} ${fields} name=${name}\n`, {
    mode: 0o600,
  });
  renameSync(tmp, join(fleet.hbDir, `${name}.hb`));
}

/** One build's watcher at one size: latencies and idle CPU. */
async function measure(fleet, n, roster, mosaic, label) {
  const env = { ...fleet.cliEnv(), ...(process.env.BENCH_DEBUG ? { MOSAIC_LOG_LEVEL: "debug" } : {}) };
  await waitForQuiet({ maxBusy: MAX_BUSY, log, timeoutMs: 60_000 });
  fleet.writeHeartbeats(n);
  const w = new Watcher(mosaic, roster, env);
  const result = { build: label, heartbeat: [], paneDeath: [], missed: [] };
  try {
    const last = `agent-${String(n).padStart(4, "0")}`;
    const first = await w.waitFor((line) => agentIn(line, last)?.pane === "alive", 0, 120_000);
    if (first === null) throw new Error(`${label}: no first document within 120 s: ${w.stderr.slice(-2000)}`);
    await sleep(1500); // the control client attaches, the first events settle

    // Idle first, while every heartbeat is fresh (written < 5 s ago, healthy for 45 s).
    fleet.writeHeartbeats(n);
    // Until the watcher has read them all: its CPU under 5 % of a core over a second (at most 60 s).
    for (let k = 0; k < 60; k += 1) {
      const a = cpuOf(w.child.pid).self;
      await sleep(1000);
      if (cpuOf(w.child.pid).self - a < 50) break;
    }
    const c0 = cpuOf(w.child.pid);
    const t0 = performance.now();
    const linesBefore = w.lines.length;
    await sleep(IDLE_S * 1000);
    const c1 = cpuOf(w.child.pid);
    const wallMs = performance.now() - t0;
    if (process.env.BENCH_DEBUG && w.lines.length - linesBefore > 1) {
      const [a, b] = w.lines.slice(linesBefore, linesBefore + 2).map((l) => l.line);
      let k = 0;
      while (a[k] === b[k]) k += 1;
      log(`debug: ${a.slice(k - 300, k + 100)}\n  -> ${b.slice(k - 300, k + 100)}`);
    }
    result.idle = {
      seconds: wallMs / 1000,
      selfCore: (c1.self - c0.self) / wallMs,
      withChildrenCore: (c1.self - c0.self + c1.children - c0.children) / wallMs,
      redraws: w.lines.length - linesBefore,
    };

    const step = Math.max(1, Math.floor(n / (ROUNDS + 1)));
    for (let r = 0; r < ROUNDS; r += 1) {
      const name = `agent-${String(1 + (((r + 1) * step) % n)).padStart(4, "0")}`;
      fleet.refreshHeartbeats(n, 20_000);
      await sleep(300);

      // Heartbeat: a new status and note on one agent.
      const note = `bench-${label.replace(/\W/g, "")}-${n}-${r}-${Date.now()}`;
      const from = w.lines.length;
      const h0 = performance.now();
      writeHeartbeat(fleet, name, `status=busy note=${note}`);
      // (The baseline's JSON has no note: the status word is what both builds redraw on.)
      const seen = await w.waitFor(
        (line) => /"heartbeat":\{[^}]*"status":"busy"/.test(agentIn(line, name)?.row ?? ""),
        from,
        10_000,
      );
      if (seen) result.heartbeat.push(seen.at - h0);
      else result.missed.push(`heartbeat ${name}`);
      await sleep(300);

      // Pane death: SIGKILL the pane's process (remain-on-exit keeps the pane, dead).
      const pid = fleet.panePids.get(name);
      const from2 = w.lines.length;
      const k0 = performance.now();
      process.kill(pid, "SIGKILL");
      const dead = await w.waitFor((line) => agentIn(line, name)?.pane === "dead", from2, 10_000);
      if (dead) result.paneDeath.push(dead.at - k0);
      else {
        result.missed.push(`pane death ${name}`);
        if (process.env.BENCH_DEBUG) log(`debug: watcher stderr:\n${w.stderr.slice(-6000)}`);
      }

      // Back to alive (outside the timing): respawn the pane, point its heartbeat at it.
      const respawned = fleet.tmux("respawn-pane", "-k", "-t", `=${name}:`);
      if (respawned.status !== 0) throw new Error(`respawn-pane ${name}: ${respawned.stderr}`);
      const panes = fleet.tmux("display-message", "-p", "-t", `=${name}:`, "#{pane_pid}");
      fleet.panePids.set(name, Number(panes.stdout.trim()));
      writeHeartbeat(fleet, name, "status=idle");
      const from3 = w.lines.length;
      const back = await w.waitFor(
        (line) => {
          const row = agentIn(line, name);
          return row?.pane === "alive" && row.heartbeat === "healthy";
        },
        from3,
        30_000,
      );
      if (!back) result.missed.push(`back alive ${name}`);
    }
  } finally {
    await w.stop();
  }
  return result;
}

const pass = (value, target) => (Number.isFinite(value) ? (value <= target ? "PASS" : "ABOVE") : "n/a");

withCleanup(async (track) => {
  requireBuild();
  const m = machine();
  printMachine(m);
  const cli = track(snapshotCli());
  log(`build: ${cli.build}`);
  if (BASELINE) log(`baseline: ${BASELINE}`);
  const fleet = track(new Fleet());
  await fleet.start();
  log(`fleet: tmux socket ${fleet.socket}, systemd --user pid ${fleet.managerPid}`);
  log(`rounds: ${ROUNDS} per kind per build; idle ${IDLE_S} s; one watcher at a time, stdout a pipe, -o json\n`);
  const record = { machine: m, build: cli.build, baseline: BASELINE, sizes: [] };
  for (const [i, n] of sizes.entries()) {
    fleet.grow(n, { log: (line) => n >= 500 && log(line) });
    const roster = fleet.writeRoster(n);
    const builds = [{ label: "this build", mosaic: cli.mosaic }];
    if (BASELINE) builds.push({ label: "baseline", mosaic: join(BASELINE, "bin", "mosaic") });
    if (i % 2 === 1) builds.reverse();
    const results = [];
    for (const b of builds) results.push(await measure(fleet, n, roster, b.mosaic, b.label));
    log(`== ${n} agents (+ _holder), ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")} load`);
    for (const r of results.sort((a, b) => (a.build === "this build" ? -1 : b.build === "this build" ? 1 : 0))) {
      const hb = stats(r.heartbeat);
      const pd = stats(r.paneDeath);
      log(
        `  ${r.build.padEnd(10)}  heartbeat→redraw median ${ms(hb.median)} ms (p10 ${ms(hb.p10)}, p90 ${ms(hb.p90)}, n ${hb.n})` +
          `   pane death→redraw median ${ms(pd.median)} ms (p10 ${ms(pd.p10)}, p90 ${ms(pd.p90)}, n ${pd.n})`,
      );
      log(
        `  ${"".padEnd(10)}  idle ${r.idle.seconds.toFixed(0)} s: ${(r.idle.selfCore * 100).toFixed(2)} % of a core ` +
          `(${(r.idle.withChildrenCore * 100).toFixed(2)} % with its tmux/systemctl children), ${r.idle.redraws} redraws` +
          (r.missed.length ? `; MISSED: ${r.missed.join(", ")}` : ""),
      );
      if (r.build === "this build") {
        if (n >= 1000) {
          log(
            `  target: heartbeat change redrawn ≤ ${TARGET_REDRAW_MS} ms at ${n}: ${pass(hb.median, TARGET_REDRAW_MS)}`,
          );
          log(`  target: pane death redrawn ≤ ${TARGET_REDRAW_MS} ms at ${n}: ${pass(pd.median, TARGET_REDRAW_MS)}`);
        }
        if (n === 100)
          log(
            `  target: idle ≤ ${TARGET_IDLE_CORE * 100} % of a core at 100 (with children): ${pass(r.idle.withChildrenCore, TARGET_IDLE_CORE)}`,
          );
      }
    }
    record.sizes.push({ n, results });
  }
  if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify(record, null, 2));
});
