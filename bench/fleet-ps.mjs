#!/usr/bin/env node
// `mosaic fleet ps -o json` on REAL fleets: a private tmux server with one session per
// agent, a private systemd user manager with one started (and enabled) unit per agent,
// and a fresh heartbeat per agent — at each requested size, side by side with
// `node -e 0` in the same interleaved run.
//
//   node bench/fleet-ps.mjs [SIZES...] [--runs N] [--warmup N] [--no-profile] [--no-phases] [--max-busy 0.1]
//                           [--baseline DIR]   also time DIR/bin/mosaic (an older build, e.g. a
//                                              `git worktree` of the previous release, built)
//                                              in the same interleaved run
//                           [--also DIR]...    time DIR/bin/mosaic fleet ps -o json too (any
//                                              number of other builds, e.g. the end of one
//                                              issue's series), each with its own cache
//   e.g. node bench/fleet-ps.mjs 5 100 500 1000           (default sizes; N = 15)
//
// Per size it also: checks the JSON (every agent present, pane alive, unit active,
// heartbeat healthy, no condition True, nothing unmanaged); counts the subprocesses the
// CLI spawns under strace in a separate pass (timing runs are never traced); times the
// three observer commands alone; and, unless disabled, CPU-profiles the CLI
// (--cpu-prof, mapped back to src/ through the source maps) and times each pipeline
// phase in-process from src/ (bench/phases.src.mjs, bundled on the fly with esbuild).
//
// Targets (issue 19, issue 12), each printed with its ratio and PASS/ABOVE at the end:
// fleet ps at 500 ≤ 1.25× the floor script (node -e 0 + tmux list-panes + systemctl
// list-units + a read of /proc/*/stat, one after another in one /bin/sh script); at
// 1000 ≤ 2× node -e 0; `fleet validate` and the first fleet ps after a roster edit (a
// roster-cache miss) ≤ 1.5× node -e 0 at 100; peak RSS at 1000 ≤ 67 MiB; the same
// number of subprocesses (2) at every size; with --baseline, at 500 no slower relative
// to node -e 0 than the old build.
//
// The fleet grows in place (5 → 100 → 500 → 1000): units are enabled and started in
// batches through one `systemctl --user start a b c …` call per batch. Everything is
// removed at the end, on failure and on Ctrl-C. Set BENCH_OUT=FILE for a JSON record.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import {
  Fleet,
  REPO,
  analyzeProfiles,
  countExecs,
  countSyscalls,
  measureQuietly,
  waitForQuiet,
  haveStrace,
  interleave,
  machine,
  bundleSizes,
  codeCacheEntries,
  ms,
  peakRss,
  printBundleSizes,
  printMachine,
  requireBuild,
  snapshotCli,
  stats,
  timed,
  withCleanup,
} from "./lib.mjs";

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const BASELINE = argv.includes("--baseline") ? argv[argv.indexOf("--baseline") + 1] : null;
const ALSO = argv.flatMap((a, i) => (a === "--also" && argv[i + 1] ? [argv[i + 1]] : []));
const alsoName = (dir) => `fleet ps -o json @ ${dir.replace(/\/+$/, "").split("/").pop()}`;
const optionValues = new Set([
  ...["--runs", "--warmup", "--max-busy", "--baseline"].flatMap((n) =>
    argv.indexOf(n) >= 0 ? [argv.indexOf(n) + 1] : [],
  ),
  ...argv.flatMap((a, i) => (a === "--also" ? [i + 1] : [])),
]);
const sizes = argv.filter((a, i) => /^\d+$/.test(a) && !optionValues.has(i)).map(Number);
if (sizes.length === 0) sizes.push(5, 100, 500, 1000);
sizes.sort((a, b) => a - b);
const RUNS = option("--runs", 15);
const WARMUP = option("--warmup", 3);
const PROFILE = !flag("--no-profile");
const PHASES = !flag("--no-phases");
// The targets (BENCHMARKS.md, Round 3).
const TARGET = { floor500: 1.25, node1000: 2, cold100: 1.5, rssMiB1000: 67 };
// The size at which `fleet validate` and the roster-cache miss are timed.
const COLD_SIZE = 100;

/**
 * The floor script (issue 19): what any `fleet ps` must at least do, one step after
 * another in one /bin/sh — start node, ask tmux for every pane (mosaic's own 8 fields),
 * ask the user manager for the units (mosaic's own list-units call), read every
 * /proc/PID/stat. Outputs go to /dev/null; a process that exits mid-read is ignored.
 */
function floorScript(tmuxSocketPath) {
  const fields = [
    "pane_id",
    "window_index",
    "pane_index",
    "pane_pid",
    "pane_dead",
    "pane_dead_status",
    "window_activity",
    "session_name",
  ];
  const format = fields.map((f) => `#{${f}}`).join("\u001f");
  const script = [
    '"$1" -e 0',
    'tmux -S "$2" list-panes -a -F "$3" >/dev/null',
    "systemctl --user list-units --all --no-pager --plain --output=json -- 'mfbench-agent@*.service' mfbench-holder.service >/dev/null",
    "cat /proc/[0-9]*/stat >/dev/null 2>&1",
    "exit 0",
  ].join("\n");
  return ["/bin/sh", "-c", script, "floor", process.execPath, tmuxSocketPath, format];
}
const MAX_BUSY = argv.includes("--max-busy") ? Number(argv[argv.indexOf("--max-busy") + 1]) : 0.1;

const log = (...a) => console.log(...a);

/** Bundle bench/phases.src.mjs (which imports src/*.ts) into a temp .mjs. */
async function bundlePhases(dir) {
  const { build } = await import("esbuild");
  const outfile = join(dir, "phases.mjs");
  await build({
    entryPoints: [join(REPO, "bench", "phases.src.mjs")],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20.19",
    logLevel: "error",
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return outfile;
}

function checkStatus(stdout, n) {
  const status = JSON.parse(stdout.toString());
  const agents = status.agents ?? [];
  const problems = [];
  if (agents.length !== n + 1) problems.push(`expected ${n + 1} agents (incl. _holder), got ${agents.length}`);
  const notAlive = agents.filter((a) => a.pane?.state !== "alive");
  if (notAlive.length)
    problems.push(
      `${notAlive.length} agents with pane.state != alive (e.g. ${notAlive[0].name}: ${notAlive[0].pane?.state})`,
    );
  const notActive = agents.filter((a) => a.unit?.active !== "active" || a.unit?.enabled !== "enabled");
  if (notActive.length)
    problems.push(
      `${notActive.length} units not active/enabled (e.g. ${notActive[0].name}: ${notActive[0].unit?.active}/${notActive[0].unit?.enabled})`,
    );
  const unhealthy = agents.filter((a) => a.name !== "_holder" && a.heartbeat?.state !== "healthy");
  if (unhealthy.length)
    problems.push(
      `${unhealthy.length} heartbeats not healthy (e.g. ${unhealthy[0].name}: ${unhealthy[0].heartbeat?.state})`,
    );
  if ((status.unmanaged ?? []).length) problems.push(`${status.unmanaged.length} unmanaged sessions`);
  // Not fatal (the measured work is the same), but shown: a healthy fleet has none.
  const trueConditions = agents.flatMap((a) =>
    (a.conditions ?? [])
      .filter((c) => c.status === "True")
      .map((c) => `${a.name}: ${c.type} ${c.reason} (${c.message}; runtime ${JSON.stringify(a.runtime)})`),
  );
  return {
    agents: agents.length,
    alive: agents.length - notAlive.length,
    trueConditions,
    bytes: stdout.length,
    problems,
  };
}

function hostProcesses() {
  return readdirSync("/proc").filter((n) => /^\d+$/.test(n)).length;
}

withCleanup(async (track) => {
  requireBuild();
  const m = machine();
  printMachine(m);
  const cli = track(snapshotCli());
  log(`build: ${cli.build}`);
  const work = mkdtempSync(join(tmpdir(), "mf-bench-work-"));
  track({ cleanup: () => rmSync(work, { recursive: true, force: true }) });
  const strace = haveStrace();
  if (!strace) log("strace not found: spawn counts skipped (apt-get install -y strace)");
  let phasesBundle = null;
  if (PHASES) {
    try {
      phasesBundle = await bundlePhases(work);
    } catch (error) {
      log(`phase timings skipped: cannot bundle bench/phases.src.mjs from src/ (${error.message.split("\n")[0]})`);
    }
  }

  // Size-independent: what the CLI compiles (once; later runs take it from the code cache).
  const bundles = await bundleSizes(cli.dist);
  log("what `fleet ps` compiles on its first run (bytes per package, from the source maps):");
  printBundleSizes(bundles, log);
  log("");

  const fleet = track(new Fleet());
  const setupStart = Date.now();
  await fleet.start();
  const unitPath = fleet.systemctl("show", "--property=UnitPath", "--value").stdout.trim().split(/\s+/).filter(Boolean);
  log(`systemd --user UnitPath: ${unitPath.length} directories`);
  log(
    `fleet: tmux socket ${fleet.socket} (TMUX_TMPDIR ${fleet.tmuxTmp}), systemd --user pid ${fleet.managerPid}, cgroup ${fleet.cgroups.join(", ")}`,
  );
  log(`runs: ${RUNS} timed rounds after ${WARMUP} warm-up rounds per size, node -e 0 and fleet ps interleaved\n`);

  const results = [];
  for (const n of sizes) {
    const t0 = Date.now();
    fleet.grow(n, { log: (line) => n >= 500 && log(line) });
    const roster = fleet.writeRoster(n);
    fleet.writeHeartbeats(n);
    const setupS = (Date.now() - t0) / 1000;
    const env = fleet.cliEnv();
    const ps = [cli.mosaic, "fleet", "ps", "-o", "json", "--roster", roster];

    // 1. correctness of what is being timed
    const once = timed(ps, { env });
    if (once.status !== 0) throw new Error(`fleet ps exited ${once.status}: ${once.stderr.toString()}`);
    const check = checkStatus(once.stdout, n);
    if (check.problems.length)
      throw new Error(`fleet ps output at ${n} agents is not a healthy fleet: ${check.problems.join("; ")}`);

    // 2. timing, interleaved with node -e 0 and the floor script; heartbeats refreshed
    // outside the timed region. Each build keeps its caches in its own XDG_CACHE_HOME, as
    // an operator's one installed build does: two builds sharing one would overwrite each
    // other's roster-cache entry (it is keyed by the build) and every run would miss.
    // The machine is shared: wait for other work to settle, and record how much CPU the
    // rest of the machine used during the block (the "foreign load" printed below).
    const baseEnv = BASELINE ? { ...env, XDG_CACHE_HOME: join(work, "baseline-cache") } : null;
    const tmuxSocketPath = join(fleet.tmuxTmp, `tmux-${process.getuid()}`, fleet.socket);
    const commands = {
      "node -e 0": { argv: [process.execPath, "-e", "0"], env },
      "floor script": { argv: floorScript(tmuxSocketPath), env },
      "fleet ps -o json": { argv: ps, env },
      ...(BASELINE
        ? {
            "baseline fleet ps -o json": {
              argv: [process.execPath, join(BASELINE, "bin", "mosaic"), ...ps.slice(1)],
              env: baseEnv,
            },
          }
        : {}),
      ...Object.fromEntries(
        ALSO.map((dir, i) => [
          alsoName(dir),
          {
            argv: [process.execPath, join(dir, "bin", "mosaic"), ...ps.slice(1)],
            env: { ...env, XDG_CACHE_HOME: join(work, `also-cache-${i}`) },
          },
        ]),
      ),
    };
    // At 100 agents: the commands that parse the roster. `fleet validate` always does; the
    // "cache miss" runs get their own copy of the roster, edited (one comment line
    // changes) before every run, outside the timed region, so each is the first fleet ps
    // after a roster edit. The compiled-code cache is hit as usual.
    const edited = n === COLD_SIZE ? roster.replace(/\.yaml$/, "-edited.yaml") : null;
    let edits = 0;
    const editRoster = () => writeFileSync(edited, `# edit ${(edits += 1)}\n${readFileSync(roster, "utf8")}`);
    if (edited) {
      editRoster();
      const cold = (bin, e) => ({
        [`${bin === cli.mosaic ? "" : "baseline "}fleet validate`]: {
          argv: [process.execPath, bin, "fleet", "validate", "--roster", roster],
          env: e,
        },
        [`${bin === cli.mosaic ? "" : "baseline "}fleet ps -o json, roster edited`]: {
          argv: [process.execPath, bin, "fleet", "ps", "-o", "json", "--roster", edited],
          env: e,
        },
      });
      Object.assign(commands, cold(cli.mosaic, env));
      if (BASELINE) Object.assign(commands, cold(join(BASELINE, "bin", "mosaic"), baseEnv));
    }
    const {
      result: timing,
      foreign,
      quietBefore,
      attempt,
    } = await measureQuietly(
      () =>
        interleave(commands, {
          runs: RUNS,
          warmup: WARMUP,
          before: (name) => {
            if (name.endsWith("roster edited")) editRoster();
            if (name !== "node -e 0") fleet.refreshHeartbeats(n);
          },
          check: (name, r) => {
            if (name.includes("fleet ps") && !r.stdout.includes(`"name": "agent-${String(n).padStart(4, "0")}"`))
              throw new Error(`${name}: output incomplete`);
          },
        }),
      { maxBusy: MAX_BUSY, maxForeign: MAX_BUSY, log },
    );

    // Peak RSS (the kernel's maxrss of the child), a separate pass of a few runs.
    fleet.refreshHeartbeats(n);
    const rss = Object.fromEntries(
      Object.entries(commands)
        .filter(([name]) => !name.includes("validate") && !name.includes("edited"))
        .map(([name, c]) => [name, peakRss(c.argv, c.env, 5)]),
    );

    // 3. the observer commands alone (what the CLI spawns), same env
    const tmuxFmt = [
      "pane_id",
      "window_index",
      "pane_index",
      "pane_pid",
      "pane_dead",
      "pane_dead_status",
      "window_activity",
      "pane_width",
      "pane_height",
      "pane_in_mode",
      "pane_input_off",
      "pane_synchronized",
      "pane_current_command",
      "session_name",
    ]
      .map((f) => `#{${f}}`)
      .join("\u001f");
    const raw = interleave(
      {
        "tmux list-panes -a -F …": {
          argv: [
            "tmux",
            "-S",
            join(fleet.tmuxTmp, `tmux-${process.getuid()}`, fleet.socket),
            "list-panes",
            "-a",
            "-F",
            tmuxFmt,
          ],
          env,
        },
        "  same without #{pane_current_command}": {
          argv: [
            "tmux",
            "-S",
            join(fleet.tmuxTmp, `tmux-${process.getuid()}`, fleet.socket),
            "list-panes",
            "-a",
            "-F",
            tmuxFmt.replace("#{pane_current_command}", ""),
          ],
          env,
        },
        "systemctl --user list-units PATTERN --output=json": {
          argv: [
            "systemctl",
            "--user",
            "list-units",
            "--all",
            "--no-pager",
            "--plain",
            "--output=json",
            "--",
            "mfbench-agent@*.service",
            "mfbench-holder.service",
          ],
          env,
        },
        "systemctl --user show -p UnitPath": {
          argv: ["systemctl", "--user", "show", "--property=UnitPath", "--value"],
          env,
        },
      },
      { runs: RUNS, warmup: 2 },
    );

    // 4. spawn count (separate pass: strace slows everything down)
    let spawns = null;
    let syscalls = null;
    if (strace) {
      fleet.refreshHeartbeats(n);
      const traced = countExecs(ps, env);
      const tracedCheck = checkStatus(traced.stdout, n);
      spawns = {
        count: traced.spawned.length,
        programs: traced.spawned,
        self: traced.self,
        failedExecs: traced.failedExecs,
        outputOk: tracedCheck.problems.length === 0,
      };
      fleet.refreshHeartbeats(n);
      syscalls = countSyscalls(ps, env);
    }

    // 5. phases in-process (cold, fresh process each), median of RUNS
    let phases = null;
    if (phasesBundle) {
      await waitForQuiet({ maxBusy: MAX_BUSY, log });
      phases = {};
      for (const mode of ["pipeline", "sources"]) {
        const samples = {};
        for (let i = 0; i < Math.max(5, Math.ceil(RUNS / 2)); i += 1) {
          fleet.refreshHeartbeats(n);
          const r = timed([process.execPath, phasesBundle, mode, roster], { env });
          const line = r.stderr
            .toString()
            .split("\n")
            .find((l) => l.startsWith("PHASES "));
          if (r.status !== 0 || !line)
            throw new Error(`phase script (${mode}) failed: ${r.stderr.toString().slice(0, 1500)}`);
          for (const [k, v] of Object.entries(JSON.parse(line.slice(7)))) (samples[k] ??= []).push(v);
        }
        for (const [k, v] of Object.entries(samples)) phases[k] = stats(v);
      }
    }

    // 6. CPU profile of the real CLI
    let profile = null;
    if (PROFILE) {
      await waitForQuiet({ maxBusy: MAX_BUSY, log });
      const dir = join(work, `prof-${n}`);
      for (let i = 0; i < 5; i += 1) {
        fleet.refreshHeartbeats(n);
        const r = timed(
          [
            process.execPath,
            "--cpu-prof",
            "--cpu-prof-interval",
            "250",
            "--cpu-prof-dir",
            dir,
            cli.mosaic,
            ...ps.slice(1),
          ],
          { env },
        );
        if (r.status !== 0) throw new Error(`profiled fleet ps failed: ${r.stderr.toString()}`);
      }
      profile = await analyzeProfiles(
        readdirSync(dir).map((f) => join(dir, f)),
        cli.dist,
      );
    }

    // The warm-up rounds wrote the compiled-code cache that the timed runs used (src/cli/boot.ts).
    const codeCache = codeCacheEntries(env.XDG_CACHE_HOME);
    const row = {
      codeCache,
      trueConditions: check.trueConditions,
      agents: n,
      hostProcesses: hostProcesses(),
      quietBefore,
      foreignLoad: foreign,
      attempt,
      loadavg: loadavg()
        .map((x) => x.toFixed(2))
        .join(" "),
      setupS,
      outputBytes: check.bytes,
      timing,
      raw,
      rss,
      spawns,
      syscalls,
      phases,
      profile,
    };
    results.push(row);

    const ps0 = timing["fleet ps -o json"];
    const floor = timing["node -e 0"];
    log(
      `== ${n} agents (+ _holder; ${row.hostProcesses} processes on host, load average ${row.loadavg}; setup ${setupS.toFixed(1)} s; JSON ${(check.bytes / 1024).toFixed(0)} KiB, ${check.alive}/${check.agents} panes alive, ${check.trueConditions.length} conditions True)`,
    );
    for (const c of check.trueConditions.slice(0, 5)) log(`   WARNING condition True: ${c}`);
    log(
      `   other work on the machine during the timed block: ${(foreign * 100).toFixed(1)}% of all CPUs (before: ${(quietBefore * 100).toFixed(0)}%; attempt ${attempt})`,
    );
    log(
      `   ${"".padEnd(52)} ${"median".padStart(7)} ${"p10".padStart(7)} ${"p90".padStart(7)} ${"min".padStart(7)} ${"max".padStart(7)} ${"cpu".padStart(7)}`,
    );
    const base = timing["baseline fleet ps -o json"];
    for (const [name, s] of [...Object.entries(timing), ...Object.entries(raw)]) {
      log(
        `   ${name.padEnd(52)} ${ms(s.median).padStart(7)} ${ms(s.p10).padStart(7)} ${ms(s.p90).padStart(7)} ${ms(s.min).padStart(7)} ${ms(s.max).padStart(7)} ${ms(s.cpuMean).padStart(7)}`,
      );
    }
    const floorScriptTime = timing["floor script"];
    log(
      `   fleet ps − node -e 0 (medians): ${ms(ps0.median - floor.median)} ms; ratio ${(ps0.median / floor.median).toFixed(2)}x node -e 0, ${(ps0.median / floorScriptTime.median).toFixed(2)}x the floor script`,
    );
    if (base)
      log(
        `   baseline ${BASELINE}: ratio to node -e 0 ${(base.median / floor.median).toFixed(2)}x; this build / baseline ${(ps0.median / base.median).toFixed(2)}x`,
      );
    for (const dir of ALSO) {
      const other = timing[alsoName(dir)];
      if (other)
        log(
          `   ${dir}: ratio to node -e 0 ${(other.median / floor.median).toFixed(2)}x; this build / it ${(ps0.median / other.median).toFixed(2)}x${base ? `; it / baseline ${(other.median / base.median).toFixed(2)}x` : ""}`,
        );
    }
    for (const name of Object.keys(timing).filter((k) => k.includes("validate") || k.includes("edited")))
      log(`   ${name}: ${(timing[name].median / floor.median).toFixed(2)}x node -e 0`);
    log(
      `   peak RSS (MiB, median [max] of 5 runs): ${Object.entries(rss)
        .map(([name, r]) => `${name} ${r ? `${ms(r.median)} [${ms(r.max)}]` : "n/a"}`)
        .join("; ")}`,
    );
    log(
      `   compiled-code cache used by the timed runs: ${codeCache.map((e) => `${e.name} (${(e.bytes / 1024).toFixed(0)} KiB)`).join(", ") || "NONE (every run compiled from source)"}`,
    );
    if (spawns)
      log(
        `   subprocesses spawned: ${spawns.count} — ${spawns.programs.join(" | ")} (PATH lookups that failed: ${spawns.failedExecs})`,
      );
    if (syscalls) {
      log(
        `   syscalls of the CLI's main thread: ${syscalls.total?.calls} (${syscalls.total?.errors} failed); most frequent:`,
      );
      log(
        `     ${syscalls.top
          .slice(0, 8)
          .map((r) => `${r.syscall} ${r.calls}${r.errors ? ` (${r.errors} failed)` : ""}`)
          .join(", ")}`,
      );
    }
    if (phases) {
      log("   phases (in-process from src/, median ms):");
      for (const [k, s] of Object.entries(phases)) {
        const count = k === "proc: files read" || k.startsWith("spawned");
        log(
          `     ${k.padEnd(66)} ${(count ? String(s.median) : ms(s.median)).padStart(7)}${count ? "" : ` [${ms(s.p10)}–${ms(s.p90)}]`}`,
        );
      }
    }
    if (profile) {
      log(
        `   CPU profile (mean of ${profile.profiles} runs, ${ms(profile.profiledMs)} ms profiled): self time by module:`,
      );
      for (const e of profile.selfByModule.slice(0, 10)) log(`     ${ms(e.ms).padStart(7)}  ${e.fn}`);
      log("   top self time by function:");
      for (const e of profile.self.slice(0, 12)) log(`     ${ms(e.ms).padStart(7)}  ${e.fn}`);
      log("   inclusive time of the pipeline's own functions:");
      for (const e of profile.inclusive.filter((x) => /\bsrc\//.test(x.fn)).slice(0, 16))
        log(`     ${ms(e.ms).padStart(7)}  ${e.fn}`);
    }
    log("");
  }

  log(
    "summary (ms, wall time; median [p10–p90]; cpu = user+sys ms per run incl. children; foreign = other work on the machine meanwhile):",
  );
  log(
    `${"agents".padStart(6)}  ${"node -e 0".padEnd(22)}  ${"floor script".padEnd(22)}  ${"fleet ps -o json".padEnd(22)}  ${"ps − node".padStart(9)}  ${"ps cpu".padStart(7)}  spawns  foreign`,
  );
  for (const r of results) {
    const a = r.timing["node -e 0"];
    const b = r.timing["fleet ps -o json"];
    const f = r.timing["floor script"];
    log(
      `${String(r.agents).padStart(6)}  ${`${ms(a.median)} [${ms(a.p10)}–${ms(a.p90)}]`.padEnd(22)}  ${`${ms(f.median)} [${ms(f.p10)}–${ms(f.p90)}]`.padEnd(22)}  ${`${ms(b.median)} [${ms(b.p10)}–${ms(b.p90)}]`.padEnd(22)}  ${ms(b.median - a.median).padStart(9)}  ${ms(b.cpuMean).padStart(7)}  ${String(r.spawns?.count ?? "n/a").padStart(6)}  ${(r.foreignLoad * 100).toFixed(1)}%`,
    );
  }
  const counts = new Set(results.map((r) => r.spawns?.count));
  if (strace)
    log(
      `spawn count ${counts.size === 1 ? "is the same at every size" : "DIFFERS between sizes"}: ${[...counts].join(", ")}`,
    );
  // One line per target: the figure, its ratio, PASS or ABOVE (BENCHMARKS.md, Round 3).
  log("targets:");
  const verdict = (value, limit) => (value <= limit ? "PASS" : "ABOVE");
  const at = (size) => results.find((r) => r.agents === size);
  const ratio = (row, a, b) => row.timing[a].median / row.timing[b].median;
  const r500 = at(500);
  if (r500) {
    const x = ratio(r500, "fleet ps -o json", "floor script");
    log(
      `  fleet ps at 500 / floor script = ${ms(r500.timing["fleet ps -o json"].median)} / ${ms(r500.timing["floor script"].median)} ms = ${x.toFixed(2)}x (≤ ${TARGET.floor500}x) ${verdict(x, TARGET.floor500)}`,
    );
    if (r500.timing["baseline fleet ps -o json"]) {
      const mine = ratio(r500, "fleet ps -o json", "node -e 0");
      const old = ratio(r500, "baseline fleet ps -o json", "node -e 0");
      const cpu = (name) => ms(r500.timing[name].cpuMean);
      log(
        `  issue 12: fleet ps at 500 / node -e 0 = ${mine.toFixed(2)}x, baseline ${old.toFixed(2)}x (no slower; CPU per run ${cpu("fleet ps -o json")} against ${cpu("baseline fleet ps -o json")} ms) ${verdict(mine, old)}`,
      );
    }
  }
  const r1000 = at(1000);
  if (r1000) {
    const x = ratio(r1000, "fleet ps -o json", "node -e 0");
    log(
      `  fleet ps at 1000 / node -e 0 = ${ms(r1000.timing["fleet ps -o json"].median)} / ${ms(r1000.timing["node -e 0"].median)} ms = ${x.toFixed(2)}x (≤ ${TARGET.node1000}x) ${verdict(x, TARGET.node1000)}`,
    );
    const rss = r1000.rss["fleet ps -o json"];
    // Judged on the median of the runs' peaks, as every time figure is on its median.
    if (rss)
      log(
        `  peak RSS of fleet ps at 1000 = ${ms(rss.median)} MiB (median of 5 runs' peaks, max ${ms(rss.max)}; ≤ ${TARGET.rssMiB1000} MiB) ${verdict(rss.median, TARGET.rssMiB1000)}`,
      );
  }
  const cold = at(COLD_SIZE);
  if (cold)
    for (const name of ["fleet validate", "fleet ps -o json, roster edited"]) {
      const x = ratio(cold, name, "node -e 0");
      log(
        `  ${name} at ${COLD_SIZE} / node -e 0 = ${ms(cold.timing[name].median)} / ${ms(cold.timing["node -e 0"].median)} ms = ${x.toFixed(2)}x (≤ ${TARGET.cold100}x) ${verdict(x, TARGET.cold100)}`,
      );
    }
  if (strace) {
    const two = results.every((r) => r.spawns?.count === 2);
    log(`  subprocesses per fleet ps: ${[...counts].join(", ")} (2 at every size) ${two ? "PASS" : "ABOVE"}`);
  }
  log(`total wall time incl. setup: ${((Date.now() - setupStart) / 1000).toFixed(0)} s; cleaning up…`);
  if (process.env.BENCH_OUT)
    writeFileSync(
      process.env.BENCH_OUT,
      JSON.stringify({ machine: m, build: cli.build, runs: RUNS, warmup: WARMUP, bundles, results }, null, 2),
    );
});
