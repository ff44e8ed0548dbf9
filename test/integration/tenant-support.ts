// Real Linux tenants for the tenancy tests (docs/roster.md: tenant_id = the Linux user that
// owns the agents). Creates users `mft-<random>` with useradd, runs tmux servers, agent
// stubs and (where it works) a systemd user manager AS those users, and runs the CLI as
// root, as a tenant, or as a stranger. Not a test file itself.
//
// Cleanup: every resource is registered in a shell script (kill the user's processes,
// remove its cgroups, /run/user/UID, our tmux sockets, `userdel -r`). afterAll runs it;
// a detached watcher runs it too if this test process dies without running JS. Only
// users this module created are ever touched.

import { cliEnv } from "../helpers/env.js";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { startReaper, trackingHierarchies, waitFor, type Reaper } from "../helpers/proc.mjs";
import type { AgentStatus, ConditionType, FleetStatus } from "../../src/diff/types.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/**
 * The CLI the tests run, as root and as tenants: bin/mosaic of a world-readable copy of
 * bin/ + dist/ + package.json in the janitor's directory (dist/ is self-contained), made
 * by the Janitor; the checkout's own until then. A checkout may sit in a private (0700)
 * directory the tenants cannot enter, e.g. a fresh clone in a home or a mktemp dir.
 */
let bin = join(ROOT, "bin", "mosaic");
const NODE = process.execPath;
export const HOST = hostname();
const SYSTEMD_BINARY = "/lib/systemd/systemd";
export const CONDITION_TYPES: readonly ConditionType[] = [
  "PaneDead",
  "Stale",
  "Drift",
  "BootDisabled",
  "UnitDown",
  "CrashLoop",
  "AwaitingInput",
  "NoProgress",
];

const PATH_ENV = [
  ...new Set([dirname(NODE), "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]),
].join(":");
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export { waitFor };

/** Why tenants cannot be tested here, or null. */
export function tenantsUnavailableReason(): string | null {
  const uid = process.getuid?.();
  if (uid !== 0) return `not running as root (uid ${uid ?? "unknown"}): creating tenant users needs root`;
  for (const tool of ["/usr/sbin/useradd", "/usr/sbin/userdel", "/usr/sbin/runuser"]) {
    const alt = tool.replace("/usr/sbin/", "/sbin/");
    if (!existsSync(tool) && !existsSync(alt)) return `${tool} is not installed`;
  }
  return null;
}

// --- the cleanup script and its watcher -------------------------------------------------------

interface UserRecord {
  name: string;
  uid?: number;
  cgroups: string[];
  runtimeDir?: string;
  tmuxSockets: string[];
  removeTmuxDir: boolean;
}

export class Janitor {
  readonly dir: string;
  private readonly script: string;
  private readonly users: UserRecord[] = [];
  private readonly paths: string[] = [];
  private watcher: Reaper | undefined;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "mft-tenants-"));
    chmodSync(this.dir, 0o755); // rosters in here are read by the tenants
    const cli = join(this.dir, "cli");
    for (const part of ["bin", "dist", "package.json"]) cpSync(join(ROOT, part), join(cli, part), { recursive: true });
    // A clone made under umask 077 has private files; the tenants must read these.
    const readable = spawnSync("chmod", ["-R", "a+rX", cli], { encoding: "utf8" });
    if (readable.status !== 0) throw new Error(`cannot make the CLI copy readable: ${readable.stderr}`);
    bin = join(cli, "bin", "mosaic");
    this.script = join(this.dir, ".cleanup.sh");
    this.write();
    this.watcher = startReaper({ script: this.script });
  }

  user(name: string): UserRecord {
    let record = this.users.find((u) => u.name === name);
    if (!record) {
      record = { name, cgroups: [], tmuxSockets: [], removeTmuxDir: false };
      this.users.push(record);
    }
    return record;
  }

  /** Rewrite the script after any change to the registered resources. */
  write(): void {
    const lines = ["# written by test/integration/tenant-support.ts; idempotent"];
    for (const u of this.users) {
      lines.push(`if id -u ${q(u.name)} >/dev/null 2>&1; then`);
      lines.push(
        `  pkill -KILL -u ${q(u.name)} 2>/dev/null; sleep 0.3; pkill -KILL -u ${q(u.name)} 2>/dev/null; sleep 0.2`,
      );
      lines.push("fi");
      for (const cg of u.cgroups)
        lines.push(`[ -d ${q(cg)} ] && find ${q(cg)} -depth -type d -exec rmdir {} + 2>/dev/null`);
      if (u.runtimeDir) lines.push(`rm -rf ${q(u.runtimeDir)}`);
      if (u.uid !== undefined) {
        const tmuxDir = `/tmp/tmux-${u.uid}`;
        for (const s of u.tmuxSockets) lines.push(`rm -f ${q(join(tmuxDir, s))}`);
        if (u.removeTmuxDir) lines.push(`rmdir ${q(tmuxDir)} 2>/dev/null`);
      }
      lines.push(
        `if id -u ${q(u.name)} >/dev/null 2>&1; then userdel -r ${q(u.name)} >/dev/null 2>&1 || userdel -f -r ${q(u.name)} >/dev/null 2>&1; fi`,
      );
    }
    for (const p of this.paths) lines.push(`rm -rf ${q(p)}`);
    lines.push(`rm -rf ${q(this.dir)}`);
    lines.push("true");
    writeFileSync(this.script, `${lines.join("\n")}\n`, { mode: 0o700 });
  }

  path(p: string): void {
    this.paths.push(p);
    this.write();
  }

  /** Run the script now (afterAll), then stop the watcher. */
  async run(): Promise<void> {
    if (existsSync(this.script)) await execa("/bin/sh", [this.script], { reject: false, timeout: 60_000 });
    this.watcher?.stop();
    this.watcher = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// --- tenants -------------------------------------------------------------------------------

export interface Tenant {
  name: string;
  uid: number;
  gid: number;
  home: string;
  mosaicHome: string;
  runDir: string;
  tmuxDir: string;
  runtimeDir: string;
  manager: { pid: number; cgroups: string[]; log: string } | null;
  /** Why no user manager runs for this tenant. */
  managerWhy: string;
}

export function randomTenantName(label = ""): string {
  return `mft-${label}${randomBytes(4).toString("hex")}`;
}

export async function userExists(name: string): Promise<boolean> {
  const r = await execa("getent", ["passwd", name], { reject: false });
  return r.exitCode === 0 && String(r.stdout).trim() !== "";
}

export async function createTenant(janitor: Janitor, name: string): Promise<Tenant> {
  if (!/^mft-[a-z0-9-]+$/.test(name)) throw new Error(`refusing to create user ${name}: not an mft-* name`);
  if (await userExists(name)) throw new Error(`user ${name} already exists`);
  const record = janitor.user(name);
  janitor.write();
  const created = await execa("useradd", ["--create-home", "--shell", "/bin/sh", name], { reject: false });
  if (created.exitCode !== 0) throw new Error(`useradd ${name} failed: ${String(created.stderr).trim()}`);
  const line = String((await execa("getent", ["passwd", name])).stdout).trim();
  const [, , uid, gid, , home] = line.split(":");
  const tenant: Tenant = {
    name,
    uid: Number(uid),
    gid: Number(gid),
    home: home ?? "",
    mosaicHome: join(home ?? "", ".config", "mosaic"),
    runDir: join(home ?? "", ".config", "mosaic", "fleet", "run"),
    tmuxDir: `/tmp/tmux-${uid}`,
    runtimeDir: `/run/user/${uid}`,
    manager: null,
    managerWhy: "not started",
  };
  record.uid = tenant.uid;
  // A recycled uid may have left /tmp/tmux-UID behind: then only our sockets are removed.
  record.removeTmuxDir = !existsSync(tenant.tmuxDir);
  janitor.write();
  // The tenant must be able to run node and read the CLI (the janitor's copy).
  const access = await asTenant(tenant, [
    "sh",
    "-c",
    'test -x "$1" && test -r "$2" && test -r "$3"',
    "sh",
    NODE,
    bin,
    join(dirname(bin), "..", "dist", "cli.cjs"),
  ]);
  if (access.code !== 0) {
    throw new Error(
      `user ${name} cannot execute ${NODE} or read ${bin} and its dist/: node must be world-executable for the tenant tests`,
    );
  }
  return tenant;
}

/** The clean environment a tenant's login would have (nothing of root's leaks through). */
function tenantEnv(t: Tenant, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: PATH_ENV,
    HOME: t.home,
    USER: t.name,
    LOGNAME: t.name,
    SHELL: "/bin/sh",
    LANG: "C.UTF-8",
    NO_COLOR: "1",
    ...extra,
  };
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Run argv as tenant `t` (runuser -u, env -i with the tenant's own environment). */
async function asTenant(
  t: Tenant,
  argv: readonly string[],
  extra: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<Run> {
  const envPairs = Object.entries(tenantEnv(t, extra)).map(([k, v]) => `${k}=${v}`);
  const r = await execa("runuser", ["-u", t.name, "--", "env", "-i", ...envPairs, ...argv], {
    cwd: "/",
    reject: false,
    stdin: "ignore",
    timeout: timeoutMs,
    forceKillAfterDelay: 500,
    extendEnv: false,
    env: { PATH: PATH_ENV },
  });
  return {
    code: r.exitCode ?? null,
    stdout: String(r.stdout ?? ""),
    stderr: String(r.stderr ?? ""),
    timedOut: r.timedOut,
  };
}

/** root's environment for the CLI: nothing of the caller's mosaic/tmux/systemd settings. */
function rootEnv(mosaicHome: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cliEnv({ MOSAIC_HOME: mosaicHome, NO_COLOR: "1", ...extra });
}

/** The CLI as root (`who` null) or as a tenant. */
export async function mosaicAs(
  who: Tenant | null,
  args: readonly string[],
  opts: { rootHome: string; env?: Record<string, string> },
): Promise<Run> {
  if (who !== null) return asTenant(who, [NODE, bin, ...args], opts.env ?? {});
  const r = await execa(NODE, [bin, ...args], {
    cwd: "/",
    reject: false,
    stdin: "ignore",
    timeout: 20_000,
    forceKillAfterDelay: 500,
    extendEnv: false,
    env: rootEnv(opts.rootHome, opts.env ?? {}),
  });
  return {
    code: r.exitCode ?? null,
    stdout: String(r.stdout ?? ""),
    stderr: String(r.stderr ?? ""),
    timedOut: r.timedOut,
  };
}

/** `fleet ps -o json` (etc.) parsed; throws with stderr when it is not JSON. */
export function parseStatus(run: Run, what: string): FleetStatus {
  try {
    return JSON.parse(run.stdout) as FleetStatus;
  } catch (error) {
    throw new Error(
      `${what}: exit ${run.code}, stdout is not JSON (${(error as Error).message})\nstderr: ${run.stderr}\nstdout: ${run.stdout.slice(0, 2000)}`,
      { cause: error },
    );
  }
}

/** Problems a user would see as a crash: stack traces, JS exception names, signals. */
export function crashSigns(run: Run): string[] {
  const signs: string[] = [];
  if (run.timedOut) signs.push("timed out");
  if (run.code === null) signs.push("killed");
  if (/^\s+at /m.test(run.stderr)) signs.push("stack trace on stderr");
  if (/RangeError|TypeError|ReferenceError|SyntaxError|internal error/i.test(run.stderr))
    signs.push("JS exception on stderr");
  return signs;
}

export function agentOf(status: FleetStatus, name: string, tenant?: string): AgentStatus {
  const found = status.agents.filter((a) => a.name === name && (tenant === undefined || a.tenant_id === tenant));
  if (found.length !== 1) {
    throw new Error(
      `expected one agent ${name}${tenant ? `@${tenant}` : ""}, found ${found.length} in ${status.agents.map((a) => `${a.name}@${a.tenant_id}`).join(", ")}`,
    );
  }
  return found[0] as AgentStatus;
}

/** {type: "status/reason"} for compact assertions. */
export function summary(agent: AgentStatus): Record<string, string> {
  return Object.fromEntries(agent.conditions.map((c) => [c.type, `${c.status}/${c.reason}`]));
}

/** The uid owning a live process, or null. */
export function processUid(pid: number | null | undefined): number | null {
  if (!pid) return null;
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("Uid:"));
    return line ? Number(line.split(/\s+/)[1]) : null;
  } catch {
    return null;
  }
}

// --- tmux as a tenant ------------------------------------------------------------------------

export async function tenantTmux(t: Tenant, socket: string, ...args: string[]): Promise<Run> {
  return asTenant(t, ["tmux", "-f", "/dev/null", "-L", socket, ...args], { MOSAIC_HOME: t.mosaicHome });
}

/** A detached session on the tenant's own server `socket` (default TMUX_TMPDIR: /tmp/tmux-UID). */
export async function tenantSession(
  janitor: Janitor,
  t: Tenant,
  socket: string,
  name: string,
  argv: readonly string[],
): Promise<void> {
  const record = janitor.user(t.name);
  if (!record.tmuxSockets.includes(socket)) {
    record.tmuxSockets.push(socket);
    janitor.write();
  }
  const r = await tenantTmux(
    t,
    socket,
    "new-session",
    "-d",
    "-s",
    name,
    "-x",
    "120",
    "-y",
    "30",
    "-e",
    `MOSAIC_HOME=${t.mosaicHome}`,
    "--",
    ...argv,
  );
  if (r.code !== 0) throw new Error(`tmux new-session ${name} as ${t.name} on ${socket} failed: ${r.stderr.trim()}`);
}

/** The stub runtime exactly as an operator would start it in a pane. */
export function stubCommand(): string[] {
  return ["sh", "-c", `${q(NODE)} ${q(bin)} agent stub --interval 1s; exit`];
}

export async function waitForHeartbeat(t: Tenant, agent: string, timeoutMs = 15_000): Promise<void> {
  const file = join(t.runDir, `${agent}.hb`);
  if (!(await waitFor(() => existsSync(file), timeoutMs)))
    throw new Error(`no heartbeat ${file} within ${timeoutMs} ms`);
}

// --- a systemd user manager as a tenant --------------------------------------------------------

export function tenantSystemctl(t: Tenant, ...args: string[]): Promise<Run> {
  return asTenant(t, ["systemctl", "--user", ...args], { XDG_RUNTIME_DIR: t.runtimeDir });
}

/**
 * `systemd --user` as the tenant at /run/user/UID, as a login would start it. Where PID 1
 * is not systemd, nobody delegates a cgroup to the user, so we do: a cgroup per tracking
 * hierarchy, chowned to the tenant, the manager started inside it. Returns false (with
 * t.managerWhy set) when it cannot run here.
 */
export async function startTenantManager(janitor: Janitor, t: Tenant): Promise<boolean> {
  const record = janitor.user(t.name);
  if (!existsSync(SYSTEMD_BINARY)) {
    t.managerWhy = `${SYSTEMD_BINARY} does not exist`;
    return false;
  }
  if (existsSync(t.runtimeDir)) {
    t.managerWhy = `${t.runtimeDir} already exists (recycled uid?); not touching it`;
    return false;
  }
  try {
    mkdirSync("/run/systemd/system", { recursive: true });
  } catch (error) {
    t.managerWhy = `cannot create /run/systemd/system: ${(error as Error).message}`;
    return false;
  }
  record.runtimeDir = t.runtimeDir;
  janitor.write();
  mkdirSync(t.runtimeDir, { recursive: true, mode: 0o700 });
  await execa("chown", [`${t.uid}:${t.gid}`, t.runtimeDir]);
  chmodSync(t.runtimeDir, 0o700);

  const cgroups: string[] = [];
  for (const h of trackingHierarchies()) {
    const dir = join(h, `mosaic-fleet-tenant-${process.pid}-${randomBytes(3).toString("hex")}`);
    try {
      mkdirSync(dir);
      cgroups.push(dir);
      record.cgroups.push(dir);
      janitor.write();
      await execa("chown", ["-R", `${t.uid}:${t.gid}`, dir]);
    } catch (error) {
      t.managerWhy = `cannot delegate cgroup ${dir}: ${(error as Error).message}`;
      return false;
    }
  }

  // Units: a template whose instances are oneshot, so `start` reads active (exited).
  const unitDir = join(t.home, ".config", "systemd", "user");
  await asTenant(t, ["mkdir", "-p", unitDir]);
  const unit =
    "[Unit]\nDescription=mosaic tenant test agent %i\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n\n[Install]\nWantedBy=default.target\n";
  writeFileSync(join(unitDir, "mosaic-agent@.service"), unit, { mode: 0o644 });
  await execa("chown", [`${t.uid}:${t.gid}`, join(unitDir, "mosaic-agent@.service")]);

  const log = join(janitor.dir, `manager-${t.name}.log`);
  const fd = openSync(log, "a");
  const envPairs = Object.entries(tenantEnv(t, { XDG_RUNTIME_DIR: t.runtimeDir })).map(([k, v]) => `${k}=${v}`);
  const script = 'for f in $CGROUP_PROCS; do echo $$ > "$f" || exit 97; done; exec "$@"';
  const child = spawn(
    "/bin/sh",
    ["-c", script, "sh", "runuser", "-u", t.name, "--", "env", "-i", ...envPairs, SYSTEMD_BINARY, "--user"],
    {
      detached: true,
      stdio: ["ignore", fd, fd],
      env: { PATH: PATH_ENV, CGROUP_PROCS: cgroups.map((c) => join(c, "cgroup.procs")).join(" ") },
    },
  );
  closeSync(fd);
  child.on("error", () => undefined);
  child.unref();

  let answer = "";
  const ready = await waitFor(
    async () => {
      const r = await tenantSystemctl(t, "is-system-running");
      answer = (r.stdout.trim() || r.stderr.trim()).split("\n")[0] ?? "";
      return answer === "running" || answer === "degraded" || child.exitCode !== null;
    },
    15_000,
    200,
  );
  const pid = Number(
    String((await execa("pgrep", ["-u", String(t.uid), "-x", "systemd"], { reject: false })).stdout)
      .trim()
      .split("\n")[0],
  );
  if (!ready || child.exitCode !== null || !(pid > 0)) {
    let tail = "";
    try {
      tail = readFileSync(log, "utf8").trim().split("\n").slice(-10).join("\n");
    } catch {
      // no log
    }
    t.managerWhy = `systemd --user as ${t.name} did not come up (last answer: ${answer || "none"})${tail ? `; log: ${tail}` : ""}`;
    return false;
  }
  t.manager = { pid, cgroups, log };
  t.managerWhy = "";
  return true;
}

/** Stop the tenant's units and manager (the janitor kills whatever is left). */
export async function stopTenantManager(t: Tenant): Promise<void> {
  if (!t.manager) return;
  await tenantSystemctl(t, "stop", "mosaic-agent@*.service");
  try {
    process.kill(t.manager.pid, "SIGTERM");
  } catch {
    // gone
  }
  const pid = t.manager.pid;
  await waitFor(() => processUid(pid) === null, 10_000);
  t.manager = null;
}

/** Kill-server on each socket, then everything else of the tenant's (gracefully first). */
export async function stopTenantProcesses(t: Tenant, sockets: readonly string[]): Promise<void> {
  for (const s of sockets) await tenantTmux(t, s, "kill-server");
  await execa("pkill", ["-TERM", "-u", t.name], { reject: false });
  if (!(await waitFor(async () => (await execa("pgrep", ["-u", t.name], { reject: false })).exitCode === 1, 5_000))) {
    await execa("pkill", ["-KILL", "-u", t.name], { reject: false });
    await waitFor(async () => (await execa("pgrep", ["-u", t.name], { reject: false })).exitCode === 1, 5_000);
  }
}

/** Every leftover of the given users: accounts, processes (by uid), homes, cgroups, runtime dirs. */
export async function leftovers(
  users: readonly { name: string; uid: number }[],
  paths: readonly string[],
): Promise<string[]> {
  const found: string[] = [];
  for (const { name, uid } of users) {
    if (await userExists(name)) found.push(`user ${name} still exists`);
    const ps = await execa("pgrep", ["-u", String(uid)], { reject: false });
    if (ps.exitCode === 0) found.push(`processes of uid ${uid} (${name}): ${String(ps.stdout).trim()}`);
    if (existsSync(join("/home", name))) found.push(`/home/${name} still exists`);
  }
  for (const p of paths) if (existsSync(p)) found.push(`${p} still exists`);
  return found;
}
