// A private systemd *user* manager per test file (isolation rules below; see also test/helpers/tmux.ts).
//
//   let m: UserManager | null = null;
//   beforeAll(async () => {
//     tmux = await startTmuxServer("fleet", { start: false });
//     m = await startUserManager({ env: { TMUX_TMPDIR: tmux.tmpdir } });
//     if (!m) return;                    // warned loudly; MOSAIC_REQUIRE_SYSTEMD=1 throws instead
//     await m.installContribUnits();
//     await m.writeFleetEnv({ MOSAIC_FLEET_SOCKET: tmux.socket, TMUX_TMPDIR: tmux.tmpdir });
//   });
//   afterAll(async () => { await m?.stop(); await tmux?.kill(); });
//   it("…", async (ctx) => {
//     if (!m) return skipOutsideCi(ctx, "no systemd user manager here");  (test/helpers/skip.ts)
//     await m.systemctl("start", "mosaic-agent@a.service");
//     execa("node", ["bin/mosaic", "fleet", "ps"], { env: m.childEnv(tmux.env) });
//   });
//
// How it works: a fresh XDG_RUNTIME_DIR (0700) and XDG_CONFIG_HOME, then
// `systemd --user` in its own session (setsid). systemctl --user finds it through
// $XDG_RUNTIME_DIR/systemd/private, so env.XDG_RUNTIME_DIR decides which manager a child
// talks to. Units go in $XDG_CONFIG_HOME/systemd/user (%E in unit files).
//
// Environment: the user manager hands its own environment to every unit (except PATH,
// which systemd resets to its default — pass opts.env.PATH to override), so opts.env
// (e.g. TMUX_TMPDIR) reaches ExecStart= processes.
//
// Isolation between parallel test files: without care every private manager on a host
// that is not booted with systemd puts its units in the SAME cgroups (/app.slice/NAME),
// so stopping mosaic-agent@a.service in one test file would kill the processes of
// mosaic-agent@a.service of another. Where the cgroup hierarchy is writable (root), each
// manager is started inside its own cgroup (`cgroup` below), which systemd then uses as
// its root. stop() kills anything the manager left in that cgroup and removes it.
//
// Leaks: stop() is the normal path. A process 'exit' handler SIGTERMs managers still
// alive, and a detached watcher per manager finishes the cleanup (and covers a test
// process killed by a signal, where no JS runs at all).

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir as osTmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  cgroupPids,
  pidAlive as alive,
  removeCgroupTrees,
  sleep,
  startReaper,
  startTicks,
  trackingHierarchies,
  waitFor,
  type Reaper,
} from "./proc.mjs";
import { run, type CommandResult } from "./run.js";

const SYSTEMD_BINARY = "/lib/systemd/systemd";
export const CONTRIB_UNIT_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "contrib", "systemd");

interface StartUserManagerOptions {
  /** Added to the manager's environment, which every unit inherits (e.g. TMUX_TMPDIR). */
  env?: Record<string, string>;
  /** How long to wait for `systemctl --user is-system-running` to answer (default 10 s). */
  timeoutMs?: number;
}

export interface StopReport {
  /** Units that were loaded and stopped before the manager was terminated. */
  unitsStopped: string[];
  /** Processes still in the manager's cgroup after it exited, killed by stop(). */
  leftoverPids: number[];
  /** Whether the manager needed SIGKILL after SIGTERM. */
  forced: boolean;
}

export interface UserManager {
  /** pid of `systemd --user`. */
  readonly pid: number;
  /** Private temporary root holding every directory below; removed by stop(). */
  readonly root: string;
  readonly runtimeDir: string;
  readonly configHome: string;
  /** $XDG_CONFIG_HOME/systemd/user */
  readonly unitDir: string;
  /** $XDG_CONFIG_HOME/mosaic — where the contrib units read fleet.env and agents/NAME.env. */
  readonly mosaicHome: string;
  /** The manager's stdout/stderr. */
  readonly logFile: string;
  /** The cgroup (path below the hierarchy root) this manager owns, or null if not isolated. */
  readonly cgroup: string | null;
  /** What a child (systemctl, the CLI) needs to reach this manager. */
  readonly env: Readonly<Record<string, string>>;
  /** process.env without TMUX/DBUS/XDG_RUNTIME_DIR leakage, plus `env`, plus `extra`. */
  childEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** `systemctl --user ...args` against this manager. Never throws for a non-zero exit. */
  systemctl(...args: string[]): Promise<CommandResult>;
  /** `systemctl --user show -p P1,P2 UNIT` parsed into { P1: "...", P2: "..." }. */
  show(unit: string, ...properties: string[]): Promise<Record<string, string>>;
  /** Write unitDir/name and daemon-reload. Throws on failure. */
  installUnit(name: string, text: string): Promise<void>;
  /**
   * Copy contrib/systemd/*.service into unitDir and daemon-reload; returns the names.
   * `legacyAgentUnit`: install the first, oneshot agent unit (mosaic-agent-oneshot@) as
   * mosaic-agent@.service too, as production hosts installed it before the supervised one.
   */
  installContribUnits(options?: { legacyAgentUnit?: boolean }): Promise<string[]>;
  /** Write $XDG_CONFIG_HOME/mosaic/fleet/fleet.env; returns its path. */
  writeFleetEnv(vars: Record<string, string>): Promise<string>;
  /** Write $XDG_CONFIG_HOME/mosaic/fleet/agents/NAME.env; returns its path. */
  writeAgentEnv(name: string, vars: Record<string, string>): Promise<string>;
  /** Stop loaded units, SIGTERM the manager, wait, kill leftovers, remove everything. Idempotent. */
  stop(): Promise<StopReport>;
}

// ---------------------------------------------------------------------------------------

const live = new Set<UserManagerImpl>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    // Synchronous: only signal here; each manager's watcher (which sees us gone) waits
    // for the manager to exit and removes its directories and cgroup.
    for (const manager of live) manager.terminateSync();
  });
}

/** Variables that must not leak from the test process into a manager or its children. */
const LEAKY =
  /^(TMUX|TMUX_PANE|DBUS_SESSION_BUS_ADDRESS|NOTIFY_SOCKET|LISTEN_PID|LISTEN_FDS|LISTEN_FDNAMES|INVOCATION_ID|JOURNAL_STREAM|MANAGERPID|SYSTEMD_EXEC_PID|NODE_OPTIONS|VITEST.*|XDG_.*)$/;

function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || LEAKY.test(key)) continue;
    if (key === "NODE_ENV" && value === "test") continue;
    env[key] = value;
  }
  return env;
}

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const AGENT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;

/** systemd EnvironmentFile= syntax: KEY="value" with \ and " escaped. */
function envFileText(vars: Record<string, string>): string {
  let text = "# written by test/helpers/systemd.ts\n";
  for (const [key, value] of Object.entries(vars)) {
    if (!ENV_KEY.test(key)) throw new Error(`invalid environment variable name ${JSON.stringify(key)}`);
    if (/[\n\r]/.test(value)) throw new Error(`environment value for ${key} contains a newline`);
    text += `${key}="${value.replace(/[\\"]/g, (c) => `\\${c}`)}"\n`;
  }
  return text;
}

// --- cgroups ------------------------------------------------------------------------------

interface CgroupPlan {
  /** Path below each hierarchy's root, e.g. "/mosaic-fleet-test-123-abcdef". */
  relative: string;
  /** Absolute directories created, one per hierarchy. */
  dirs: string[];
}

async function planCgroup(): Promise<{ plan: CgroupPlan | null; why: string }> {
  const hierarchies = trackingHierarchies();
  if (hierarchies.length === 0) return { plan: null, why: "no writable cgroup hierarchy found" };
  const relative = `/mosaic-fleet-test-${process.pid}-${randomBytes(3).toString("hex")}`;
  const dirs: string[] = [];
  for (const hierarchy of hierarchies) {
    const dir = hierarchy + relative;
    try {
      await mkdir(dir);
      dirs.push(dir);
    } catch (error) {
      removeCgroupTrees(dirs);
      return { plan: null, why: `cannot create cgroup ${dir}: ${(error as Error).message}` };
    }
  }
  return { plan: { relative, dirs }, why: "" };
}

// --- the manager --------------------------------------------------------------------------

class UserManagerImpl implements UserManager {
  readonly unitDir: string;
  readonly mosaicHome: string;
  readonly logFile: string;
  readonly env: Readonly<Record<string, string>>;
  readonly cgroup: string | null;
  private readonly installed = new Set<string>();
  private exited = false;
  private readonly exitPromise: Promise<void>;
  private reaper: Reaper | undefined;
  private stopping: Promise<StopReport> | undefined;

  constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    readonly root: string,
    readonly runtimeDir: string,
    readonly configHome: string,
    private readonly cgroupPlan: CgroupPlan | null,
  ) {
    this.unitDir = join(configHome, "systemd", "user");
    this.mosaicHome = join(configHome, "mosaic");
    this.logFile = join(root, "manager.log");
    this.cgroup = cgroupPlan?.relative ?? null;
    this.env = Object.freeze({
      XDG_RUNTIME_DIR: runtimeDir,
      XDG_CONFIG_HOME: configHome,
      // Never let a child fall back to some other session bus.
      DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(runtimeDir, "bus")}`,
    });
    this.exitPromise = new Promise((resolve) => {
      child.once("exit", () => {
        this.exited = true;
        resolve();
      });
    });
  }

  get hasExited(): boolean {
    return this.exited || !alive(this.pid);
  }

  childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...baseEnv(), ...this.env, ...extra };
  }

  systemctl(...args: string[]): Promise<CommandResult> {
    return run(["systemctl", "--user", ...args], this.childEnv(), 30_000);
  }

  async show(unit: string, ...properties: string[]): Promise<Record<string, string>> {
    const args = ["show", unit];
    if (properties.length > 0) args.push("-p", properties.join(","));
    const result = await this.systemctl(...args);
    if (!result.ok) throw new Error(`systemctl --user show ${unit} failed: ${result.message}`);
    const out: Record<string, string> = {};
    for (const line of result.stdout.split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
    }
    return out;
  }

  private async daemonReload(): Promise<void> {
    const result = await this.systemctl("daemon-reload");
    if (!result.ok) throw new Error(`systemctl --user daemon-reload failed: ${result.message}`);
  }

  async installUnit(name: string, text: string): Promise<void> {
    if (name.includes("/")) throw new Error(`unit name ${name} must not contain /`);
    await mkdir(this.unitDir, { recursive: true });
    await writeFile(join(this.unitDir, name), text);
    this.installed.add(name);
    await this.daemonReload();
  }

  async installContribUnits(options: { legacyAgentUnit?: boolean } = {}): Promise<string[]> {
    await mkdir(this.unitDir, { recursive: true });
    const names = (await readdir(CONTRIB_UNIT_DIR)).filter((n) => n.endsWith(".service")).sort();
    if (names.length === 0) throw new Error(`no unit files in ${CONTRIB_UNIT_DIR}`);
    for (const name of names) {
      const source =
        options.legacyAgentUnit && name === "mosaic-agent@.service" ? "mosaic-agent-oneshot@.service" : name;
      await copyFile(join(CONTRIB_UNIT_DIR, source), join(this.unitDir, name));
      this.installed.add(name);
    }
    await this.daemonReload();
    return names;
  }

  async writeFleetEnv(vars: Record<string, string>): Promise<string> {
    const dir = join(this.mosaicHome, "fleet");
    await mkdir(dir, { recursive: true });
    const file = join(dir, "fleet.env");
    await writeFile(file, envFileText(vars));
    return file;
  }

  async writeAgentEnv(name: string, vars: Record<string, string>): Promise<string> {
    if (!AGENT_NAME.test(name)) throw new Error(`invalid agent name ${JSON.stringify(name)}`);
    const dir = join(this.mosaicHome, "fleet", "agents");
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${name}.env`);
    await writeFile(file, envFileText(vars));
    return file;
  }

  /**
   * The watcher: when the test process or the manager is gone, it terminates the manager
   * (pid and start time), kills what is left in its cgroup and removes its files.
   */
  startReaper(): void {
    this.reaper = startReaper({
      manager: { pid: this.pid, start: startTicks(this.pid) },
      followManager: true,
      root: this.root,
      cgroups: this.cgroupPlan?.dirs ?? [],
      env: baseEnv(),
    });
  }

  private stopReaper(): void {
    this.reaper?.stop();
    this.reaper = undefined;
  }

  /** For the 'exit' hook: signal only; the watcher finishes the cleanup. */
  terminateSync(): void {
    if (this.exited) return;
    try {
      process.kill(this.pid, "SIGTERM");
    } catch {
      // gone
    }
  }

  stop(): Promise<StopReport> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<StopReport> {
    const report: StopReport = { unitsStopped: [], leftoverPids: [], forced: false };
    if (!this.hasExited) {
      // Stop our units explicitly first (ExecStop= runs, e.g. kill-session), so a unit
      // that fails to stop shows up here rather than being hidden by the manager's exit.
      const listed = await this.systemctl("list-units", "--all", "--plain", "--no-legend", "--full", "mosaic-*");
      const loaded = listed.stdout
        .split("\n")
        .map((line) => line.trim().split(/\s+/))
        .filter((cols) => cols[0] !== undefined && cols[0] !== "" && cols[2] !== "inactive")
        .map((cols) => cols[0] as string);
      const units = [...new Set([...loaded, ...[...this.installed].filter((n) => !n.includes("@."))])];
      if (units.length > 0) {
        const stopped = await this.systemctl("stop", ...units);
        if (!stopped.ok) process.stderr.write(`[systemd helper] stopping ${units.join(" ")}: ${stopped.message}\n`);
        report.unitsStopped = units;
      }
      this.stopReaper();
      try {
        process.kill(this.pid, "SIGTERM");
      } catch {
        // already gone
      }
      if (!(await Promise.race([this.exitPromise.then(() => true), sleep(15_000).then(() => false)]))) {
        report.forced = true;
        try {
          process.kill(this.pid, "SIGKILL");
        } catch {
          // gone meanwhile
        }
        await Promise.race([this.exitPromise, sleep(5_000)]);
      }
    }
    this.stopReaper();
    if (this.cgroupPlan) {
      const dirs = this.cgroupPlan.dirs;
      report.leftoverPids = cgroupPids(dirs);
      for (const pid of report.leftoverPids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      await waitFor(() => cgroupPids(dirs).length === 0, 5_000);
      removeCgroupTrees(dirs);
      if (dirs.some((d) => existsSync(d))) {
        process.stderr.write(`[systemd helper] could not remove cgroup ${this.cgroupPlan.relative}\n`);
      }
    }
    await rm(this.root, { recursive: true, force: true });
    live.delete(this);
    return report;
  }
}

// --- starting -----------------------------------------------------------------------------

function unavailable(reason: string): null {
  if (process.env.MOSAIC_REQUIRE_SYSTEMD === "1") {
    throw new Error(`MOSAIC_REQUIRE_SYSTEMD=1 but no systemd user manager can be started here: ${reason}`);
  }
  const bar = "!".repeat(78);
  process.stderr.write(
    `\n${bar}\n!! SKIPPING systemd tests: no private systemd user manager can be started here.\n` +
      `!! Reason: ${reason}\n` +
      `!! These tests are NOT being run. Set MOSAIC_REQUIRE_SYSTEMD=1 (as .ci/run does) to fail instead.\n${bar}\n\n`,
  );
  return null;
}

/** Cheap synchronous precheck: why a manager cannot be started here, or null if it may be. */
function systemdUnavailableReason(): string | null {
  const uid = process.getuid?.();
  if (uid !== 0)
    return `not running as root (uid ${uid ?? "unknown"}); a private user manager needs /run/systemd/system and cgroup access`;
  if (!existsSync(SYSTEMD_BINARY)) return `${SYSTEMD_BINARY} does not exist (systemd not installed)`;
  return null;
}

/**
 * Start a private `systemd --user`. Returns null (after a loud warning on stderr) when
 * none can be started here; throws instead when MOSAIC_REQUIRE_SYSTEMD=1.
 */
export async function startUserManager(opts: StartUserManagerOptions = {}): Promise<UserManager | null> {
  const reason = systemdUnavailableReason();
  if (reason !== null) return unavailable(reason);
  const systemctlCheck = await run(["systemctl", "--version"], baseEnv(), 5_000);
  if (!systemctlCheck.ok) return unavailable(`systemctl is not usable: ${systemctlCheck.message}`);
  try {
    // The marker systemd checks for "booted with systemd"; harmless where it exists.
    await mkdir("/run/systemd/system", { recursive: true });
  } catch (error) {
    return unavailable(`cannot create /run/systemd/system: ${(error as Error).message}`);
  }

  const root = await mkdtemp(join(osTmpdir(), "mf-systemd-"));
  const runtimeDir = join(root, "run");
  const configHome = join(root, "config");
  await mkdir(runtimeDir, { mode: 0o700 });
  await mkdir(join(configHome, "systemd", "user"), { recursive: true });
  for (const d of ["data", "state", "cache"]) await mkdir(join(root, d));

  const managerEnv: NodeJS.ProcessEnv = {
    ...baseEnv(),
    XDG_RUNTIME_DIR: runtimeDir,
    XDG_CONFIG_HOME: configHome,
    XDG_DATA_HOME: join(root, "data"),
    XDG_STATE_HOME: join(root, "state"),
    XDG_CACHE_HOME: join(root, "cache"),
    ...opts.env,
  };

  const { plan, why } = await planCgroup();
  if (plan === null) {
    process.stderr.write(
      `[systemd helper] WARNING: manager not isolated in its own cgroup (${why}); ` +
        `units of parallel test files with equal names may share cgroups.\n`,
    );
  }

  const logFd = openSync(join(root, "manager.log"), "a");
  // sh moves itself into the private cgroup(s), then becomes systemd (same pid).
  // detached: true = setsid(), so the manager is in its own session and process group.
  const script = 'for f do echo $$ > "$f" || echo "test helper: could not move into $f" >&2; done; exec "$0" --user';
  const child = spawn(
    "/bin/sh",
    ["-c", script, SYSTEMD_BINARY, ...(plan?.dirs ?? []).map((d) => join(d, "cgroup.procs"))],
    {
      detached: true,
      stdio: ["ignore", logFd, logFd],
      env: managerEnv,
    },
  );
  closeSync(logFd);
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
  child.unref();
  if (child.pid === undefined) {
    const error = await spawnError;
    await rm(root, { recursive: true, force: true });
    if (plan) removeCgroupTrees(plan.dirs);
    return unavailable(`could not spawn ${SYSTEMD_BINARY}: ${error.message}`);
  }

  const manager = new UserManagerImpl(child, child.pid, root, runtimeDir, configHome, plan);
  installExitHook();
  live.add(manager);
  manager.startReaper();

  const timeoutMs = opts.timeoutMs ?? 10_000;
  let lastAnswer = "";
  const ready = await waitFor(
    async () => {
      if (manager.hasExited) return true;
      const result = await manager.systemctl("is-system-running");
      lastAnswer = (result.stdout.trim() || result.message).split("\n")[0] ?? "";
      return result.stdout.trim() === "running" || result.stdout.trim() === "degraded";
    },
    timeoutMs,
    100,
  );

  if (!ready || manager.hasExited) {
    const exitedEarly = manager.hasExited;
    let log = "";
    try {
      log = (await readFile(manager.logFile, "utf8")).trim().split("\n").slice(-20).join("\n");
    } catch {
      // no log
    }
    await manager.stop();
    return unavailable(
      (exitedEarly
        ? `${SYSTEMD_BINARY} --user exited during startup`
        : `${SYSTEMD_BINARY} --user did not answer is-system-running within ${timeoutMs} ms (last answer: ${lastAnswer})`) +
        (log ? `; its log:\n${log}` : ""),
    );
  }

  if (opts.env?.PATH !== undefined) {
    // The user manager replaces PATH with its built-in default; set it explicitly.
    const setPath = await manager.systemctl("set-environment", `PATH=${opts.env.PATH}`);
    if (!setPath.ok) {
      await manager.stop();
      throw new Error(`systemctl --user set-environment PATH failed: ${setPath.message}`);
    }
  }

  if (plan) {
    let cgroupLines = "";
    try {
      cgroupLines = readFileSync(`/proc/${manager.pid}/cgroup`, "utf8");
    } catch {
      // raced with exit; caught by the tests
    }
    if (!cgroupLines.includes(plan.relative)) {
      process.stderr.write(`[systemd helper] WARNING: manager ${manager.pid} did not enter cgroup ${plan.relative}\n`);
    }
  }
  return manager;
}
