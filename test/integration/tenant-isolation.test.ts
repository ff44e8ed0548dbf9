// Tenancy for real (docs/roster.md tenant, docs/conditions.md, docs/json.md; docs/threat-model.md "Sockets, tenants, systemd"):
// two tenant users A and B, each running its own tmux server on the same socket name
// (/tmp/tmux-UID/SOCKET) with a stub agent and a `sleep` agent, heartbeats in
// ~USER/.config/mosaic/fleet/run, and (where it works) a systemd user manager for A at
// /run/user/UID. `bin/mosaic fleet ps|diff` is then run as root, as A, as B and as an
// unprivileged stranger C, and against hostile ownership and modes.
//
// Needs root (useradd/runuser). Without it the suite is skipped loudly, and fails when
// MOSAIC_REQUIRE_SYSTEMD=1 (as .ci/run sets).

import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, mkdirSync, rmSync, statSync, writeFileSync, lstatSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentStatus, FleetStatus } from "../../src/diff/types.js";
import {
  CONDITION_TYPES,
  HOST,
  Janitor,
  agentOf,
  createTenant,
  crashSigns,
  leftovers,
  mosaicAs,
  parseStatus,
  processUid,
  randomTenantName,
  startTenantManager,
  stopTenantManager,
  stopTenantProcesses,
  stubCommand,
  summary,
  tenantSession,
  tenantSystemctl,
  tenantsUnavailableReason,
  userExists,
  waitForHeartbeat,
  type Run,
  type Tenant,
} from "./tenant-support.js";

const unavailable = tenantsUnavailableReason();
const REQUIRE = process.env["MOSAIC_REQUIRE_SYSTEMD"] === "1";
if (unavailable !== null && !REQUIRE) {
  const bar = "!".repeat(78);
  process.stderr.write(
    `\n${bar}\n!! SKIPPING tenant isolation tests: ${unavailable}.\n` +
      `!! These tests are NOT being run. Set MOSAIC_REQUIRE_SYSTEMD=1 (as .ci/run does) to fail instead.\n${bar}\n\n`,
  );
}

describe.runIf(unavailable !== null && REQUIRE)("tenant isolation (required)", () => {
  it("can create tenant users here", () => {
    throw new Error(`MOSAIC_REQUIRE_SYSTEMD=1 but tenant tests cannot run: ${unavailable}`);
  });
});

const hex = randomBytes(3).toString("hex");
/** One socket name every tenant uses for its fleet (each tenant's server is its own). */
const SOCKET = `mft-fleet-${hex}`;
/** A second socket per tenant holding only the same-named `twin` agent. */
const SOCKET2 = `mft-twin-${hex}`;
const SLEEPER = { sleeper: { match: ["sleep"] } };

describe.skipIf(unavailable !== null)("tenants: one Linux uid per tenant", () => {
  let janitor: Janitor;
  let A: Tenant;
  let B: Tenant;
  let C: Tenant;
  const ghost = randomTenantName("ghost-");
  const created: Tenant[] = [];
  let rootHome = "";
  const rosters: Record<"main" | "twins" | "compliantA" | "compliantAndGhost" | "forged", string> = {
    main: "",
    twins: "",
    compliantA: "",
    compliantAndGhost: "",
    forged: "",
  };

  const roster = (name: keyof typeof rosters, agents: Record<string, unknown>[]) => {
    const file = join(janitor.dir, `${name}.yaml`);
    const doc = {
      version: 1,
      fleet: `tenants-${hex}`,
      defaults: { host: HOST, socket: SOCKET, heartbeat: { interval: "5s" } },
      runtimes: SLEEPER,
      agents,
    };
    writeFileSync(file, stringify(doc), { mode: 0o644 });
    chmodSync(file, 0o644);
    rosters[name] = file;
  };

  /** Run the CLI as root (null) or a tenant; a tenant with a user manager gets its XDG_RUNTIME_DIR, as at login. */
  const cli = (who: Tenant | null, args: string[]): Promise<Run> =>
    mosaicAs(who, args, { rootHome, env: who?.manager ? { XDG_RUNTIME_DIR: who.runtimeDir } : {} });

  const ps = async (
    who: Tenant | null,
    file: string,
    extra: string[] = [],
  ): Promise<{ run: Run; status: FleetStatus }> => {
    const run = await cli(who, ["fleet", "ps", "-f", file, "-o", "json", ...extra]);
    const label = `fleet ps as ${who?.name ?? "root"}`;
    expect(crashSigns(run), `${label}: ${run.stderr}`).toEqual([]);
    expect(run.code, `${label}: ${run.stderr}`).toBe(0);
    return { run, status: parseStatus(run, label) };
  };

  /** An agent its observer may not see: no fact at all, every condition Unknown with `reason`. */
  const expectHidden = (agent: AgentStatus, reason: "TenantNotVisible" | "NoSuchTenant") => {
    expect(agent.pane, `${agent.name} pane`).toMatchObject({ state: "unknown", pid: null, target: null });
    expect(agent.heartbeat.state, `${agent.name} heartbeat`).toBe("unknown");
    expect(agent.heartbeat.pid).toBeNull();
    expect(agent.heartbeat.age_s).toBeNull();
    expect(agent.unit.active).toBe("unknown");
    expect(agent.unit.enabled).toBe("unknown");
    expect(agent.runtime.actual).toBeNull();
    const expected: Record<string, string> = Object.fromEntries(CONDITION_TYPES.map((t) => [t, `Unknown/${reason}`]));
    // A condition the roster does not ask for is False whoever looks (docs/conditions.md); it says nothing observed.
    if (!agent.heartbeat.expected)
      for (const type of ["Stale", "AwaitingInput", "NoProgress"]) expected[type] = "False/HeartbeatNotExpected";
    expect(summary(agent), `${agent.name}@${agent.tenant_id}`).toEqual(expected);
  };

  /** An agent observed alive through its own tenant's server, its processes owned by that tenant. */
  const expectAlive = (agent: AgentStatus, owner: Tenant) => {
    expect(agent.tenant_id).toBe(owner.name);
    expect(agent.pane.state, `${agent.name}: ${JSON.stringify(agent.conditions)}`).toBe("alive");
    expect(processUid(agent.pane.pid), `${agent.name} pane pid ${agent.pane.pid} owner`).toBe(owner.uid);
    expect(summary(agent)["PaneDead"]).toBe("False/PaneAlive");
    expect(summary(agent)["Drift"]).toBe("False/RuntimeMatches");
  };

  const expectHealthy = (agent: AgentStatus, owner: Tenant) => {
    expect(agent.heartbeat.state, `${agent.name}: ${JSON.stringify(agent.conditions)}`).toBe("healthy");
    expect(processUid(agent.heartbeat.pid), `${agent.name} heartbeat pid owner`).toBe(owner.uid);
    expect(summary(agent)["Stale"]).toBe("False/HeartbeatFresh");
    expect(agent.runtime.actual).toBe("stub");
  };

  beforeAll(async () => {
    janitor = new Janitor();
    rootHome = join(janitor.dir, "root-mosaic");
    mkdirSync(join(rootHome, "fleet", "run"), { recursive: true, mode: 0o700 });
    for (const label of ["a", "b", "c"]) {
      created.push(await createTenant(janitor, randomTenantName(`${label}`)));
    }
    [A, B, C] = created as [Tenant, Tenant, Tenant];
    expect(await userExists(ghost), `${ghost} must not exist`).toBe(false);

    for (const [t, p] of [
      [A, "a"],
      [B, "b"],
    ] as const) {
      await tenantSession(janitor, t, SOCKET, `${p}-stub`, stubCommand());
      await tenantSession(janitor, t, SOCKET, `${p}-sleep`, ["sleep", "86400"]);
      await tenantSession(janitor, t, SOCKET, `${p}-extra`, ["sleep", "86400"]);
      await tenantSession(janitor, t, SOCKET2, "twin", stubCommand());
    }

    if (await startTenantManager(janitor, A)) {
      const started = await tenantSystemctl(A, "start", "mosaic-agent@a-stub.service");
      const enabled = await tenantSystemctl(A, "enable", "--now", "mosaic-agent@twin.service");
      if (started.code !== 0 || enabled.code !== 0)
        throw new Error(`units for ${A.name}: ${started.stderr} ${enabled.stderr}`);
    } else if (REQUIRE) {
      throw new Error(`MOSAIC_REQUIRE_SYSTEMD=1 but no user manager runs as tenant ${A.name}: ${A.managerWhy}`);
    } else {
      process.stderr.write(
        `\n!! tenant tests: no user manager for ${A.name} (${A.managerWhy}); unit columns are asserted SystemdUnavailable instead\n\n`,
      );
    }

    for (const [t, p] of [
      [A, "a"],
      [B, "b"],
    ] as const) {
      await waitForHeartbeat(t, `${p}-stub`);
      await waitForHeartbeat(t, "twin");
      // The stub created its run dir private, as the protocol requires.
      expect(statSync(t.runDir).mode & 0o777).toBe(0o700);
      expect(statSync(t.runDir).uid).toBe(t.uid);
      expect(statSync(t.tmuxDir).uid).toBe(t.uid);
    }

    roster("main", [
      { name: "a-stub", tenant: A.name, runtime: "stub" },
      { name: "a-sleep", tenant: A.name, runtime: "sleeper", heartbeat: false },
      { name: "b-stub", tenant: B.name, runtime: "stub" },
      { name: "b-sleep", tenant: B.name, runtime: "stub", heartbeat: false }, // drifts: the pane runs sleep
      { name: "ghost", tenant: ghost, runtime: "stub" },
    ]);
    roster("twins", [
      { name: "twin", tenant: A.name, runtime: "stub", socket: SOCKET2 },
      { name: "twin", tenant: B.name, runtime: "stub", socket: SOCKET2 },
    ]);
    roster("compliantA", [{ name: "twin", tenant: A.name, runtime: "stub", socket: SOCKET2 }]);
    roster("compliantAndGhost", [
      { name: "twin", tenant: A.name, runtime: "stub", socket: SOCKET2 },
      { name: "ghost", tenant: ghost, runtime: "stub", socket: SOCKET2 },
    ]);
    roster("forged", [{ name: "a-forged", tenant: A.name, runtime: "stub", boot: "any" }]);
  }, 120_000);

  afterAll(async () => {
    for (const t of created) if (t.manager) await stopTenantManager(t);
    for (const t of created) await stopTenantProcesses(t, [SOCKET, SOCKET2]);
    const cgroups = created.flatMap((t) => janitor.user(t.name).cgroups);
    const runtimeDirs = created.flatMap((t) => janitor.user(t.name).runtimeDir ?? []);
    const sockets = created.flatMap((t) => [join(t.tmuxDir, SOCKET), join(t.tmuxDir, SOCKET2)]);
    await janitor?.run();
    expect(
      await leftovers(
        created.map((t) => ({ name: t.name, uid: t.uid })),
        [...cgroups, ...runtimeDirs, ...sockets, janitor.dir],
      ),
    ).toEqual([]);
  }, 120_000);

  // --- root ---------------------------------------------------------------------------------

  describe("as root", () => {
    it("observes each tenant through its own socket, run dir and user manager; a tenant with no user is NoSuchTenant", async () => {
      const { status } = await ps(null, rosters.main);
      expect(status.agents.map((a) => `${a.name}@${a.tenant_id}`)).toEqual([
        `a-stub@${A.name}`,
        `a-sleep@${A.name}`,
        `b-stub@${B.name}`,
        `b-sleep@${B.name}`,
        `ghost@${ghost}`,
      ]);

      const aStub = agentOf(status, "a-stub");
      expectAlive(aStub, A);
      expectHealthy(aStub, A);
      const aSleep = agentOf(status, "a-sleep");
      expectAlive(aSleep, A);
      expect(aSleep.runtime.actual).toBe("sleeper");

      const bStub = agentOf(status, "b-stub");
      expectAlive(bStub, B);
      expectHealthy(bStub, B);
      const bSleep = agentOf(status, "b-sleep");
      expect(bSleep.pane.state).toBe("alive");
      expect(processUid(bSleep.pane.pid)).toBe(B.uid);
      expect(summary(bSleep)["Drift"]).toBe("True/RuntimeMismatch");

      // Same socket name, two servers: A's panes are not B's.
      expect(aStub.pane.pid).not.toBe(bStub.pane.pid);

      // A's user manager, reached as A; B has none.
      if (A.manager) {
        expect(aStub.unit).toMatchObject({ active: "active", sub: "exited", enabled: "disabled" });
        expect(summary(aStub)).toMatchObject({ BootDisabled: "True/UnitNotEnabled", UnitDown: "False/UnitActive" });
        expect(aSleep.unit).toMatchObject({ active: "inactive", enabled: "disabled" });
        expect(summary(aSleep)["UnitDown"]).toBe("True/UnitInactive");
      } else {
        expect(summary(aStub)["UnitDown"]).toBe("Unknown/SystemdUnavailable");
      }
      for (const agent of [bStub, bSleep]) {
        expect(agent.unit.active).toBe("unknown");
        expect(summary(agent)).toMatchObject({
          UnitDown: "Unknown/SystemdUnavailable",
          BootDisabled: "Unknown/SystemdUnavailable",
        });
      }
      const bSystemd = status.sources.find((s) => s.source === "systemd" && s.tenant_id === B.name);
      expect(bSystemd, JSON.stringify(status.sources)).toMatchObject({ reason: "SystemdUnavailable" });
      expect(bSystemd?.message).toContain(`/run/user/${B.uid}`);
      expect(status.sources.filter((s) => s.tenant_id === A.name && s.source.startsWith("tmux"))).toEqual([]);

      expectHidden(agentOf(status, "ghost"), "NoSuchTenant");
      expect(agentOf(status, "ghost").conditions[0]?.message).toContain(ghost);

      const tenants = status.tenants ?? [];
      expect(tenants.find((t) => t.tenant_id === A.name)).toMatchObject({
        observed: true,
        uid: A.uid,
        delegated: true,
        host: HOST,
      });
      expect(tenants.find((t) => t.tenant_id === B.name)).toMatchObject({
        observed: true,
        uid: B.uid,
        delegated: true,
        host: HOST,
      });
      expect(tenants.find((t) => t.tenant_id === ghost)).toMatchObject({ observed: false, reason: "NoSuchTenant" });
      expect(tenants).toHaveLength(3);
    });

    it("attributes sessions no roster agent claims to the tenant whose socket they are on", async () => {
      const { status } = await ps(null, rosters.main);
      const unmanaged = [...status.unmanaged].sort((x, y) => x.session.localeCompare(y.session));
      expect(unmanaged).toEqual([
        expect.objectContaining({ session: "a-extra", tenant_id: A.name, host: HOST }),
        expect.objectContaining({ session: "b-extra", tenant_id: B.name, host: HOST }),
      ]);
    });

    it("plans fixes that run systemctl as the tenant, against the tenant's manager — and the step works when pasted", async () => {
      const { status } = await ps(null, rosters.main, ["--fix-plan"]);
      const plan = status.fixPlan ?? [];
      const prefix = (t: Tenant) => [
        "runuser",
        "-u",
        t.name,
        "--",
        "env",
        `XDG_RUNTIME_DIR=/run/user/${t.uid}`,
        "systemctl",
        "--user",
      ];
      for (const step of plan) {
        const owner = step.tenant_id === A.name ? A : step.tenant_id === B.name ? B : null;
        expect(owner, `step for an unobserved tenant: ${JSON.stringify(step)}`).not.toBeNull();
        expect(step.argv.slice(0, 8), JSON.stringify(step)).toEqual(prefix(owner as Tenant));
      }
      // B's sleep agent drifts. B has no user manager, so whether its unit exists is
      // unknown: a status check as B that names both remedies, never a blind restart.
      const drift = plan.find((s) => s.agent === "b-sleep");
      expect(drift).toMatchObject({ condition: "Drift", disruptive: false, tenant_id: B.name });
      expect(drift?.argv).toEqual([...prefix(B), "status", "mosaic-agent@b-sleep.service"]);
      expect(drift?.why).toMatch(/systemd was not observed/);
      if (!A.manager) return;

      const enable = plan.find((s) => s.agent === "a-stub");
      expect(enable, JSON.stringify(plan)).toMatchObject({ condition: "BootDisabled", disruptive: false });
      expect(enable?.argv).toEqual([...prefix(A), "enable", "mosaic-agent@a-stub.service"]);
      expect(plan.find((s) => s.agent === "a-sleep")?.argv).toEqual([
        ...prefix(A),
        "enable",
        "--now",
        "mosaic-agent@a-sleep.service",
      ]);

      // Paste the step as root: it must reach A's own manager.
      const [file, ...args] = enable?.argv ?? [];
      const pasted = await execa(file as string, args, {
        reject: false,
        env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" },
      });
      try {
        expect(pasted.exitCode, String(pasted.stderr)).toBe(0);
        const after = agentOf((await ps(null, rosters.main)).status, "a-stub");
        expect(after.unit.enabled).toBe("enabled");
        expect(summary(after)["BootDisabled"]).toBe("False/UnitEnabled");
      } finally {
        await tenantSystemctl(A, "disable", "mosaic-agent@a-stub.service");
      }
    });

    it("fleet apply as root runs a tenant's step AS that tenant, against its own manager", async () => {
      if (!A.manager) return;
      const run = await cli(null, ["fleet", "apply", "-f", rosters.main, "--yes", "--agent", "a-stub"]);
      try {
        expect(crashSigns(run), run.stderr).toEqual([]);
        expect(run.stdout).toMatch(/enable mosaic-agent@a-stub\.service: ok/);
        expect(run.stdout).not.toMatch(/a-sleep|b-sleep|b-stub/);
        const after = agentOf((await ps(null, rosters.main)).status, "a-stub");
        expect(after.unit.enabled).toBe("enabled");
        // The link systemctl made in A's config is A's own: the step ran as A, not as root.
        const link = join(A.home, ".config", "systemd", "user", "default.target.wants", "mosaic-agent@a-stub.service");
        expect(lstatSync(link).uid).toBe(A.uid);
        const records = run.stderr
          .split("\n")
          .filter((line) => line.startsWith("{"))
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .filter((r) => r["event"] === "fleet.apply.step");
        expect(records).toEqual([expect.objectContaining({ agent: "a-stub", run_as: A.name, result: "ok" })]);
      } finally {
        await tenantSystemctl(A, "disable", "mosaic-agent@a-stub.service");
      }
    });

    it("keeps two tenants' agents of the same name apart: each through its own server and run dir", async () => {
      const { status } = await ps(null, rosters.twins);
      const twinA = agentOf(status, "twin", A.name);
      const twinB = agentOf(status, "twin", B.name);
      expectAlive(twinA, A);
      expectHealthy(twinA, A);
      expectAlive(twinB, B);
      expectHealthy(twinB, B);
      expect(twinA.pane.pid).not.toBe(twinB.pane.pid);
      expect(twinA.heartbeat.pid).not.toBe(twinB.heartbeat.pid);
      expect(status.unmanaged).toEqual([]);
    });

    it("uses each tenant's own defaults, not root's TMUX_TMPDIR / XDG_RUNTIME_DIR / bus / $TMUX", async () => {
      const env = {
        TMUX_TMPDIR: join(janitor.dir, "root-tmux"),
        TMUX: "/tmp/not-a-server,1,0",
        XDG_RUNTIME_DIR: join(janitor.dir, "root-runtime"),
        DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(janitor.dir, "no-bus")}`,
      };
      const run = await mosaicAs(null, ["fleet", "ps", "-f", rosters.main, "-o", "json"], { rootHome, env });
      expect(run.code, run.stderr).toBe(0);
      const status = parseStatus(run, "fleet ps as root with a leaky environment");
      for (const [t, p] of [
        [A, "a"],
        [B, "b"],
      ] as const) {
        const agent = agentOf(status, `${p}-stub`);
        expectAlive(agent, t);
        expectHealthy(agent, t);
      }
      if (A.manager) expect(agentOf(status, "a-stub").unit.active).toBe("active");

      const table = await mosaicAs(null, ["fleet", "ps", "-f", rosters.main], { rootHome, env });
      expect(table.code, table.stderr).toBe(0);
      const row = (name: string) => table.stdout.split("\n").find((l) => l.startsWith(`${name} `)) ?? "";
      expect(row("a-stub")).toContain(A.name);
      expect(row("a-stub")).toMatch(/\balive\b.*\bhealthy\b/);
      expect(row("b-stub")).toContain(B.name);
      expect(row("ghost")).toContain(ghost);
      expect(row("ghost")).not.toMatch(/\b(alive|dead|healthy|stale)\b/);
    });

    it("--tenant A shows only A's agents, sessions and tenant", async () => {
      const { status } = await ps(null, rosters.main, ["--tenant", A.name]);
      expect(status.agents.map((a) => a.name)).toEqual(["a-stub", "a-sleep"]);
      expect(status.agents.every((a) => a.tenant_id === A.name)).toBe(true);
      expect((status.tenants ?? []).map((t) => t.tenant_id)).toEqual([A.name]);
      expect(status.unmanaged.map((u) => `${u.session}@${u.tenant_id}`)).toEqual([`a-extra@${A.name}`]);
    });

    it("--tenant with a tenant the roster never names exits 2 with one line", async () => {
      const run = await cli(null, ["fleet", "ps", "-f", rosters.main, "--tenant", "nope", "-o", "json"]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(crashSigns(run)).toEqual([]);
      const lines = run.stderr.trimEnd().split("\n");
      expect(lines, run.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/nope/);
    });
  });

  // --- each tenant, and a stranger ------------------------------------------------------------

  describe("as a tenant", () => {
    const tenantView = async (self: Tenant, other: Tenant, mine: string, theirs: string) => {
      const { status } = await ps(self, rosters.main, ["--fix-plan"]);
      const stub = agentOf(status, `${mine}-stub`);
      expectAlive(stub, self);
      expectHealthy(stub, self);
      const sleeper = agentOf(status, `${mine}-sleep`);
      expect(sleeper.pane.state).toBe("alive");
      expect(processUid(sleeper.pane.pid)).toBe(self.uid);
      if (self.manager) {
        // Its own user manager, through its own XDG_RUNTIME_DIR.
        expect(stub.unit.active).toBe("active");
        expect(summary(stub)["UnitDown"]).toBe("False/UnitActive");
      } else {
        expect(summary(stub)["UnitDown"]).toBe("Unknown/SystemdUnavailable");
      }

      for (const name of [`${theirs}-stub`, `${theirs}-sleep`]) {
        const agent = agentOf(status, name);
        expect(agent.tenant_id).toBe(other.name);
        expectHidden(agent, "TenantNotVisible");
        expect(agent.conditions[0]?.message).toContain(other.name);
      }
      expectHidden(agentOf(status, "ghost"), "NoSuchTenant");

      const tenants = status.tenants ?? [];
      expect(tenants.find((t) => t.tenant_id === self.name)).toMatchObject({
        observed: true,
        uid: self.uid,
        delegated: false,
      });
      expect(tenants.find((t) => t.tenant_id === other.name)).toMatchObject({
        observed: false,
        reason: "TenantNotVisible",
      });
      expect(tenants.find((t) => t.tenant_id === other.name)?.uid).toBeUndefined();
      // Only its own server's sessions: the other tenant's server is never asked.
      expect(status.unmanaged.map((u) => `${u.session}@${u.tenant_id}`)).toEqual([`${mine}-extra@${self.name}`]);
      expect(status.sources.filter((s) => s.tenant_id === other.name)).toEqual([]);

      for (const step of status.fixPlan ?? []) {
        expect(step.tenant_id, JSON.stringify(step)).toBe(self.name);
        expect(step.argv[0], JSON.stringify(step)).toBe("systemctl");
      }
    };

    it("A sees its own fleet; B's agents are Unknown TenantNotVisible, never alive, dead or healthy", async () => {
      await tenantView(A, B, "a", "b");
    });

    it("B sees its own fleet; A's agents are Unknown TenantNotVisible (the mirror image)", async () => {
      await tenantView(B, A, "b", "a");
    });

    it("a same-named agent of the other tenant stays hidden from a tenant", async () => {
      const { status } = await ps(A, rosters.twins);
      expectAlive(agentOf(status, "twin", A.name), A);
      expectHealthy(agentOf(status, "twin", A.name), A);
      expectHidden(agentOf(status, "twin", B.name), "TenantNotVisible");
    });

    it("an unprivileged stranger sees neither fleet: all Unknown, exit 0, no crash", async () => {
      const { status } = await ps(C, rosters.main, ["--fix-plan"]);
      for (const agent of status.agents) {
        expectHidden(agent, agent.tenant_id === ghost ? "NoSuchTenant" : "TenantNotVisible");
      }
      expect(status.unmanaged).toEqual([]);
      expect((status.tenants ?? []).every((t) => !t.observed)).toBe(true);
      expect(status.fixPlan ?? []).toEqual([]);

      const table = await cli(C, ["fleet", "ps", "-f", rosters.main]);
      expect(table.code, table.stderr).toBe(0);
      expect(crashSigns(table)).toEqual([]);
      expect(table.stdout).not.toMatch(/\b(alive|dead|healthy|stale)\b/);
    });
  });

  // --- hostile ownership and modes ------------------------------------------------------------

  describe("hostile ownership", () => {
    it("A's run directory made world-writable: A's heartbeats are untrusted (for root and for A), never healthy", async () => {
      chmodSync(A.runDir, 0o777);
      try {
        for (const who of [null, A]) {
          const agent = agentOf((await ps(who, rosters.main)).status, "a-stub");
          expect(agent.heartbeat.state, `as ${who?.name ?? "root"}`).toBe("unknown");
          expect(summary(agent)["Stale"]).toBe("Unknown/HeartbeatUntrusted");
          // B is not affected.
          if (who === null) expectHealthy(agentOf((await ps(who, rosters.main)).status, "b-stub"), B);
        }
        chmodSync(A.runDir, 0o770);
        expect(agentOf((await ps(null, rosters.main)).status, "a-stub").heartbeat.state, "group-writable").toBe(
          "unknown",
        );
      } finally {
        chmodSync(A.runDir, 0o700);
      }
      expectHealthy(agentOf((await ps(null, rosters.main)).status, "a-stub"), A);
    });

    it("a .hb in A's run directory owned by B is untrusted (control: owned by A it is healthy)", async () => {
      const stubPid = agentOf((await ps(null, rosters.main)).status, "a-stub").heartbeat.pid;
      expect(processUid(stubPid)).toBe(A.uid);
      const file = join(A.runDir, "a-forged.hb");
      writeFileSync(file, `ts=${Math.floor(Date.now() / 1000)} pid=${stubPid} status=idle\n`, { mode: 0o600 });
      try {
        chownSync(file, A.uid, A.gid);
        const control = agentOf((await ps(null, rosters.forged)).status, "a-forged");
        expect(control.heartbeat.state, JSON.stringify(control.conditions)).toBe("healthy");

        chownSync(file, B.uid, B.gid);
        const asRoot = agentOf((await ps(null, rosters.forged)).status, "a-forged");
        expect(asRoot.heartbeat.state).toBe("unknown");
        expect(summary(asRoot)["Stale"]).toBe("Unknown/HeartbeatUntrusted");
        expect(asRoot.conditions.find((c) => c.type === "Stale")?.message).toContain(`uid ${B.uid}`);

        // Readable by A, so A's own check of the owner decides.
        chmodSync(file, 0o644);
        const asA = agentOf((await ps(A, rosters.forged)).status, "a-forged");
        expect(asA.heartbeat.state).toBe("unknown");
        expect(summary(asA)["Stale"]).toBe("Unknown/HeartbeatUntrusted");

        chownSync(file, A.uid, A.gid);
        chmodSync(file, 0o622);
        const writable = agentOf((await ps(null, rosters.forged)).status, "a-forged");
        expect(writable.heartbeat.state).toBe("unknown");
        expect(summary(writable)["Stale"]).toBe("Unknown/HeartbeatUntrusted");
      } finally {
        rmSync(file, { force: true });
      }
    });

    it("a .hb in A's run directory owned by B and private to B is reported untrusted to A, not merely unreadable", async () => {
      // docs/threat-model.md: ".hb … owned by another uid → untrusted". A cannot open a 0600 file
      // of B's; the observer should still say why the file is there to distrust.
      const stubPid = agentOf((await ps(A, rosters.main)).status, "a-stub").heartbeat.pid;
      const file = join(A.runDir, "a-forged.hb");
      writeFileSync(file, `ts=${Math.floor(Date.now() / 1000)} pid=${stubPid} status=idle\n`, { mode: 0o600 });
      try {
        chownSync(file, B.uid, B.gid);
        chmodSync(file, 0o600);
        const forged = agentOf((await ps(A, rosters.forged)).status, "a-forged");
        expect(forged.heartbeat.state).toBe("unknown"); // never healthy: holds today
        const stale = forged.conditions.find((c) => c.type === "Stale");
        expect(`${stale?.status}/${stale?.reason}`, stale?.message).toBe("Unknown/HeartbeatUntrusted");
      } finally {
        rmSync(file, { force: true });
      }
    });

    it("A's tmux socket directory made world-writable: A's agents are Unknown SocketUnsafe, the socket is not used; B is unaffected", async () => {
      chmodSync(A.tmuxDir, 0o777);
      try {
        for (const who of [null, A]) {
          const { status } = await ps(who, rosters.main);
          for (const name of ["a-stub", "a-sleep"]) {
            const agent = agentOf(status, name);
            expect(agent.pane, `${name} as ${who?.name ?? "root"}`).toMatchObject({
              state: "unknown",
              pid: null,
              target: null,
            });
            expect(summary(agent)).toMatchObject({ PaneDead: "Unknown/SocketUnsafe", Drift: "Unknown/SocketUnsafe" });
          }
          expect(status.sources.find((s) => s.source === `tmux:${SOCKET}` && s.tenant_id === A.name)).toMatchObject({
            reason: "SocketUnsafe",
          });
          expect(status.unmanaged.filter((u) => u.tenant_id === A.name)).toEqual([]);
          if (who === null) expectAlive(agentOf(status, "b-stub"), B);
        }
      } finally {
        chmodSync(A.tmuxDir, 0o700);
      }
      expectAlive(agentOf((await ps(null, rosters.main)).status, "a-stub"), A);
    });

    it("A's tmux socket directory owned by another tenant: SocketUnsafe", async () => {
      chownSync(A.tmuxDir, B.uid, B.gid);
      try {
        const { status } = await ps(null, rosters.main);
        const agent = agentOf(status, "a-stub");
        expect(agent.pane.state).toBe("unknown");
        expect(summary(agent)["PaneDead"]).toBe("Unknown/SocketUnsafe");
        expect(agent.conditions[0]?.message).toContain(String(B.uid));
      } finally {
        chownSync(A.tmuxDir, A.uid, A.gid);
      }
      expectAlive(agentOf((await ps(null, rosters.main)).status, "a-stub"), A);
    });
  });

  // --- fleet diff -----------------------------------------------------------------------------

  describe("fleet diff", () => {
    const diff = async (who: Tenant | null, file: string) => {
      const run = await cli(who, ["fleet", "diff", "-f", file, "-o", "json"]);
      expect(crashSigns(run), run.stderr).toEqual([]);
      return { run, status: parseStatus(run, `fleet diff as ${who?.name ?? "root"}`) };
    };

    it("as root exits 1 on the mixed roster: B's sleep agent drifts and a tenant has no user", async () => {
      const { run, status } = await diff(null, rosters.main);
      expect(run.code, run.stderr).toBe(1);
      expect(summary(agentOf(status, "b-sleep"))["Drift"]).toBe("True/RuntimeMismatch");
      expect(summary(agentOf(status, "ghost"))["PaneDead"]).toBe("Unknown/NoSuchTenant");
      for (const who of [A, B, C]) expect((await diff(who, rosters.main)).run.code, `as ${who.name}`).toBe(1);
    });

    it("never exits 0 while a tenant is not visible (control: the same roster is compliant for those who can see it)", async () => {
      if (A.manager) {
        // A's twin: alive, healthy, stub, enabled and active — compliant for root and for A.
        const rootRun = await diff(null, rosters.compliantA);
        expect(rootRun.run.code, JSON.stringify(rootRun.status.agents.map(summary))).toBe(0);
        expect((await diff(A, rosters.compliantA)).run.code).toBe(0);
      } else {
        expect(summary(agentOf((await diff(null, rosters.compliantA)).status, "twin"))["UnitDown"]).toBe(
          "Unknown/SystemdUnavailable",
        );
      }
      for (const who of [B, C]) {
        const { run, status } = await diff(who, rosters.compliantA);
        expect(run.code, `as ${who.name}`).toBe(1);
        expectHidden(agentOf(status, "twin"), "TenantNotVisible");
      }
      const withGhost = await diff(null, rosters.compliantAndGhost);
      expect(withGhost.run.code).toBe(1);
      expectHidden(agentOf(withGhost.status, "ghost"), "NoSuchTenant");

      // The compliance report agrees: never COMPLIANT for an observer that cannot see the tenant.
      const report = await cli(C, ["fleet", "report", "--format", "json", "-f", rosters.compliantA]);
      expect(report.code, report.stderr).toBe(1);
      expect(crashSigns(report)).toEqual([]);
      expect(report.stdout).not.toMatch(/"verdict":\s*"COMPLIANT"/);
    });
  });

  it("the tenants' processes run as the tenants (sanity: nothing here runs as root on their behalf)", async () => {
    for (const t of [A, B]) {
      const r = await execa("pgrep", ["-u", String(t.uid), "-f", "mosaic-agent-stub|agent stub"], { reject: false });
      expect(r.exitCode, `${t.name} has stub processes`).toBe(0);
    }
    const stray = await execa("pgrep", ["-u", "0", "-f", `${SOCKET}|${SOCKET2}`], { reject: false });
    expect(String(stray.stdout).trim(), "root processes on the tenants' sockets").toBe("");
  });
});
