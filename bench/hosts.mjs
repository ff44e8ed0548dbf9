#!/usr/bin/env node
// `mosaic fleet ps -o json` across hosts (docs/commands.md, Many hosts): 3 REAL hosts ×
// N agents (default 100), each host a real sshd in a UTS namespace of its own on a
// loopback address (test/helpers/ssh-lab.mjs, the tests' lab) in front of a real private
// fleet (tmux server + systemd user manager + heartbeats, bench/lib.mjs), observed from
// here in one `fleet ps` over ssh — side by side, in the same interleaved run, with each
// host's own local `fleet ps -o json` of its N agents. Target: the 3-host run within
// 1.5× of the slowest single host's local run (BENCHMARKS.md, "Round 3: many hosts").
//
//   node bench/hosts.mjs [--agents N] [--runs N] [--warmup N] [--max-busy 0.1] [--no-breakdown]
//
// The breakdown (unless --no-breakdown) times the parts apart — `ssh DEST true`, one
// host's `fleet observe` over ssh and locally — and CPU-profiles the operator's side.
//
// Every answer is checked (all 3 × (N + 1) agents present, pane alive, unit active,
// heartbeat healthy, no condition True or Unknown). Everything (sshds, tmux servers,
// managers, units, keys, files) is removed at the end, on failure and on Ctrl-C. Set
// BENCH_OUT=FILE for a JSON record.

import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { startSshLab, sshLabMissing } from "../test/helpers/ssh-lab.mjs";
import {
  Fleet,
  analyzeProfiles,
  cleanEnv,
  interleave,
  machine,
  measureQuietly,
  ms,
  printMachine,
  requireBuild,
  snapshotCli,
  timed,
  withCleanup,
} from "./lib.mjs";

const argv = process.argv.slice(2);
const option = (name, fallback) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const AGENTS = option("--agents", 100);
const RUNS = option("--runs", 11);
const WARMUP = option("--warmup", 2);
const MAX_BUSY = option("--max-busy", 0.1);
const HOSTS = 3;
const TARGET = 1.5;
const log = (...a) => console.log(...a);

/** Every agent present and healthy, nothing Unknown: the run observed what it claims. */
function healthy(stdout, expected) {
  const status = JSON.parse(stdout);
  const problems = [];
  if (status.agents.length !== expected) problems.push(`${status.agents.length} agents, not ${expected}`);
  for (const a of status.agents) {
    if (a.pane.state !== "alive") problems.push(`${a.host}/${a.name}: pane ${a.pane.state}`);
    const bad = a.conditions.filter((c) => c.status !== "False");
    if (bad.length > 0)
      problems.push(`${a.host}/${a.name}: ${bad.map((c) => `${c.type}=${c.status} ${c.reason}`)} (${bad[0].message})`);
  }
  return problems;
}

withCleanup(async (track) => {
  requireBuild();
  const missing = sshLabMissing();
  if (missing !== null) throw new Error(`the hosts benchmark needs the ssh lab: ${missing}`);
  const m = machine();
  printMachine(m);
  const cli = track(snapshotCli());
  log(`build: ${cli.build}`);
  const mosaic = `${process.execPath} ${cli.mosaic}`;
  const lab = track(startSshLab());

  // The hosts: a fleet each, reached by its own sshd whose logins see that fleet.
  const hosts = [];
  for (let i = 0; i < HOSTS; i += 1) {
    const fleet = track(new Fleet());
    await fleet.start();
    fleet.grow(AGENTS, { log });
    fleet.writeHeartbeats();
    const env = fleet.cliEnv();
    const name = `bench-host-${i}`;
    await lab.addHost(name, `127.0.0.${i + 2}`, {
      TMUX_TMPDIR: env.TMUX_TMPDIR,
      MOSAIC_HOME: env.MOSAIC_HOME,
      XDG_RUNTIME_DIR: env.XDG_RUNTIME_DIR,
      XDG_CONFIG_HOME: env.XDG_CONFIG_HOME,
      XDG_CACHE_HOME: env.XDG_CACHE_HOME,
      DBUS_SESSION_BUS_ADDRESS: env.DBUS_SESSION_BUS_ADDRESS,
    });
    hosts.push({ name, fleet, env, roster: fleet.writeRoster(AGENTS) });
    log(`host ${name}: ${AGENTS} agents + holder, sshd on 127.0.0.${i + 2}`);
  }

  // The operator's roster: every host's agents, each on its host and socket.
  const docs = hosts.map((h) => parse(readFileSync(h.roster, "utf8")));
  const { socket: _socket, ...defaults } = docs[0].defaults;
  const roster = {
    version: 1,
    fleet: "mfbench-hosts",
    defaults,
    runtimes: docs[0].runtimes,
    hosts: Object.fromEntries(hosts.map((h) => [h.name, { ssh: h.name, mosaic }])),
    agents: hosts.flatMap((h, i) =>
      docs[i].agents.map((agent) => ({ ...agent, host: h.name, socket: docs[i].defaults.socket })),
    ),
  };
  const operator = join(lab.dir, "operator");
  mkdirSync(join(operator, "cache"), { recursive: true });
  const rosterFile = join(operator, "roster.yaml");
  writeFileSync(rosterFile, stringify(roster));
  // The operator's runtime directory (short: ssh's control sockets go in DIR/mosaic/ssh).
  const runtime = mkdtempSync("/tmp/mfb-");
  chmodSync(runtime, 0o700);
  const operatorEnv = {
    ...cleanEnv(),
    MOSAIC_SSH_CONFIG: lab.sshConfig,
    MOSAIC_HOME: join(operator, "mosaic"),
    XDG_CACHE_HOME: join(operator, "cache"),
    XDG_RUNTIME_DIR: runtime,
    NO_COLOR: "1",
  };
  // The connections the runs leave up (ControlPersist), closed before the lab's sshds go.
  track({
    cleanup: () => {
      const control = join(runtime, "mosaic", "ssh");
      for (const socket of (() => {
        try {
          return readdirSync(control);
        } catch {
          return [];
        }
      })())
        for (const h of hosts)
          spawnSync("ssh", ["-F", lab.sshConfig, "-o", `ControlPath=${join(control, socket)}`, "-O", "exit", h.name], {
            stdio: "ignore",
          });
      rmSync(runtime, { recursive: true, force: true });
    },
  });

  const commands = {
    [`fleet ps -o json, ${HOSTS} hosts × ${AGENTS} over ssh`]: {
      argv: [process.execPath, cli.mosaic, "fleet", "ps", "-o", "json", "-f", rosterFile],
      env: operatorEnv,
      expected: HOSTS * (AGENTS + 1),
    },
    [`fleet ps -o json, ${HOSTS} hosts, MOSAIC_SSH_PERSIST=0 (cold)`]: {
      argv: [process.execPath, cli.mosaic, "fleet", "ps", "-o", "json", "-f", rosterFile],
      env: { ...operatorEnv, MOSAIC_SSH_PERSIST: "0" },
      expected: HOSTS * (AGENTS + 1),
    },
    ...Object.fromEntries(
      hosts.map((h) => [
        `fleet ps -o json, ${h.name} alone (local)`,
        {
          argv: [process.execPath, cli.mosaic, "fleet", "ps", "-o", "json", "-f", h.roster],
          env: h.env,
          expected: AGENTS + 1,
        },
      ]),
    ),
  };
  const names = Object.keys(commands);
  const refresh = () => hosts.forEach((h) => h.fleet.refreshHeartbeats());

  // 1. correctness, once each
  refresh();
  for (const name of names) {
    const r = timed(commands[name].argv, { env: commands[name].env });
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}: ${r.stderr.toString().slice(0, 2000)}`);
    const problems = healthy(r.stdout.toString(), commands[name].expected);
    if (problems.length > 0) throw new Error(`${name}: not a healthy fleet: ${problems.slice(0, 5).join("; ")}`);
  }
  log("answers checked: every agent present and healthy, nothing Unknown");

  // 2. timing, interleaved, heartbeats refreshed outside the timed region
  const { result, foreign, attempt } = await measureQuietly(
    () =>
      interleave(commands, {
        runs: RUNS,
        warmup: WARMUP,
        before: refresh,
        check: (name, r) => {
          if (!r.stdout.includes(`"name": "agent-${String(AGENTS).padStart(4, "0")}"`))
            throw new Error(`${name}: output incomplete`);
        },
      }),
    { maxBusy: MAX_BUSY, maxForeign: MAX_BUSY, log },
  );
  log(
    `\n${RUNS} interleaved runs (+${WARMUP} warm-up), attempt ${attempt}; other work took ${(foreign * 100).toFixed(0)}% of the CPUs meanwhile`,
  );
  log(`${"command".padEnd(48)} ${"median".padStart(8)} ${"p10".padStart(8)} ${"p90".padStart(8)} ${"cpu".padStart(8)}`);
  for (const name of names) {
    const s = result[name];
    log(
      `${name.padEnd(48)} ${ms(s.median).padStart(8)} ${ms(s.p10).padStart(8)} ${ms(s.p90).padStart(8)} ${ms(s.cpuMean).padStart(8)}`,
    );
  }
  const many = result[names[0]];
  const cold = result[names[1]];
  const slowest = Math.max(...names.slice(2).map((n) => result[n].median));
  const ratio = many.median / slowest;
  log(
    `\n${HOSTS} hosts over ssh: ${ms(many.median)} ms median vs the slowest host alone ${ms(slowest)} ms: ${ratio.toFixed(2)}× (target ≤ ${TARGET}×: ${ratio <= TARGET ? "met" : "NOT met"})`,
  );
  log(
    `cold (a new connection each run, MOSAIC_SSH_PERSIST=0): ${ms(cold.median)} ms: ${(cold.median / slowest).toFixed(2)}×`,
  );
  if (!argv.includes("--no-breakdown")) await breakdown(hosts, cli, operatorEnv, rosterFile, commands[names[0]].argv);
  if (process.env.BENCH_OUT)
    writeFileSync(
      process.env.BENCH_OUT,
      JSON.stringify(
        {
          machine: m,
          build: cli.build,
          agents: AGENTS,
          hosts: HOSTS,
          runs: RUNS,
          foreign,
          result,
          ratio,
          coldRatio: cold.median / slowest,
        },
        null,
        2,
      ),
    );
});

/** Where the time of the many-hosts run goes: its parts timed apart, and the operator side's profile. */
async function breakdown(hosts, cli, operatorEnv, rosterFile, manyArgv) {
  const host = hosts[0];
  const observe = ["fleet", "observe", "-o", "json", "-f", "-"];
  const observed = parse(readFileSync(rosterFile, "utf8"));
  const input = JSON.stringify(
    {
      version: 1,
      fleet: observed.fleet,
      runtimes: observed.runtimes,
      agents: observed.agents
        .filter((a) => a.host === host.name)
        .map(({ host: _host, ...agent }) => ({ ...observed.defaults, ...agent })),
    },
    null,
    1,
  );
  // (a new connection each time: the handshake's cost)
  const ssh = [
    "ssh",
    "-F",
    operatorEnv.MOSAIC_SSH_CONFIG,
    "-o",
    "BatchMode=yes",
    "-o",
    "ControlPath=none",
    "--",
    host.name,
  ];
  const control = join(operatorEnv.XDG_RUNTIME_DIR, "mosaic", "ssh", "%C");
  const reused = [
    "ssh",
    "-F",
    operatorEnv.MOSAIC_SSH_CONFIG,
    "-o",
    "BatchMode=yes",
    "-o",
    "ControlMaster=auto",
    "-o",
    `ControlPath=${control}`,
    "-o",
    "ControlPersist=60",
    "--",
    host.name,
  ];
  const parts = {
    [`ssh ${host.name} true`]: { argv: [...ssh, "true"], env: operatorEnv },
    [`ssh ${host.name} mosaic fleet observe (${AGENTS + 1} agents)`]: {
      argv: [...ssh, process.execPath, cli.mosaic, ...observe],
      env: operatorEnv,
      input,
    },
    [`the same, a session on the reused connection`]: {
      argv: [...reused, process.execPath, cli.mosaic, ...observe],
      env: operatorEnv,
      input,
    },
    [`mosaic fleet observe there, locally (${AGENTS + 1} agents)`]: {
      argv: [process.execPath, cli.mosaic, ...observe],
      env: host.env,
      input,
    },
  };
  log("\nbreakdown (medians of 5, not interleaved):");
  for (const [name, { argv: partArgv, env, input: stdin }] of Object.entries(parts)) {
    const walls = [];
    for (let i = 0; i < 6; i += 1) {
      hosts.forEach((h) => h.fleet.refreshHeartbeats());
      // (lib's timed() gives its program no stdin; fleet observe -f - reads the roster there)
      const t0 = process.hrtime.bigint();
      const r = spawnSync(partArgv[0], partArgv.slice(1), { env, input: stdin ?? "", maxBuffer: 256 * 1024 * 1024 });
      const wall = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0) throw new Error(`${name} exited ${r.status}: ${String(r.stderr).slice(0, 500)}`);
      if (i > 0) walls.push(wall);
    }
    walls.sort((a, b) => a - b);
    log(`  ${name.padEnd(60)} ${ms(walls[2]).padStart(8)} ms`);
  }
  const dir = join(operatorEnv.XDG_CACHE_HOME, "..", "profiles");
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < 3; i += 1) {
    const r = timed(
      [process.execPath, "--cpu-prof", "--cpu-prof-interval", "250", "--cpu-prof-dir", dir, ...manyArgv.slice(1)],
      {
        env: operatorEnv,
      },
    );
    if (r.status !== 0) throw new Error(`profiled run failed: ${r.stderr.toString().slice(0, 500)}`);
  }
  const profile = await analyzeProfiles(
    readdirSync(dir).map((f) => join(dir, f)),
    cli.dist,
  );
  log("operator side, CPU ms per run by function (inclusive, top 15):");
  for (const entry of profile.inclusive.slice(0, 15)) log(`  ${JSON.stringify(entry)}`);
}
