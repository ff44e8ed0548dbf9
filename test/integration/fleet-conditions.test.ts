// Every condition an operator can meet, produced for real and read through the CLI
// (`bin/mosaic fleet ps -o json` / the table / `fleet diff`): dead and missing panes,
// stale and fresh heartbeats, unmanaged sessions, ephemeral and remote agents, a
// missing tmux server, a hostile socket, no user manager, and tools that hang.

import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTRIB_UNIT_DIR, startUserManager, type UserManager } from "../helpers/systemd.js";
import { pidAlive, startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import type { FleetStatus } from "../../src/diff/types.js";
import {
  CONDITION_TYPES,
  DOGFOOD,
  FIXTURE_BIN,
  HOST,
  USER,
  agentOf,
  argvOf,
  cliEnv,
  conditionOf,
  conditionSummary,
  localDefaults,
  mosaic,
  nowS,
  parseTable,
  psJson,
  scratch,
  waitUntil,
  type Scratch,
} from "./fleet-support.js";
import { skipOutsideCi } from "../helpers/skip.js";

const uid = process.getuid?.() ?? 0;
/** A runtime for panes that run `sleep`, so Drift is False where a test does not care. */
const SLEEPER = { sleeper: { match: ["sleep"] } };

let fleet: TmuxServer | undefined;
let s: Scratch;
/** An XDG_RUNTIME_DIR with no user manager in it. */
let noManager = "";
const cleanups: (() => void | Promise<void>)[] = [];

/** The CLI's environment for the fleet server, without a user manager. */
function env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return cliEnv({ TMUX_TMPDIR: fleet?.tmpdir, MOSAIC_HOME: s.home, HOME: s.dir, XDG_RUNTIME_DIR: noManager, ...extra });
}

function roster(
  name: string,
  agents: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
  socket = fleet?.socket ?? "none",
): string {
  return s.roster(`${name}.yaml`, { version: 1, defaults: localDefaults(socket), runtimes: SLEEPER, agents, ...extra });
}

beforeAll(async () => {
  s = scratch("mf-cond-");
  noManager = join(s.dir, "no-manager");
  mkdirSync(noManager, { mode: 0o700 });
  fleet = await startTmuxServer("fleet-cond");
  // Some session always exists on the fleet server (like _holder in production), so a
  // test that kills its agent's session never leaves the server empty.
  await fleet.newSession("keeper", ["sleep", "600"]);
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await fleet?.kill();
  s?.cleanup();
});

describe("panes", () => {
  it("a killed session: pane missing, PaneDead True PaneMissing", async () => {
    const tmux = fleet as TmuxServer;
    const file = roster("missing", [{ name: "gone-agent", runtime: "sleeper", heartbeat: false }]);
    const created = await tmux.newSession("gone-agent", ["sleep", "600"]);
    const before = agentOf((await psJson(file, env())).status, "gone-agent");
    expect(before.pane).toMatchObject({ state: "alive", pid: created.panePid, target: created.paneId });
    expect(conditionOf(before, "PaneDead")).toMatchObject({ status: "False", reason: "PaneAlive" });
    expect(conditionOf(before, "Drift")).toMatchObject({ status: "False", reason: "RuntimeMatches" });

    expect((await tmux.tmux("kill-session", "-t", "=gone-agent")).ok).toBe(true);
    const after = agentOf((await psJson(file, env())).status, "gone-agent");
    expect(after.pane.state).toBe("missing");
    expect(after.pane.pid).toBeNull();
    expect(after.pane.target).toBeNull();
    expect(conditionOf(after, "PaneDead")).toMatchObject({ status: "True", reason: "PaneMissing" });
    const table = parseTable((await mosaic(["fleet", "ps", "-f", file], env())).stdout);
    // PaneDead first; what could not be checked follows as ?Name (no process to compare, and
    // no user manager where this suite runs), never hidden behind a healthy-looking "-".
    expect(table.rows[0]).toMatchObject({ NAME: "gone-agent", PANE: "missing", PID: "-" });
    expect(table.rows[0]?.["CONDITIONS"]).toMatch(/^PaneDead,\?Drift(,|$)/);
  });

  it("remain-on-exit and a killed process: pane dead, PaneDead True ProcessExited", async () => {
    const tmux = fleet as TmuxServer;
    const file = roster("corpse", [{ name: "corpse", runtime: "sleeper", heartbeat: false }]);
    const created = await tmux.newSession("corpse", ["sleep", "600"]);
    expect((await tmux.tmux("set-option", "-w", "-t", "=corpse:", "remain-on-exit", "on")).ok).toBe(true);
    process.kill(created.panePid, "SIGKILL");
    const paneDead = async () =>
      (await tmux.tmux("display-message", "-p", "-t", "=corpse:", "#{pane_dead}")).stdout.trim() === "1";
    expect(await waitUntil(paneDead, 5_000)).toBe(true);

    const agent = agentOf((await psJson(file, env())).status, "corpse");
    expect(agent.pane.state).toBe("dead");
    expect(agent.pane.target).toBe(created.paneId);
    expect(conditionOf(agent, "PaneDead")).toMatchObject({ status: "True", reason: "ProcessExited" });
    expect(conditionOf(agent, "Drift").status).toBe("Unknown");
  });

  it("a process that exits with status 3 under remain-on-exit: dead, and the exit status is reported", async () => {
    const tmux = fleet as TmuxServer;
    const file = roster("exit3", [{ name: "exit3", runtime: "shell", heartbeat: false }]);
    // One tmux invocation: the session and its remain-on-exit exist before the process can exit.
    const made = await tmux.tmux(
      "new-session",
      "-d",
      "-s",
      "exit3",
      "--",
      "read line; exit 3",
      ";",
      "set-option",
      "-w",
      "-t",
      "=exit3:",
      "remain-on-exit",
      "on",
    );
    expect(made.ok, made.message).toBe(true);
    expect((await tmux.tmux("send-keys", "-t", "=exit3:", "Enter")).ok).toBe(true);
    // tmux 3.3a can mark the pane dead well before it has reaped the process and learnt
    // its status (seconds, on a busy machine): mosaic reports exactly what tmux knows.
    const deadStatus = async () =>
      (await tmux.tmux("display-message", "-p", "-t", "=exit3:", "#{pane_dead}:#{pane_dead_status}")).stdout.trim();
    expect(await waitUntil(async () => (await deadStatus()).startsWith("1:"), 5_000)).toBe(true);
    await waitUntil(async () => (await deadStatus()) === "1:3", 5_000);
    const known = (await deadStatus()) === "1:3";
    const agent = agentOf((await psJson(file, env())).status, "exit3");
    expect(agent.pane.state).toBe("dead");
    expect(conditionOf(agent, "PaneDead")).toMatchObject({ status: "True", reason: "ProcessExited" });
    if (known) {
      expect(agent.pane.exit_status).toBe(3);
      expect(conditionOf(agent, "PaneDead").message).toContain("status 3");
    } else {
      console.warn("tmux had not learnt the pane's exit status within 10 s; checking mosaic reports none");
      expect([null, 3]).toContain(agent.pane.exit_status);
    }
  });

  it("a running server with no session at all: every core agent PaneMissing, not TmuxUnavailable", async () => {
    const empty = await startTmuxServer("fleet-empty"); // exit-empty off: it keeps running with zero sessions
    cleanups.push(() => empty.kill());
    await empty.newSession("was-here", ["sleep", "600"]);
    expect((await empty.tmux("kill-session", "-t", "=was-here")).ok).toBe(true);
    expect(await empty.serverPid()).not.toBeNull(); // the server answers
    const file = roster("empty", [{ name: "was-here", runtime: "sleeper", heartbeat: false }], {}, empty.socket);
    const { status } = await psJson(file, env({ TMUX_TMPDIR: empty.tmpdir }));
    const agent = agentOf(status, "was-here");
    expect(conditionOf(agent, "PaneDead"), JSON.stringify(status.sources)).toMatchObject({
      status: "True",
      reason: "PaneMissing",
    });
    expect(agent.pane.state).toBe("missing");
    expect(status.sources).toEqual([expect.objectContaining({ source: "systemd" })]);
  });

  it("agent1 is never matched to session agent10 (no prefix match); agent10 is unmanaged", async () => {
    const tmux = fleet as TmuxServer;
    await tmux.newSession("agent10", ["sleep", "600"]);
    // tmux itself would resolve the bare target "agent1" to agent10 by prefix:
    expect((await tmux.tmux("has-session", "-t", "agent1")).ok).toBe(true);
    const file = roster("prefix", [{ name: "agent1", runtime: "sleeper", heartbeat: false }]);
    const { status } = await psJson(file, env());
    const agent = agentOf(status, "agent1");
    expect(agent.pane.state).toBe("missing");
    expect(agent.pane.pid).toBeNull();
    expect(conditionOf(agent, "PaneDead")).toMatchObject({ status: "True", reason: "PaneMissing" });
    expect(status.unmanaged).toContainEqual(
      expect.objectContaining({ session: "agent10", tenant_id: USER, host: HOST }),
    );
  });

  it("a session the roster does not list is reported as unmanaged, with tenant_id and host", async () => {
    const tmux = fleet as TmuxServer;
    await tmux.newSession("scratchpad", ["sleep", "600"]);
    await tmux.newSession("listed", ["sleep", "600"]);
    const file = roster("unmanaged", [{ name: "listed", runtime: "sleeper", heartbeat: false }]);
    const { status } = await psJson(file, env());
    const scratchpad = status.unmanaged.find((u) => u.session === "scratchpad");
    expect(scratchpad).toMatchObject({ session: "scratchpad", tenant_id: USER, host: HOST, socket: tmux.socket });
    expect(status.unmanaged.map((u) => u.session)).not.toContain("listed");
    const run = await mosaic(["fleet", "ps", "-f", file], env());
    expect(parseTable(run.stdout).footer.join("\n")).toMatch(/unmanaged: session "scratchpad"/);
  });

  it("an ephemeral agent that is not running is not a problem: PaneDead False NotScheduled", async () => {
    const file = roster("ephemeral", [{ name: "worker-1", runtime: "codex", lifecycle: "ephemeral" }]);
    const agent = agentOf((await psJson(file, env())).status, "worker-1");
    expect(agent.lifecycle).toBe("ephemeral");
    expect(conditionOf(agent, "PaneDead")).toMatchObject({ status: "False", reason: "NotScheduled" });
    expect(conditionOf(agent, "Stale")).toMatchObject({ status: "False", reason: "NotScheduled" });
    expect(conditionOf(agent, "Drift")).toMatchObject({ status: "False", reason: "NotScheduled" });
    expect(conditionOf(agent, "BootDisabled")).toMatchObject({ status: "False", reason: "BootNotRequired" });
  });

  it("an agent on another host: every condition Unknown RemoteHost, nothing observed", async () => {
    const file = roster("remote", [{ name: "far-away", runtime: "pi", host: "some-other-host.example" }]);
    const { status } = await psJson(file, env());
    const agent = agentOf(status, "far-away");
    expect(agent.host).toBe("some-other-host.example");
    expect(agent.tenant_id).toBe(USER);
    for (const type of CONDITION_TYPES)
      expect(conditionOf(agent, type), type).toMatchObject({ status: "Unknown", reason: "RemoteHost" });
    expect(agent.pane.state).toBe("unknown");
    expect(agent.unit.active).toBe("unknown");
    expect(agent.heartbeat.state).toBe("unknown");
  });

  it("an agent of another tenant: Unknown with a reason, never healthy or dead", async () => {
    const file = roster("tenant", [{ name: "theirs", runtime: "pi", tenant: "somebody-else" }]);
    const agent = agentOf((await psJson(file, env())).status, "theirs");
    for (const type of CONDITION_TYPES) expect(conditionOf(agent, type).status, type).toBe("Unknown");
    // No such user on this host: reported, never guessed (root could otherwise observe it).
    expect(conditionOf(agent, "PaneDead").reason).toBe("NoSuchTenant");
    expect(agent.tenant_id).toBe("somebody-else");
  });
});

describe("heartbeats", () => {
  const hbRoster = () =>
    roster("hb", [
      { name: "hb-old", runtime: "sleeper" },
      { name: "hb-fresh", runtime: "sleeper" },
      { name: "hb-gone", runtime: "sleeper" },
      { name: "hb-none", runtime: "sleeper" },
    ]);

  beforeAll(async () => {
    for (const name of ["hb-old", "hb-fresh", "hb-gone", "hb-none"]) await fleet?.newSession(name, ["sleep", "600"]);
  });

  it("older than 3 × interval → Stale True HeartbeatExpired", async () => {
    // pid 1 started at boot, long before ts: alive and not reused, only old.
    s.heartbeat("hb-old", `ts=${nowS() - 46} pid=1 status=idle`);
    const agent = agentOf((await psJson(hbRoster(), env())).status, "hb-old");
    expect(agent.heartbeat).toMatchObject({ state: "stale", pid: 1, status: "idle", interval_s: 15 });
    expect(agent.heartbeat.age_s as number).toBeGreaterThanOrEqual(46);
    expect(conditionOf(agent, "Stale")).toMatchObject({ status: "True", reason: "HeartbeatExpired" });
  });

  it("fresh, from a live pid that started before ts → healthy, Stale False", async () => {
    s.heartbeat("hb-fresh", `ts=${nowS()} pid=${process.pid} status=busy seq=7`);
    const { status } = await psJson(hbRoster(), env());
    const agent = agentOf(status, "hb-fresh");
    expect(agent.heartbeat).toMatchObject({ state: "healthy", pid: process.pid, status: "busy", seq: 7 });
    expect(agent.heartbeat.age_s as number).toBeGreaterThanOrEqual(0);
    expect(agent.heartbeat.age_s as number).toBeLessThan(10);
    expect(conditionOf(agent, "Stale")).toMatchObject({ status: "False", reason: "HeartbeatFresh" });
    const table = parseTable((await mosaic(["fleet", "ps", "-f", hbRoster()], env())).stdout);
    expect(table.rows.find((r) => r["NAME"] === "hb-fresh")?.["HEARTBEAT"]).toMatch(/^healthy \d+s$/);
  });

  it("a fresh ts whose pid is dead → Stale True HeartbeatPidGone", async () => {
    const child = spawnSync("/bin/true");
    const dead = child.pid;
    expect(pidAlive(dead)).toBe(false);
    s.heartbeat("hb-gone", `ts=${nowS()} pid=${dead} status=idle`);
    const agent = agentOf((await psJson(hbRoster(), env())).status, "hb-gone");
    expect(agent.heartbeat.state).toBe("stale");
    expect(conditionOf(agent, "Stale")).toMatchObject({ status: "True", reason: "HeartbeatPidGone" });
  });

  it("a fresh heartbeat in a world-writable run directory is untrusted: Unknown, never healthy", async () => {
    const other = scratch("mf-cond-hb777-");
    cleanups.push(() => other.cleanup());
    other.heartbeat("hb-fresh", `ts=${nowS()} pid=${process.pid} status=idle`);
    chmodSync(other.runDir, 0o777);
    const agent = agentOf((await psJson(hbRoster(), env({ MOSAIC_HOME: other.home }))).status, "hb-fresh");
    expect(agent.heartbeat.state).toBe("unknown");
    expect(conditionOf(agent, "Stale")).toMatchObject({ status: "Unknown", reason: "HeartbeatUntrusted" });
  });

  it("no heartbeat file → Unknown NoHeartbeat, never healthy", async () => {
    const agent = agentOf((await psJson(hbRoster(), env())).status, "hb-none");
    expect(agent.heartbeat.state).toBe("unknown");
    expect(conditionOf(agent, "Stale")).toMatchObject({ status: "Unknown", reason: "NoHeartbeat" });
  });
});

describe("the tmux socket", () => {
  it("no tmux server on the socket: exit 0, PaneDead Unknown TmuxUnavailable on every agent", async () => {
    const agents = [
      { name: "a1", runtime: "stub" },
      { name: "a2", runtime: "pi", heartbeat: false },
    ];
    // Three ways to have no server: no such socket beside a live one, no socket
    // directory at all, and a stale socket file left by a server that was killed.
    const emptyTmpdir = mkdtempSync(join(tmpdir(), "mf-notmux-"));
    cleanups.push(() => rmSync(emptyTmpdir, { recursive: true, force: true }));
    const stale = await startTmuxServer("fleet-stale");
    cleanups.push(() => stale.kill());
    expect((await stale.tmux("kill-server")).ok).toBe(true);
    expect(await waitUntil(async () => (await stale.serverPid()) === null, 5_000)).toBe(true);

    const variants: [string, string, string][] = [
      ["absent socket", roster("nosrv1", agents, {}, "mf-no-such-socket"), fleet?.tmpdir ?? ""],
      ["no socket dir", roster("nosrv2", agents, {}, "mf-no-such-socket"), emptyTmpdir],
      ["stale socket file", roster("nosrv3", agents, {}, stale.socket), stale.tmpdir],
    ];
    for (const [what, file, tmuxTmpdir] of variants) {
      const { run, status } = await psJson(file, env({ TMUX_TMPDIR: tmuxTmpdir }));
      expect(run.code, what).toBe(0);
      for (const agent of status.agents) {
        expect(conditionOf(agent, "PaneDead"), `${what}: ${agent.name}`).toMatchObject({
          status: "Unknown",
          reason: "TmuxUnavailable",
        });
        expect(agent.pane.state, what).toBe("unknown");
      }
      const table = await mosaic(["fleet", "ps", "-f", file], env({ TMUX_TMPDIR: tmuxTmpdir }));
      expect(table.code, what).toBe(0);
      expect(table.stderr, what).not.toMatch(/^\s+at /m);
      expect(
        parseTable(table.stdout).rows.map((r) => r["PANE"]),
        what,
      ).toEqual(["unknown", "unknown"]);
      expect(table.stdout, what).toMatch(/TmuxUnavailable/);
    }
  });

  it("--socket and MOSAIC_FLEET_SOCKET override the roster's socket", async () => {
    const tmux = fleet as TmuxServer;
    const created = await tmux.newSession("moved", ["sleep", "600"]);
    const file = roster("moved", [{ name: "moved", runtime: "sleeper", heartbeat: false }], {}, "the-roster-socket");
    expect(agentOf((await psJson(file, env())).status, "moved").pane.state).toBe("unknown"); // no such socket
    const byFlag = agentOf((await psJson(file, env(), ["--socket", tmux.socket])).status, "moved");
    expect(byFlag.pane).toMatchObject({ state: "alive", pid: created.panePid });
    expect(byFlag.socket).toBe(tmux.socket);
    const byEnv = agentOf((await psJson(file, env({ MOSAIC_FLEET_SOCKET: tmux.socket }))).status, "moved");
    expect(byEnv.pane).toMatchObject({ state: "alive", pid: created.panePid });
  });

  it("$TMUX pointing at another server: the fleet socket is still the one observed", async () => {
    const tmux = fleet as TmuxServer;
    const other = await startTmuxServer("fleet-caller");
    cleanups.push(() => other.kill());
    await other.newSession("intruder", ["sleep", "600"]);
    const loyal = await tmux.newSession("loyal", ["sleep", "600"]);
    const otherPid = await other.serverPid();
    const file = roster("caller", [
      { name: "loyal", runtime: "sleeper", heartbeat: false },
      { name: "intruder", runtime: "sleeper", heartbeat: false },
    ]);
    const { status } = await psJson(file, env({ TMUX: `${other.socketPath},${otherPid},0`, TMUX_PANE: "%0" }));
    expect(agentOf(status, "loyal").pane).toMatchObject({ state: "alive", pid: loyal.panePid });
    expect(agentOf(status, "intruder").pane.state).toBe("missing");
    expect(status.unmanaged.map((u) => u.socket)).not.toContain(other.socket);
  });

  it("a socket directory with mode 0777 is refused (SocketUnsafe) and never used", async () => {
    const unsafe = await startTmuxServer("fleet-0777");
    const socketDir = join(unsafe.tmpdir, `tmux-${uid}`);
    cleanups.push(async () => {
      chmodSync(socketDir, 0o700); // or tmux itself refuses to kill its own server
      await unsafe.kill();
    });
    await unsafe.newSession("lure", ["sleep", "600"]);
    chmodSync(socketDir, 0o777);
    const file = roster("unsafe", [{ name: "lure", runtime: "sleeper", heartbeat: false }], {}, unsafe.socket);
    const { status } = await psJson(file, env({ TMUX_TMPDIR: unsafe.tmpdir }));
    const agent = agentOf(status, "lure");
    expect(conditionOf(agent, "PaneDead")).toMatchObject({ status: "Unknown", reason: "SocketUnsafe" });
    expect(agent.pane).toMatchObject({ state: "unknown", pid: null, target: null });
    expect(status.unmanaged).toEqual([]);
    const table = await mosaic(["fleet", "ps", "-f", file], env({ TMUX_TMPDIR: unsafe.tmpdir }));
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/refusing tmux socket directory .*(SocketUnsafe)/);
  });

  it("a socket directory owned by another uid is refused (SocketUnsafe)", async (ctx) => {
    if (uid !== 0) return skipOutsideCi(ctx, "needs root to chown");
    const foreign = await startTmuxServer("fleet-chown");
    const socketDir = join(foreign.tmpdir, `tmux-${uid}`);
    cleanups.push(async () => {
      chownSync(socketDir, uid, process.getgid?.() ?? 0);
      await foreign.kill();
    });
    await foreign.newSession("lure", ["sleep", "600"]);
    chownSync(socketDir, 65534, 65534);
    const file = roster("foreign", [{ name: "lure", runtime: "sleeper", heartbeat: false }], {}, foreign.socket);
    const agent = agentOf((await psJson(file, env({ TMUX_TMPDIR: foreign.tmpdir }))).status, "lure");
    expect(conditionOf(agent, "PaneDead")).toMatchObject({ status: "Unknown", reason: "SocketUnsafe" });
    expect(agent.pane.state).toBe("unknown");
  });

  it("a socket path replaced by a symlink (to a live server) is refused (SocketUnsafe) and never used", async () => {
    const target = await startTmuxServer("fleet-lnk");
    cleanups.push(() => target.kill());
    await target.newSession("lure", ["sleep", "600"]);
    const planted = mkdtempSync(join(tmpdir(), "mf-planted-"));
    cleanups.push(() => rmSync(planted, { recursive: true, force: true }));
    mkdirSync(join(planted, `tmux-${uid}`), { mode: 0o700 });
    symlinkSync(target.socketPath, join(planted, `tmux-${uid}`, "mf-planted"));
    const file = roster("symlink", [{ name: "lure", runtime: "sleeper", heartbeat: false }], {}, "mf-planted");
    const { status } = await psJson(file, env({ TMUX_TMPDIR: planted }));
    const agent = agentOf(status, "lure");
    expect(conditionOf(agent, "PaneDead")).toMatchObject({ status: "Unknown", reason: "SocketUnsafe" });
    expect(conditionOf(agent, "PaneDead").message).toMatch(/symlink/);
    expect(agent.pane).toMatchObject({ state: "unknown", pid: null });
    expect(status.unmanaged).toEqual([]);
  });
});

describe("no systemd user manager", () => {
  it("XDG_RUNTIME_DIR without a manager: unit columns unknown, BootDisabled/UnitDown Unknown SystemdUnavailable", async () => {
    const tmux = fleet as TmuxServer;
    await tmux.newSession("nomgr", ["sleep", "600"]);
    const file = roster("nomgr", [{ name: "nomgr", runtime: "sleeper", heartbeat: false }]);
    const { run, status } = await psJson(file, env());
    expect(run.code).toBe(0);
    const agent = agentOf(status, "nomgr");
    expect(agent.unit).toMatchObject({ active: "unknown", enabled: "unknown" });
    expect(conditionOf(agent, "BootDisabled")).toMatchObject({ status: "Unknown", reason: "SystemdUnavailable" });
    expect(conditionOf(agent, "UnitDown")).toMatchObject({ status: "Unknown", reason: "SystemdUnavailable" });
    // The rest of the row is still there.
    expect(agent.pane.state).toBe("alive");
    const table = await mosaic(["fleet", "ps", "-f", file], env());
    expect(table.code).toBe(0);
    expect(parseTable(table.stdout).rows[0]).toMatchObject({ NAME: "nomgr", UNIT: "unknown/unknown", PANE: "alive" });
    expect(table.stdout).toMatch(/SystemdUnavailable/);
  });
});

describe("with a real user manager", () => {
  let m: UserManager | null = null;
  let steady: TmuxServer | undefined;
  const fakePids = () => join(s.dir, "fake-pids");
  let fleetFile = "";

  const need = (ctx: { skip: (note?: string) => never }): { m: UserManager; steady: TmuxServer } => {
    if (!m || !steady) return skipOutsideCi(ctx, "no systemd user manager available (see the warning above)");
    return { m, steady };
  };
  const managerEnv = (extra: Record<string, string | undefined> = {}) =>
    cliEnv({ ...(m?.env ?? {}), TMUX_TMPDIR: steady?.tmpdir, MOSAIC_HOME: s.home, HOME: s.dir, ...extra });

  /** A PATH whose first directory holds only `tool` → test/fixtures/bin/tool (a hanging one). */
  function pathWithHanging(tool: "tmux" | "systemctl"): string {
    const dir = mkdtempSync(join(tmpdir(), `mf-hang-${tool}-`));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    symlinkSync(join(FIXTURE_BIN, tool), join(dir, tool));
    return `${dir}:${process.env["PATH"] ?? "/usr/bin:/bin"}`;
  }

  function writeFreshHeartbeats(pids: Map<string, number>): void {
    // ts rounded up: the writer (the pane's process) started before it, whatever the rounding.
    for (const [name, pid] of pids) s.heartbeat(name, `ts=${Math.ceil(Date.now() / 1000)} pid=${pid} status=idle`);
  }

  beforeAll(async () => {
    // The fleet's own server, started first (no holder unit: its _holder session would
    // be a roster entry of its own; the production test covers the holder).
    steady = await startTmuxServer("fleet-steady");
    m = await startUserManager({ env: { TMUX_TMPDIR: steady.tmpdir, HOME: s.dir } });
    if (!m) return;
    // The oneshot agent unit (as production runs it) exactly as shipped, minus its dependency on the holder.
    const template = readFileSync(join(CONTRIB_UNIT_DIR, "mosaic-agent-oneshot@.service"), "utf8")
      .split("\n")
      .filter((line) => !/^(Requires|After)=mosaic-fleet-holder\.service$/.test(line))
      .join("\n");
    await m.installUnit("mf-agent@.service", template);
    await m.writeFleetEnv({ MOSAIC_FLEET_SOCKET: steady.socket, TMUX_TMPDIR: steady.tmpdir });
    for (const name of ["steady-a", "steady-b"])
      await m.writeAgentEnv(name, { MOSAIC_AGENT_COMMAND: `python3 ${DOGFOOD}` });
    const started = await m.systemctl("enable", "--now", "mf-agent@steady-a.service", "mf-agent@steady-b.service");
    expect(started.ok, started.message).toBe(true);
    fleetFile = s.roster("steady.yaml", {
      version: 1,
      defaults: localDefaults(steady.socket, { unit: "mf-agent@{name}.service" }),
      agents: [
        { name: "steady-a", runtime: "stub" },
        { name: "steady-b", runtime: "stub" },
      ],
    });
    writeFileSync(fakePids(), "");
  }, 60_000);

  afterAll(async () => {
    // Reap whatever a hanging fixture left (its sh and its sleep), by recorded pid only.
    if (existsSync(fakePids())) {
      for (const pid of (await readFile(fakePids(), "utf8")).split(/\s+/).filter(Boolean).map(Number)) {
        try {
          // Only what the fixture started: its sh (running a link in an mf-hang- dir) or `sleep 600`.
          const argv = argvOf(pid);
          const ours = argv.some((a) => a.includes("/mf-hang-")) || (argv[0] === "sleep" && argv[1] === "600");
          if (pidAlive(pid) && ours) process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
    }
    await m?.stop();
    await steady?.kill();
  });

  it("fleet diff exits 0 on a compliant fleet: units active+enabled, right runtime, healthy heartbeats", async (ctx) => {
    const { steady } = need(ctx);
    const pids = new Map<string, number>();
    for (const name of ["steady-a", "steady-b"]) {
      const pid = await steady.panePid(name);
      expect(argvOf(pid).join(" ")).toContain("dogfood-agent.py");
      pids.set(name, pid);
    }
    writeFreshHeartbeats(pids);
    const run = await mosaic(["fleet", "diff", "-f", fleetFile], managerEnv());
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/steady-a .*in compliance/);
    expect(run.stdout).toMatch(/steady-b .*in compliance/);

    const json = await mosaic(["fleet", "diff", "-f", fleetFile, "-o", "json"], managerEnv());
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as FleetStatus & {
      diff: { agent: string; changes: unknown[] }[];
      summary: { verdict: string; compliant: boolean };
    };
    expect(doc.summary).toMatchObject({ verdict: "COMPLIANT", compliant: true });
    expect(doc.fixPlan).toEqual([]);
    for (const entry of doc.diff) expect(entry.changes, entry.agent).toEqual([]);
    for (const agent of doc.agents) {
      expect(conditionSummary(agent), agent.name).toEqual({
        PaneDead: "False/PaneAlive",
        Stale: "False/HeartbeatFresh",
        Drift: "False/RuntimeMatches",
        BootDisabled: "False/UnitEnabled",
        UnitDown: "False/UnitActive",
        CrashLoop: "False/NotRestarting",
        AwaitingInput: "False/NotWaiting",
        NoProgress: "False/NotWorking",
      });
      expect(agent.unit).toMatchObject({ active: "active", enabled: "enabled" });
    }
  });

  it("fleet diff exits 1 on a drifted roster, 2 on a bad one", async (ctx) => {
    const { steady } = need(ctx);
    writeFreshHeartbeats(
      new Map([
        ["steady-a", await steady.panePid("steady-a")],
        ["steady-b", await steady.panePid("steady-b")],
      ]),
    );
    const drifted = s.roster("steady-drifted.yaml", {
      version: 1,
      defaults: localDefaults(steady.socket, { unit: "mf-agent@{name}.service" }),
      agents: [
        { name: "steady-a", runtime: "stub" },
        { name: "steady-b", runtime: "pi" },
      ],
    });
    const run = await mosaic(["fleet", "diff", "-f", drifted], managerEnv());
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/runtime: pi -> stub/);
    expect(run.stdout).toMatch(/steady-a .*in compliance/);

    const bad = s.roster(
      "steady-bad.yaml",
      "version: 1\nagents:\n  - name: steady-a\n    runtime: stub\n    colour: blue\n",
    );
    const badRun = await mosaic(["fleet", "diff", "-f", bad], managerEnv());
    expect(badRun.code).toBe(2);
    expect(badRun.stdout).toBe("");
    expect(badRun.stderr).toMatch(/steady-bad\.yaml:5:\d+: /);
    expect(badRun.stderr).not.toMatch(/^\s+at /m);
  });

  // A hang is bounded by MOSAIC_TIMEOUT_MS=500: the CLI must be done within 5 s. The
  // CLI itself is killed after 12 s, so a timeout that does not bound shows as a plain
  // assertion failure rather than a stuck test.
  // The fake tool hangs 600 s: a run that ends by itself before this kill was bounded by
  // MOSAIC_TIMEOUT_MS, however loaded the machine (no wall-clock assertion).
  const HANG_KILL_MS = 60_000;
  const shapes = [
    { shape: "as one process", vars: { MF_FAKE_EXEC: "1" } },
    { shape: "as a wrapper script whose child keeps stdout open", vars: { MF_FAKE_EXEC: undefined } },
  ] as const;

  for (const { shape, vars } of shapes) {
    it(`a tmux that hangs ${shape}: exit 0 within seconds, TmuxTimeout Unknown, systemd columns still filled`, async (ctx) => {
      need(ctx);
      const before = (await readFile(fakePids(), "utf8")).length;
      const run = await mosaic(
        ["fleet", "ps", "-f", fleetFile, "-o", "json"],
        managerEnv({ PATH: pathWithHanging("tmux"), MOSAIC_TIMEOUT_MS: "500", MF_FAKE_PIDS: fakePids(), ...vars }),
        HANG_KILL_MS,
      );
      expect((await readFile(fakePids(), "utf8")).length).toBeGreaterThan(before); // the fake really was the tmux called
      expect(run.timedOut, `fleet ps still running after ${HANG_KILL_MS} ms with MOSAIC_TIMEOUT_MS=500`).toBe(false);
      expect(run.code, run.stderr).toBe(0);
      const status = JSON.parse(run.stdout) as FleetStatus;
      for (const agent of status.agents) {
        expect(conditionOf(agent, "PaneDead"), agent.name).toMatchObject({ status: "Unknown", reason: "TmuxTimeout" });
        expect(agent.pane.state).toBe("unknown");
        expect(agent.unit, agent.name).toMatchObject({ active: "active", sub: "exited", enabled: "enabled" });
        expect(conditionOf(agent, "BootDisabled"), agent.name).toMatchObject({
          status: "False",
          reason: "UnitEnabled",
        });
        expect(conditionOf(agent, "UnitDown"), agent.name).toMatchObject({ status: "False", reason: "UnitActive" });
      }
    }, 90_000);

    it(`a systemctl that hangs ${shape}: exit 0 within seconds, SystemdTimeout Unknown, tmux columns still filled`, async (ctx) => {
      const { steady } = need(ctx);
      const before = (await readFile(fakePids(), "utf8")).length;
      const run = await mosaic(
        ["fleet", "ps", "-f", fleetFile, "-o", "json"],
        managerEnv({ PATH: pathWithHanging("systemctl"), MOSAIC_TIMEOUT_MS: "500", MF_FAKE_PIDS: fakePids(), ...vars }),
        HANG_KILL_MS,
      );
      expect((await readFile(fakePids(), "utf8")).length).toBeGreaterThan(before);
      expect(run.timedOut, `fleet ps still running after ${HANG_KILL_MS} ms with MOSAIC_TIMEOUT_MS=500`).toBe(false);
      expect(run.code, run.stderr).toBe(0);
      const status = JSON.parse(run.stdout) as FleetStatus;
      for (const agent of status.agents) {
        expect(conditionOf(agent, "BootDisabled"), agent.name).toMatchObject({
          status: "Unknown",
          reason: "SystemdTimeout",
        });
        expect(conditionOf(agent, "UnitDown"), agent.name).toMatchObject({
          status: "Unknown",
          reason: "SystemdTimeout",
        });
        expect(agent.unit).toMatchObject({ active: "unknown", enabled: "unknown" });
        expect(agent.pane).toMatchObject({ state: "alive", pid: await steady.panePid(agent.name) });
        expect(conditionOf(agent, "PaneDead").status).toBe("False");
      }
    }, 90_000);
  }
});
