// Shared helpers for the benchmarks in bench/: timing and statistics, machine facts,
// strace-based spawn counting, and a REAL private fleet (tmux server + systemd user
// manager + heartbeat files) that is torn down completely on exit, on Ctrl-C, and —
// through a detached watcher — even if this process is SIGKILLed.
//
// Plain JavaScript on purpose (node built-ins, plus the /proc readers and the cleanup
// watcher of test/helpers/proc.mjs, which the tests share): `node bench/<file>.mjs`
// after `npm run build`, no TypeScript loader needed.
//
// Isolation rules (as in test/helpers/tmux.ts and systemd.ts): every tmux call passes
// -L <our socket> with TMUX_TMPDIR pointing at our own 0700 directory and TMUX unset;
// the user manager gets a fresh XDG_RUNTIME_DIR and runs inside its own cgroup (so
// units of other private managers on this host can never share a cgroup with ours);
// nothing else is touched.

import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  cgroupPids,
  pidAlive,
  removeCgroupTrees,
  sleep,
  startReaper,
  startTicks,
  trackingHierarchies,
} from "../test/helpers/proc.mjs";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const MOSAIC = join(REPO, "bin", "mosaic");
export const SYSTEMD_BINARY = "/lib/systemd/systemd";

// --- statistics ---------------------------------------------------------------------------

/** Nearest-rank percentile of an ascending array. */
function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length / 2;
  const median = s.length % 2 ? s[Math.floor(mid)] : (s[mid - 1] + s[mid]) / 2;
  return { n: s.length, median, p10: pct(s, 10), p90: pct(s, 90), min: s[0], max: s[s.length - 1] };
}

export const ms = (x) => (Number.isFinite(x) ? x.toFixed(1) : "-");

const TICK_MS = 10; // USER_HZ = 100 on Linux x86_64/arm64

/** CPU ms (user + system) of this process's waited-for children so far (/proc/self/stat). */
function childrenCpuMs() {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[13]) + Number(f[14])) * TICK_MS; // fields 16, 17: cutime, cstime
}

/** CPU ms of this process itself. */
function selfCpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Host-wide busy and total jiffies from /proc/stat (all CPUs). */
function hostCpu() {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const idle = cpu[3] + cpu[4];
  const total = cpu.reduce((a, b) => a + b, 0);
  return { busyMs: (total - idle) * TICK_MS, totalMs: total * TICK_MS };
}

/**
 * Measure how much CPU the REST of the machine used while fn ran (other users' builds
 * and tests), as a fraction of all CPUs: the noise figure printed next to each block.
 */
export function foreignLoad(fn) {
  const h0 = hostCpu();
  const c0 = childrenCpuMs();
  const s0 = selfCpuMs();
  const result = fn();
  const h1 = hostCpu();
  const ours = childrenCpuMs() - c0 + (selfCpuMs() - s0);
  const total = h1.totalMs - h0.totalMs;
  const foreign = total > 0 ? Math.max(0, (h1.busyMs - h0.busyMs - ours) / total) : 0;
  return { result, foreign };
}

/** Wait (bounded) until the rest of the machine is quiet: < maxBusy of all CPUs over 3 s. */
export async function waitForQuiet({ maxBusy = 0.1, timeoutMs = 180_000, log = () => {} } = {}) {
  const deadline = Date.now() + timeoutMs;
  let warned = false;
  for (;;) {
    const h0 = hostCpu();
    await new Promise((r) => setTimeout(r, 3000));
    const h1 = hostCpu();
    const busy = (h1.busyMs - h0.busyMs) / Math.max(1, h1.totalMs - h0.totalMs);
    if (busy <= maxBusy) return busy;
    if (Date.now() > deadline) {
      log(
        `   (machine still ${(busy * 100).toFixed(0)}% busy after ${timeoutMs / 1000} s of waiting; measuring anyway)`,
      );
      return busy;
    }
    if (!warned) {
      log(
        `   (machine ${(busy * 100).toFixed(0)}% busy with other work; waiting for it to settle below ${(maxBusy * 100).toFixed(0)}%…)`,
      );
      warned = true;
    }
  }
}

/** Run argv (no shell) to completion; wall time in ms measured around spawnSync, plus its CPU ms. */
export function timed(argv, { env, input, maxBuffer = 512 * 1024 * 1024 } = {}) {
  const c0 = childrenCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { env, input, maxBuffer, stdio: ["ignore", "pipe", "pipe"] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = childrenCpuMs() - c0;
  if (r.error) throw r.error;
  return { wall, cpu, status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Interleave several commands: `warmup` untimed rounds, then `runs` rounds; each round
 * runs every command once, rotating the order so none always goes first.
 * `before(name)` runs outside the timed region (e.g. refresh heartbeats).
 */
export function interleave(commands, { runs, warmup, before, check } = {}) {
  const names = Object.keys(commands);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  const cpu = Object.fromEntries(names.map((n) => [n, 0]));
  for (let round = -warmup; round < runs; round += 1) {
    const offset = ((round % names.length) + names.length) % names.length;
    for (let i = 0; i < names.length; i += 1) {
      const name = names[(i + offset) % names.length];
      before?.(name);
      const r = timed(commands[name].argv, { env: commands[name].env });
      if (r.status !== 0) {
        throw new Error(
          `${commands[name].argv.join(" ")} exited ${r.status ?? r.signal}: ${r.stderr.toString().slice(0, 2000)}`,
        );
      }
      check?.(name, r);
      if (round >= 0) {
        samples[name].push(r.wall);
        cpu[name] += r.cpu;
      }
    }
  }
  // cpuMean: user+sys CPU ms per run (incl. the command's own children), from the
  // kernel's 10 ms-tick child accounting, averaged over the runs.
  return Object.fromEntries(names.map((n) => [n, { ...stats(samples[n]), cpuMean: cpu[n] / Math.max(1, runs) }]));
}

/**
 * Peak resident set size (MiB) of a command, from the kernel's maxrss of the waited-for
 * child (GNU time's %M, or python's getrusage when GNU time is missing): `runs` runs,
 * median and max. Null when neither is installed.
 */
export function peakRss(argv, env, runs = 5) {
  const samples = [];
  const gnuTime = existsSync("/usr/bin/time");
  for (let i = 0; i < runs; i += 1) {
    const r = gnuTime
      ? spawnSync("/usr/bin/time", ["-f", "MAXRSS %M", ...argv], { env, maxBuffer: 512 * 1024 * 1024 })
      : spawnSync(
          "python3",
          [
            "-c",
            "import resource,subprocess,sys;subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL);print('MAXRSS',resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,file=sys.stderr)",
            ...argv,
          ],
          { env, maxBuffer: 512 * 1024 * 1024 },
        );
    const m = /MAXRSS (\d+)/.exec(r.stderr?.toString() ?? "");
    if (r.error || !m) return null;
    samples.push(Number(m[1]) / 1024);
  }
  return stats(samples);
}

// --- machine facts ------------------------------------------------------------------------

function firstLine(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
  return r.error ? "n/a" : (r.stdout || r.stderr).trim().split("\n")[0];
}

export function machine() {
  let model = cpus()[0]?.model ?? "unknown";
  return {
    nproc: firstLine(["nproc"]),
    cpu: model.trim(),
    memGiB: (totalmem() / 2 ** 30).toFixed(1),
    kernel: release(),
    node: process.version,
    tmux: firstLine(["tmux", "-V"]),
    systemd: firstLine(["systemctl", "--version"]),
    hostProcesses: readdirSync("/proc").filter((n) => /^\d+$/.test(n)).length,
    loadavg: loadavg()
      .map((x) => x.toFixed(2))
      .join(" "),
  };
}

export function printMachine(m) {
  console.log(
    `machine: ${m.nproc} cpu (${m.cpu}), ${m.memGiB} GiB, kernel ${m.kernel}, node ${m.node}, ${m.tmux}, ${m.systemd}; ` +
      `load average ${m.loadavg}, ${m.hostProcesses} processes`,
  );
}

/** The CLI must exist; say how to build it otherwise. */
export function requireBuild() {
  if (!existsSync(join(REPO, "dist", "cli.cjs"))) {
    console.error("bench: dist/cli.cjs is missing; run `npm run build` first");
    process.exit(2);
  }
}

/** process.env without anything that could point a child at someone else's tmux/systemd. */
export function cleanEnv() {
  const env = {};
  const leaky =
    /^(TMUX|TMUX_PANE|TMUX_TMPDIR|DBUS_SESSION_BUS_ADDRESS|NOTIFY_SOCKET|LISTEN_.*|INVOCATION_ID|JOURNAL_STREAM|MANAGERPID|SYSTEMD_EXEC_PID|NODE_OPTIONS|XDG_.*|MOSAIC_.*|NO_COLOR)$/;
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !leaky.test(k)) env[k] = v;
  return env;
}

// --- spawn counting with strace -----------------------------------------------------------

export function haveStrace() {
  return !spawnSync("strace", ["-V"]).error;
}

/**
 * Run argv under `strace -f -ff -e trace=execve,execveat` and report every process that
 * successfully exec'd a program. The first is the command itself (bin/mosaic → env →
 * node, all one pid); every other pid is a subprocess the CLI spawned.
 */
export function countExecs(argv, env) {
  const dir = mkdtempSync(join(tmpdir(), "mf-bench-strace-"));
  try {
    const r = spawnSync(
      "strace",
      ["-f", "-ff", "-qq", "-e", "trace=execve,execveat", "-e", "signal=none", "-o", join(dir, "t"), ...argv],
      {
        env,
        maxBuffer: 512 * 1024 * 1024,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    if (r.error) throw r.error;
    if (r.status !== 0)
      throw new Error(`strace ${argv.join(" ")} exited ${r.status}: ${r.stderr.toString().slice(0, 2000)}`);
    const procs = [];
    let failed = 0;
    for (const file of readdirSync(dir)) {
      const pid = Number(file.split(".")[1]);
      const programs = [];
      for (const line of readFileSync(join(dir, file), "utf8").split("\n")) {
        const m = /^execve(?:at)?\((?:\d+, )?"([^"]*)", \[([^\]]*)\].*\) = (-?\d+)/.exec(line);
        if (!m) continue;
        if (m[3] === "0") programs.push({ path: m[1], argv: m[2] });
        else failed += 1;
      }
      if (programs.length > 0) procs.push({ pid, programs });
    }
    procs.sort((a, b) => a.pid - b.pid);
    const [self, ...children] = procs;
    return {
      status: r.status,
      stdout: r.stdout,
      self: self?.programs.map((p) => p.path) ?? [],
      spawned: children.map((c) => {
        const last = c.programs[c.programs.length - 1];
        // argv[0] and the first sub-command word, skipping options and their paths
        const words = last.argv.split(", ").map((w) => w.replace(/^"|"$/g, ""));
        const shown = [words[0]];
        for (let i = 1; i < words.length && shown.length < 3; i += 1) {
          if (words[i] === "-S" || words[i] === "-L") i += 1;
          else shown.push(words[i]);
        }
        return `${shown.join(" ")} …`;
      }),
      failedExecs: failed,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- a real private fleet -----------------------------------------------------------------

const AGENT_TEMPLATE = "mfbench-agent@.service";
const HOLDER_UNIT = "mfbench-holder.service";

/**
 * A private fleet: one tmux server (socket `mfbench-PID-RAND` in our own TMUX_TMPDIR),
 * one `systemd --user` in its own cgroup, the contrib units installed under bench names
 * (mfbench-holder.service + mfbench-agent@.service, otherwise verbatim), and
 * $MOSAIC_HOME/fleet/run/NAME.hb heartbeats. Agents are added with grow(n).
 */
export class Fleet {
  constructor() {
    this.tag = `${process.pid}-${randomBytes(3).toString("hex")}`;
    this.socket = `mfbench-${this.tag}`;
    this.root = mkdtempSync(join(tmpdir(), "mf-bench-"));
    chmodSync(this.root, 0o700);
    this.tmuxTmp = join(this.root, "tmux");
    this.runtimeDir = join(this.root, "run");
    this.configHome = join(this.root, "config");
    this.unitDir = join(this.configHome, "systemd", "user");
    this.mosaicHome = join(this.configHome, "mosaic");
    this.hbDir = join(this.mosaicHome, "fleet", "run");
    this.rosterDir = join(this.root, "rosters");
    mkdirSync(this.tmuxTmp, { mode: 0o700 });
    mkdirSync(this.runtimeDir, { mode: 0o700 });
    mkdirSync(this.unitDir, { recursive: true });
    mkdirSync(join(this.mosaicHome, "fleet"), { recursive: true });
    mkdirSync(this.hbDir, { mode: 0o700 });
    chmodSync(this.hbDir, 0o700);
    mkdirSync(this.rosterDir);
    for (const d of ["data", "state", "cache"]) mkdirSync(join(this.root, d));
    this.agents = []; // names, in order
    this.panePids = new Map();
    this.managerPid = null;
    this.cgroups = [];
    this.cleaned = false;
    this.startReaper();
  }

  /** What the CLI (and `node -e 0`, for fairness) runs with. */
  cliEnv() {
    return {
      ...cleanEnv(),
      XDG_RUNTIME_DIR: this.runtimeDir,
      XDG_CONFIG_HOME: this.configHome,
      // The CLI's caches (roster, UnitPath) live and die with the benchmark's fleet.
      XDG_CACHE_HOME: join(this.root, "cache"),
      DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(this.runtimeDir, "bus")}`,
      TMUX_TMPDIR: this.tmuxTmp,
      MOSAIC_HOME: this.mosaicHome,
      NO_COLOR: "1",
    };
  }

  /**
   * The shared cleanup watcher (test/helpers/proc.mjs): if this process dies without
   * cleaning up (SIGKILL), it kills our tmux server (our socket only), terminates our
   * manager (pid + start time, from $root/manager.pid), kills what is left in our
   * cgroups and removes our temp root.
   */
  startReaper() {
    this.reaper = startReaper({
      tmux: { socket: this.socket, dir: this.tmuxTmp },
      managerFile: join(this.root, "manager.pid"),
      root: this.root,
      cgroups: this.cgroups,
      env: cleanEnv(),
    });
  }

  stopReaper() {
    this.reaper?.stop();
    this.reaper = undefined;
  }

  tmux(...args) {
    return spawnSync("tmux", ["-f", "/dev/null", "-L", this.socket, ...args], {
      env: { ...cleanEnv(), TMUX_TMPDIR: this.tmuxTmp },
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      timeout: 60_000,
    });
  }

  systemctl(...args) {
    const r = spawnSync("systemctl", ["--user", ...args], {
      env: this.cliEnv(),
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      timeout: 600_000,
    });
    return { ok: r.status === 0, status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", error: r.error };
  }

  systemctlOk(...args) {
    const r = this.systemctl(...args);
    if (!r.ok)
      throw new Error(
        `systemctl --user ${args.slice(0, 4).join(" ")}${args.length > 4 ? " …" : ""} failed: ${(r.stderr || String(r.error)).trim()}`,
      );
    return r;
  }

  /** Start systemd --user in its own cgroup, install the units, start the holder. */
  async start() {
    if (process.getuid?.() !== 0)
      throw new Error("the fleet benchmark needs root (a private systemd user manager, as test/helpers/systemd.ts)");
    if (!existsSync(SYSTEMD_BINARY)) throw new Error(`${SYSTEMD_BINARY} is missing`);
    mkdirSync("/run/systemd/system", { recursive: true });

    const relative = `/mosaic-fleet-bench-${this.tag}`;
    for (const h of trackingHierarchies()) {
      mkdirSync(h + relative);
      this.cgroups.push(h + relative);
    }
    if (this.cgroups.length === 0) throw new Error("no cgroup hierarchy to isolate the user manager in");
    // Restart the watcher so it knows the cgroups too.
    this.stopReaper();
    this.startReaper();

    const logFd = openSync(join(this.root, "manager.log"), "a");
    const env = {
      ...cleanEnv(),
      XDG_RUNTIME_DIR: this.runtimeDir,
      XDG_CONFIG_HOME: this.configHome,
      XDG_DATA_HOME: join(this.root, "data"),
      XDG_STATE_HOME: join(this.root, "state"),
      XDG_CACHE_HOME: join(this.root, "cache"),
    };
    const script = 'for f do echo $$ > "$f" || exit 97; done; exec "$0" --user';
    const child = spawn(
      "/bin/sh",
      ["-c", script, SYSTEMD_BINARY, ...this.cgroups.map((d) => join(d, "cgroup.procs"))],
      {
        detached: true,
        stdio: ["ignore", logFd, logFd],
        env,
      },
    );
    closeSync(logFd);
    child.on("error", () => undefined);
    child.unref();
    this.managerPid = child.pid;
    await sleep(50);
    writeFileSync(join(this.root, "manager.pid"), `${this.managerPid} ${startTicks(this.managerPid)}\n`);

    const deadline = Date.now() + 15_000;
    for (;;) {
      const r = this.systemctl("is-system-running");
      const word = r.stdout.trim();
      if (word === "running" || word === "degraded") break;
      if (!pidAlive(this.managerPid) || Date.now() > deadline) {
        throw new Error(
          `systemd --user did not come up (${word || r.stderr.trim()}); log: ${readFileSync(join(this.root, "manager.log"), "utf8").slice(-2000)}`,
        );
      }
      await sleep(100);
    }

    // The contrib units, verbatim except for the holder's name (bench-specific unit names
    // keep this manager's units distinct from any test's mosaic-* units). The oneshot agent
    // unit: the supervised one adds a `mosaic agent run` (node) per agent, which would
    // measure 500 node processes, not `fleet ps`.
    const contrib = join(REPO, "contrib", "systemd");
    const agentUnit = readFileSync(join(contrib, "mosaic-agent-oneshot@.service"), "utf8").replaceAll(
      "mosaic-fleet-holder.service",
      HOLDER_UNIT,
    );
    const holderUnit = readFileSync(join(contrib, "mosaic-fleet-holder.service"), "utf8");
    writeFileSync(join(this.unitDir, AGENT_TEMPLATE), agentUnit);
    writeFileSync(join(this.unitDir, HOLDER_UNIT), holderUnit);
    // fleet.env, read by both units (%E/mosaic/fleet/fleet.env): our socket, our
    // TMUX_TMPDIR, and a light agent command (one `sleep` process per agent).
    writeFileSync(
      join(this.mosaicHome, "fleet", "fleet.env"),
      `MOSAIC_FLEET_SOCKET="${this.socket}"\nTMUX_TMPDIR="${this.tmuxTmp}"\nMOSAIC_AGENT_COMMAND="exec sleep 100000"\n`,
    );
    this.systemctlOk("daemon-reload");
    this.systemctlOk("enable", "--no-reload", HOLDER_UNIT);
    this.systemctlOk("daemon-reload");
    this.systemctlOk("start", HOLDER_UNIT);
    if (this.tmux("has-session", "-t", "=_holder").status !== 0)
      throw new Error("the holder unit did not create session _holder");
  }

  unitOf(name) {
    return `mfbench-agent@${name}.service`;
  }

  /** Grow the fleet to n agents: enable + start one unit per new agent, in batches. */
  grow(n, { batch = 250, log = () => {} } = {}) {
    const fresh = [];
    for (let i = this.agents.length + 1; i <= n; i += 1) fresh.push(`agent-${String(i).padStart(4, "0")}`);
    if (fresh.length === 0) return;
    const units = fresh.map((a) => this.unitOf(a));
    for (let i = 0; i < units.length; i += batch)
      this.systemctlOk("enable", "--no-reload", ...units.slice(i, i + batch));
    this.systemctlOk("daemon-reload");
    for (let i = 0; i < units.length; i += batch) {
      this.systemctlOk("start", ...units.slice(i, i + batch));
      log(`  started ${Math.min(i + batch, units.length)}/${units.length} new units`);
    }
    this.agents.push(...fresh);
    this.refreshPanePids();
    const missing = this.agents.filter((a) => !this.panePids.has(a));
    if (missing.length > 0)
      throw new Error(`${missing.length} agent sessions missing after start (e.g. ${missing[0]})`);
  }

  /** One list-panes call: session → pane pid. */
  refreshPanePids() {
    const r = this.tmux("list-panes", "-a", "-F", "#{session_name} #{pane_pid} #{pane_dead}");
    if (r.status !== 0) throw new Error(`tmux list-panes failed: ${r.stderr}`);
    this.panePids.clear();
    for (const line of r.stdout.split("\n")) {
      const [s, pid, dead] = line.split(" ");
      if (s && dead === "0" && !this.panePids.has(s)) this.panePids.set(s, Number(pid));
    }
  }

  /**
   * Rewrite the heartbeats when the last rewrite is `maxAgeMs` old (none yet: now).
   * Agents write theirs one at a time, each every interval (15 s here), so a burst of
   * 500 atomic rewrites right before every timed run would time the file system's
   * journal catching up, not the observer; every 5 s keeps them fresh (healthy until
   * 3 × 15 s) and the bursts rare, and never inside a timed run.
   */
  refreshHeartbeats(count = this.agents.length, maxAgeMs = 5_000) {
    if (this.heartbeatsAt !== undefined && this.heartbeatsCount === count && Date.now() - this.heartbeatsAt < maxAgeMs)
      return;
    this.writeHeartbeats(count);
  }

  /** Atomically (re)write every agent's heartbeat: ts=now, pid=its pane process. */
  writeHeartbeats(count = this.agents.length) {
    this.heartbeatsAt = Date.now();
    this.heartbeatsCount = count;
    const ts = Math.floor(Date.now() / 1000);
    for (const name of this.agents.slice(0, count)) {
      const tmp = join(this.hbDir, `.${name}.hb.tmp`);
      writeFileSync(tmp, `ts=${ts} pid=${this.panePids.get(name)} status=idle name=${name}\n`, { mode: 0o600 });
      renameSync(tmp, join(this.hbDir, `${name}.hb`));
    }
  }

  /** A roster of the first n agents plus the holder, as production rosters have it. */
  writeRoster(n) {
    const lines = [
      "version: 1",
      `fleet: mfbench-${n}`,
      "defaults:",
      `  socket: ${this.socket}`,
      '  unit: "mfbench-agent@{name}.service"',
      "  lifecycle: core",
      "  boot: enabled",
      "  heartbeat:",
      "    interval: 15s",
      "runtimes:",
      "  sleeper:",
      '    match: ["sleep"]',
      "agents:",
      "  - name: _holder",
      "    runtime: shell",
      `    unit: ${HOLDER_UNIT}`,
      "    heartbeat: false",
    ];
    for (const name of this.agents.slice(0, n)) lines.push(`  - name: ${name}`, "    runtime: sleeper");
    const file = join(this.rosterDir, `roster-${n}.yaml`);
    writeFileSync(file, `${lines.join("\n")}\n`);
    return file;
  }

  /** Everything we started, in order: tmux server, manager (and its units), cgroups, files. */
  async cleanup() {
    if (this.cleaned) return;
    this.cleaned = true;
    if (existsSync(this.tmuxTmp)) this.tmux("kill-server");
    if (this.managerPid !== null && pidAlive(this.managerPid)) {
      try {
        process.kill(this.managerPid, "SIGTERM");
      } catch {
        // gone
      }
      const deadline = Date.now() + 30_000;
      while (pidAlive(this.managerPid) && Date.now() < deadline) await sleep(100);
      if (pidAlive(this.managerPid)) {
        try {
          process.kill(this.managerPid, "SIGKILL");
        } catch {
          // gone
        }
        await sleep(200);
      }
    }
    if (this.cgroups.length > 0) {
      for (const pid of cgroupPids(this.cgroups)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      const deadline = Date.now() + 5_000;
      while (cgroupPids(this.cgroups).length > 0 && Date.now() < deadline) await sleep(100);
      removeCgroupTrees(this.cgroups);
      for (const d of this.cgroups) if (existsSync(d)) console.error(`bench: could not remove cgroup ${d}`);
    }
    rmSync(this.root, { recursive: true, force: true });
    this.stopReaper();
  }

  /** Synchronous last resort for process.on('exit'): signal only; the watcher finishes. */
  cleanupSync() {
    if (this.cleaned) return;
    if (existsSync(this.tmuxTmp)) this.tmux("kill-server");
    if (this.managerPid !== null && pidAlive(this.managerPid)) {
      try {
        process.kill(this.managerPid, "SIGTERM");
      } catch {
        // gone
      }
    }
    // leave the reaper running: it sees us gone and removes cgroups and files.
  }
}

/** Run main() with cleanup on success, failure, Ctrl-C and SIGTERM. */
export function withCleanup(main) {
  const resources = [];
  const track = (r) => (resources.push(r), r);
  let exiting = false;
  const finish = async (code) => {
    if (exiting) return;
    exiting = true;
    for (const r of resources.reverse()) {
      try {
        await r.cleanup();
      } catch (error) {
        console.error(`bench: cleanup failed: ${error.message}`);
      }
    }
    process.exit(code);
  };
  process.on("exit", () => {
    for (const r of resources) r.cleanupSync?.();
  });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(sig, () => {
      console.error(`\nbench: ${sig}, cleaning up…`);
      void finish(sig === "SIGINT" ? 130 : 143);
    });
  }
  main(track).then(
    () => finish(0),
    (error) => {
      console.error(`bench: ${error.stack ?? error}`);
      void finish(1);
    },
  );
}

// --- a stable copy of the built CLI -------------------------------------------------------

/**
 * Copy bin/ + dist/ + package.json into a temp dir so the numbers belong to ONE build
 * even if someone rebuilds dist/ while the benchmark runs. Returns { mosaic, dist, cleanup }.
 */
export function snapshotCli() {
  const dir = mkdtempSync(join(tmpdir(), "mf-bench-cli-"));
  const r = spawnSync("cp", ["-r", join(REPO, "bin"), join(REPO, "dist"), join(REPO, "package.json"), dir]);
  if (r.status !== 0) throw new Error(`cannot snapshot dist/: ${r.stderr.toString()}`);
  const cli = readFileSync(join(dir, "dist", "cli.cjs"));
  const hash = spawnSync("sha256sum", [join(dir, "dist", "cli.cjs")], { encoding: "utf8" }).stdout.slice(0, 12);
  const head = spawnSync("git", ["-C", REPO, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).stdout.trim();
  const dirty =
    spawnSync("git", ["-C", REPO, "status", "--porcelain", "--", "src"], { encoding: "utf8" }).stdout.trim() !== "";
  return {
    dir,
    mosaic: join(dir, "bin", "mosaic"),
    dist: join(dir, "dist"),
    build: `git ${head}${dirty ? " + uncommitted src changes" : ""}, dist/cli.cjs sha256 ${hash} (${cli.length} bytes)`,
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// --- CPU profiles -------------------------------------------------------------------------

/**
 * Aggregate .cpuprofile files: self and inclusive ms per function (averaged per profile),
 * dist locations mapped back to src/ or node_modules/ through the build's source maps.
 */
export async function analyzeProfiles(files, distDir) {
  const { SourceMap } = await import("node:module");
  const maps = new Map();
  const mapFor = (url) => {
    // Modules Node loads are file:// URLs; dist/cli.cjs, compiled by src/cli/boot.ts, is a path.
    const path = url.startsWith("file://") ? decodeURIComponent(url.slice(7)) : url.startsWith("/") ? url : null;
    if (path === null) return null;
    if (!path.startsWith(distDir)) return null;
    if (!maps.has(path)) {
      try {
        maps.set(path, new SourceMap(JSON.parse(readFileSync(`${path}.map`, "utf8"))));
      } catch {
        maps.set(path, null);
      }
    }
    return maps.get(path);
  };
  const where = (frame) => {
    const map = mapFor(frame.url);
    if (map) {
      const e = map.findEntry(frame.lineNumber, frame.columnNumber);
      if (e && e.originalSource) {
        const src = e.originalSource.replace(/^.*?\/(src|node_modules)\//, "$1/");
        return `${src}:${e.originalLine + 1}`;
      }
    }
    if (!frame.url) return "";
    return frame.url
      .replace(/^file:\/\//, "")
      .replace(distDir, "dist")
      .replace(`${REPO}/`, "");
  };
  const self = new Map();
  const incl = new Map();
  const byModule = new Map();
  let total = 0;
  for (const file of files) {
    const prof = JSON.parse(readFileSync(file, "utf8"));
    const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
    const parent = new Map();
    for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const keyOf = new Map();
    const moduleOf = new Map();
    for (const n of prof.nodes) {
      const loc = where(n.callFrame);
      keyOf.set(n.id, `${n.callFrame.functionName || "(anonymous)"}${loc ? ` ${loc}` : ""}`);
      const fn = n.callFrame.functionName;
      const mod =
        /^(src\/[^:]+|node_modules\/(?:@[^/]+\/)?[^/]+)/.exec(loc)?.[1] ??
        (fn.startsWith("(")
          ? fn
          : loc.startsWith("node:")
            ? "node internals (JS)"
            : loc === ""
              ? "native (V8/libuv bindings: fs calls, compile, spawn)"
              : "dist (unmapped)");
      moduleOf.set(n.id, mod);
    }
    total += (prof.endTime - prof.startTime) / 1000;
    for (let i = 0; i < prof.samples.length; i += 1) {
      const dt = (prof.timeDeltas[i] ?? 0) / 1000;
      const id = prof.samples[i];
      const k = keyOf.get(id);
      self.set(k, (self.get(k) ?? 0) + dt);
      const m = moduleOf.get(id);
      byModule.set(m, (byModule.get(m) ?? 0) + dt);
      const seen = new Set();
      for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
        const key = keyOf.get(cur);
        if (seen.has(key)) continue;
        seen.add(key);
        incl.set(key, (incl.get(key) ?? 0) + dt);
      }
      void nodes;
    }
  }
  const n = files.length;
  const top = (m, k) =>
    [...m.entries()]
      .map(([key, v]) => ({ fn: key, ms: v / n }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, k);
  return {
    profiles: n,
    profiledMs: total / n,
    self: top(self, 25),
    inclusive: top(incl, 60),
    selfByModule: top(byModule, 20),
  };
}

// --- what the bundle holds ----------------------------------------------------------------

/** What a bundle is made of: generated bytes per package / src directory, via its source map. */
export async function bundleComposition(file) {
  const { SourceMap } = await import("node:module");
  let map;
  try {
    map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")));
  } catch {
    return [];
  }
  const lines = readFileSync(file, "utf8").split("\n");
  const bytes = new Map();
  lines.forEach((line, i) => {
    if (line.length === 0) return;
    const e = map.findEntry(i, Math.min(line.length - 1, line.search(/\S|$/)));
    const src = e?.originalSource ?? "";
    const key = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(src)?.[1] ?? /(src\/[^/]+)/.exec(src)?.[1] ?? "(generated)";
    bytes.set(key, (bytes.get(key) ?? 0) + line.length + 1);
  });
  return [...bytes.entries()].map(([pkg, b]) => ({ pkg, bytes: b })).sort((a, b) => b.bytes - a.bytes);
}

/** dist/boot.cjs and dist/cli.cjs: size and composition (what `--help` and `fleet ps` compile). */
export async function bundleSizes(distDir) {
  const out = [];
  for (const name of ["boot.cjs", "cli.cjs"]) {
    const file = join(distDir, name);
    out.push({
      file: `dist/${name}`,
      bytes: readFileSync(file).length,
      composition: (await bundleComposition(file)).slice(0, 10),
    });
  }
  return out;
}

export function printBundleSizes(bundles, log = console.log) {
  for (const b of bundles) {
    const parts = b.composition
      .filter((p) => p.bytes >= 2048)
      .map((p) => `${p.pkg} ${(p.bytes / 1024).toFixed(0)}K`)
      .join(", ");
    log(`     ${b.file} ${(b.bytes / 1024).toFixed(0)} KiB${parts ? `: ${parts}` : ""}`);
  }
}

/** The compiled-code cache entries (src/cli/boot.ts) in an XDG_CACHE_HOME, by name. */
export function codeCacheEntries(xdgCacheHome) {
  const dir = join(xdgCacheHome, "mosaic");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith("code-") && f.endsWith(".v8"))
    .map((f) => ({ name: f, bytes: statSync(join(dir, f)).size }));
}

/**
 * Syscalls made by the CLI's main thread (strace -c without -f: the node process only —
 * not its children, not libuv's thread pool, which sync fs calls do not use).
 */
export function countSyscalls(argv, env) {
  const dir = mkdtempSync(join(tmpdir(), "mf-bench-strace-"));
  try {
    const out = join(dir, "summary");
    const r = spawnSync("strace", ["-c", "-o", out, ...argv], {
      env,
      maxBuffer: 512 * 1024 * 1024,
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`strace -c exited ${r.status}: ${r.stderr.toString().slice(0, 1000)}`);
    const rows = [];
    let total = null;
    for (const line of readFileSync(out, "utf8").split("\n")) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 5 || !/^\d/.test(cols[0])) continue;
      // % time, seconds, usecs/call, calls, [errors], syscall
      const name = cols[cols.length - 1];
      const calls = Number(cols[3]);
      const errors = cols.length === 6 ? Number(cols[4]) : 0;
      if (name === "total") total = { calls, errors };
      else rows.push({ syscall: name, calls, errors });
    }
    rows.sort((a, b) => b.calls - a.calls);
    return { total, top: rows.slice(0, 10) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Run a timed block when the machine is quiet; if other work still took more than
 * maxForeign of the CPUs during it, measure again (up to `attempts` times) and keep the
 * attempt that was least disturbed.
 */
export async function measureQuietly(fn, { maxBusy = 0.1, maxForeign = 0.1, attempts = 4, log = () => {} } = {}) {
  let best = null;
  for (let i = 1; i <= attempts; i += 1) {
    const quietBefore = await waitForQuiet({ maxBusy, log });
    const { result, foreign } = foreignLoad(fn);
    if (best === null || foreign < best.foreign) best = { result, foreign, quietBefore, attempt: i };
    if (foreign <= maxForeign) break;
    if (i < attempts)
      log(
        `   (other work took ${(foreign * 100).toFixed(0)}% of the CPUs during the block; measuring again, attempt ${i + 1}/${attempts})`,
      );
  }
  return best;
}
