// The production fleet, reproduced: a private tmux server started by
// mosaic-fleet-holder.service (as in production), four agents started — not enabled —
// through mosaic-agent@NAME.service (the first, oneshot unit, as installed there) running the legacy dogfood-agent.py, and the roster
// operators use: _holder (shell), canary-pi (pi, but really running the dogfood stub)
// and three dogfood-* stubs. What `fleet ps`, `fleet ps --fix-plan` and `fleet diff`
// show for it is exactly what an operator sees on the real machine.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import { startUserManager, type UserManager } from "../helpers/systemd.js";
import type { FixStep, FleetStatus } from "../../src/diff/types.js";
import {
  CONDITION_TYPES,
  DOGFOOD,
  argvOf,
  childPids,
  waitUntil,
  HOST,
  USER,
  agentOf,
  cliEnv,
  conditionOf,
  localDefaults,
  mosaic,
  parseTable,
  psJson,
  scratch,
  type Scratch,
} from "./fleet-support.js";
import { skipOutsideCi } from "../helpers/skip.js";

const AGENTS = ["canary-pi", "dogfood-coder", "dogfood-orchestrator", "dogfood-reviewer"] as const;
const ALL = ["_holder", ...AGENTS] as const;
const unitOf = (name: string) => (name === "_holder" ? "mosaic-fleet-holder.service" : `mosaic-agent@${name}.service`);

let tmux: TmuxServer | undefined;
let m: UserManager | null = null;
let s: Scratch | undefined;
let rosterFile = "";
let env: NodeJS.ProcessEnv = {};
/** Pane pids seen by the first `fleet ps`: the safe fix-plan steps must not change them. */
const firstStatusPids = new Map<string, number | null>();

function need(ctx: { skip: (note?: string) => never }): { m: UserManager; tmux: TmuxServer; s: Scratch } {
  if (!m || !tmux || !s) return skipOutsideCi(ctx, "no systemd user manager available (see the warning above)");
  return { m, tmux, s };
}

/** What tmux itself says about session NAME's first pane. */
async function paneFacts(server: TmuxServer, name: string): Promise<{ pid: number; id: string }> {
  const shown = await server.tmux("display-message", "-p", "-t", `=${name}:`, "#{pane_pid} #{pane_id}");
  expect(shown.ok, shown.message).toBe(true);
  const [pid, id] = shown.stdout.trim().split(" ");
  return { pid: Number(pid), id: id ?? "" };
}

beforeAll(async () => {
  tmux = await startTmuxServer("fleet-prod", { start: false });
  s = scratch("mf-prod-");
  // HOME for the fleet is a scratch directory, so the holder's login shell runs no
  // profile of the machine's root (which here starts pyenv helpers in every shell).
  m = await startUserManager({ env: { TMUX_TMPDIR: tmux.tmpdir, HOME: s.dir } });
  if (!m) return;
  // Production installed the first (oneshot) agent unit under the name mosaic-agent@.service.
  await m.installContribUnits({ legacyAgentUnit: true });
  await m.writeFleetEnv({ MOSAIC_FLEET_SOCKET: tmux.socket, TMUX_TMPDIR: tmux.tmpdir, HOME: s.dir });
  for (const name of AGENTS) {
    await m.writeAgentEnv(name, { MOSAIC_AGENT_COMMAND: `python3 ${DOGFOOD}` });
  }
  const started = await m.systemctl("start", "mosaic-fleet-holder.service", ...AGENTS.map(unitOf));
  const why = started.ok ? "" : (await m.systemctl("status", "--no-pager", "--full", "mosaic-*")).stdout;
  expect(started.ok, `${started.message}\n${why}`).toBe(true);

  rosterFile = s.roster("mosaic-factory.yaml", {
    version: 1,
    fleet: "mosaic-factory",
    defaults: localDefaults(tmux.socket),
    agents: [
      { name: "_holder", runtime: "shell", heartbeat: false, unit: "mosaic-fleet-holder.service" },
      { name: "canary-pi", runtime: "pi" },
      { name: "dogfood-coder", runtime: "stub" },
      { name: "dogfood-orchestrator", runtime: "stub" },
      { name: "dogfood-reviewer", runtime: "stub" },
    ],
  });
  env = cliEnv({ ...m.env, TMUX_TMPDIR: tmux.tmpdir, MOSAIC_HOME: s.home, HOME: s.dir });
}, 60_000);

afterAll(async () => {
  await m?.stop();
  await tmux?.kill();
  s?.cleanup();
});

describe("fleet ps on the production fleet (started, not enabled)", () => {
  let status: FleetStatus;

  beforeAll(async () => {
    if (!m || !tmux) return;
    // The holder's pane is a login shell; let its profile scripts finish so the pane
    // shows what it shows for days in production: the bare shell ("-bash"), no child.
    const holderPid = (await paneFacts(tmux, "_holder")).pid;
    expect(
      await waitUntil(() => childPids(holderPid).length === 0, 20_000),
      `children of ${holderPid}: ${childPids(holderPid).join(" ")}`,
    ).toBe(true);
    expect(argvOf(holderPid)[0] ?? "").toMatch(/^-?(ba|da|z|fi)?sh$/);
    ({ status } = await psJson(rosterFile, env));
    for (const agent of status.agents) firstStatusPids.set(agent.name, agent.pane.pid);
  });

  it("lists all five agents with tenant_id and host, no unmanaged session, and the fleet header", (ctx) => {
    need(ctx);
    expect(status.apiVersion).toBe("mosaic.fleet/v1");
    expect(status.kind).toBe("FleetStatus");
    expect(status.fleet).toBe("mosaic-factory");
    expect(status.host).toBe(HOST);
    expect(Number.isNaN(Date.parse(status.observedAt))).toBe(false);
    expect(status.agents.map((a) => a.name)).toEqual([...ALL]);
    for (const agent of status.agents) {
      expect(agent.tenant_id, agent.name).toBe(USER);
      expect(agent.host, agent.name).toBe(HOST);
      expect(agent.lifecycle).toBe("core");
    }
    expect(status.unmanaged).toEqual([]);
    expect(status).toHaveProperty("unmanaged");
  });

  it("every pane is alive, with tmux's own pane pid and %N target, and a small idle time", async (ctx) => {
    const { tmux } = need(ctx);
    for (const name of ALL) {
      const agent = agentOf(status, name);
      const facts = await paneFacts(tmux, name);
      expect(agent.pane.state, name).toBe("alive");
      expect(agent.pane.pid, name).toBe(facts.pid);
      expect(agent.pane.target, name).toBe(facts.id);
      expect(agent.pane.target, name).toMatch(/^%\d+$/);
      expect(typeof agent.pane.idle_s).toBe("number");
      expect(agent.pane.idle_s as number, name).toBeGreaterThanOrEqual(0);
      expect(agent.pane.idle_s as number, name).toBeLessThan(120);
    }
  });

  it("the four agents really run the stub (dogfood-agent.py); only canary-pi drifts", (ctx) => {
    need(ctx);
    for (const name of AGENTS) {
      const agent = agentOf(status, name);
      expect(agent.runtime.actual, name).toBe("stub");
      expect(agent.runtime.command, name).toContain("dogfood-agent.py");
    }
    expect(agentOf(status, "canary-pi").runtime.desired).toBe("pi");
    const drift = conditionOf(agentOf(status, "canary-pi"), "Drift");
    expect(drift).toMatchObject({ status: "True", reason: "RuntimeMismatch" });
    expect(drift.message).toContain("stub");
    // (The holder's Drift is the next test's subject.)
    for (const name of AGENTS.filter((n) => n !== "canary-pi")) {
      expect(conditionOf(agentOf(status, name), "Drift"), name).toMatchObject({
        status: "False",
        reason: "RuntimeMatches",
      });
    }
  });

  it('the holder\'s idle login shell (argv[0] "-bash") is the shell runtime: no Drift, no restart in the plan', async (ctx) => {
    need(ctx);
    const holder = agentOf(status, "_holder");
    expect(holder.runtime.actual, JSON.stringify(holder.runtime)).toBe("shell");
    expect(conditionOf(holder, "Drift")).toMatchObject({ status: "False", reason: "RuntimeMatches" });
    const table = parseTable((await mosaic(["fleet", "ps", "-f", rosterFile], env)).stdout);
    expect(table.rows.find((r) => r["NAME"] === "_holder")?.["CONDITIONS"]).toBe("BootDisabled");
    expect(table.rows.find((r) => r["NAME"] === "_holder")?.["RUNTIME"]).toBe("shell");
    // Restarting the holder would kill every agent's pane: the plan must never propose it.
    const { status: planned } = await psJson(rosterFile, env, ["--fix-plan"]);
    expect((planned.fixPlan ?? []).filter((step) => step.agent === "_holder" && step.disruptive)).toEqual([]);
  });

  it("every unit reads active/disabled and BootDisabled is True (UnitNotEnabled) on all five", (ctx) => {
    need(ctx);
    for (const name of ALL) {
      const agent = agentOf(status, name);
      expect(agent.unit.name, name).toBe(unitOf(name));
      expect(agent.unit.active, name).toBe("active");
      expect(agent.unit.sub, name).toBe("exited");
      expect(agent.unit.enabled, name).toBe("disabled");
      expect(conditionOf(agent, "BootDisabled"), name).toMatchObject({ status: "True", reason: "UnitNotEnabled" });
      expect(conditionOf(agent, "UnitDown"), name).toMatchObject({ status: "False", reason: "UnitActive" });
      expect(conditionOf(agent, "PaneDead"), name).toMatchObject({ status: "False", reason: "PaneAlive" });
    }
  });

  it("every agent carries each condition type exactly once", (ctx) => {
    need(ctx);
    for (const agent of status.agents) {
      expect(agent.conditions.map((c) => c.type).sort(), agent.name).toEqual([...CONDITION_TYPES].sort());
      for (const c of agent.conditions) {
        expect(["True", "False", "Unknown"], `${agent.name} ${c.type}`).toContain(c.status);
        expect(c.reason, `${agent.name} ${c.type}`).toMatch(/^[A-Z][A-Za-z]+$/);
        expect(typeof c.message).toBe("string");
      }
    }
  });

  it("heartbeats: the holder expects none, the dogfood agents write none (Unknown, NoHeartbeat)", (ctx) => {
    need(ctx);
    expect(conditionOf(agentOf(status, "_holder"), "Stale")).toMatchObject({
      status: "False",
      reason: "HeartbeatNotExpected",
    });
    for (const name of AGENTS) {
      const agent = agentOf(status, name);
      expect(agent.heartbeat.state, name).toBe("unknown");
      expect(conditionOf(agent, "Stale"), name).toMatchObject({ status: "Unknown", reason: "NoHeartbeat" });
    }
  });

  it("the table has the contract's columns and shows canary-pi as Drift,BootDisabled", async (ctx) => {
    need(ctx);
    const run = await mosaic(["fleet", "ps", "-f", rosterFile], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain("\u001b"); // not a TTY: no colour
    const table = parseTable(run.stdout);
    expect(table.header).toEqual([
      "NAME",
      "TENANT",
      "HOST",
      "RUNTIME",
      "UNIT",
      "PANE",
      "PID",
      "IDLE",
      "HEARTBEAT",
      "CONDITIONS",
    ]);
    expect(table.rows.map((r) => r["NAME"])).toEqual([...ALL]);
    const byName = new Map(table.rows.map((r) => [r["NAME"], r]));
    const canary = byName.get("canary-pi");
    // canary-pi writes no heartbeat: Stale is Unknown, shown as ?Stale after the problems,
    // and so are the conditions read from the heartbeat's status (AwaitingInput, NoProgress).
    expect(canary?.["CONDITIONS"]).toBe("Drift,BootDisabled,?Stale,?AwaitingInput,?NoProgress");
    expect(canary?.["RUNTIME"]).toBe("pi (stub)");
    for (const name of ALL) {
      const row = byName.get(name);
      expect(row?.["TENANT"], name).toBe(USER);
      expect(row?.["HOST"], name).toBe(HOST);
      expect(row?.["UNIT"], name).toBe("active/disabled");
      expect(row?.["PANE"], name).toBe("alive");
      expect(row?.["PID"], name).toBe(String(agentOf(status, name).pane.pid));
      expect(row?.["IDLE"], name).toMatch(/^\d+[smhd]$/);
      // The dogfood agents write no heartbeat: Stale is Unknown and says so.
      if (name !== "canary-pi" && name !== "_holder")
        expect(row?.["CONDITIONS"], name).toBe("BootDisabled,?Stale,?AwaitingInput,?NoProgress");
    }
    expect(byName.get("_holder")?.["HEARTBEAT"]).toBe("-");
    expect(byName.get("dogfood-coder")?.["HEARTBEAT"]).toBe("unknown");
  });
});

describe("fix plan, applied, then fleet diff", () => {
  let plan: FixStep[] = [];

  it("fleet ps --fix-plan -o json: one enable per agent first, canary-pi's restart last and disruptive", async (ctx) => {
    need(ctx);
    const { status } = await psJson(rosterFile, env, ["--fix-plan"]);
    plan = status.fixPlan ?? [];
    expect(Array.isArray(status.fixPlan)).toBe(true);
    const enables = plan.filter((step) => step.condition === "BootDisabled");
    expect(enables.map((step) => step.agent).sort()).toEqual([...ALL].sort());
    for (const step of enables) {
      expect(step.argv).toEqual(["systemctl", "--user", "enable", unitOf(step.agent)]);
      expect(step.disruptive).toBe(false);
      expect(step.tenant_id).toBe(USER);
      expect(step.host).toBe(HOST);
      expect(step.why.length).toBeGreaterThan(0);
    }
    // (Whether the holder gets a restart is the holder test's subject.)
    const disruptive = plan.filter((step) => step.disruptive && step.agent !== "_holder");
    expect(disruptive).toHaveLength(1);
    expect(disruptive[0]).toMatchObject({
      agent: "canary-pi",
      condition: "Drift",
      argv: ["systemctl", "--user", "restart", unitOf("canary-pi")],
    });
    const lastSafe = plan.map((step) => step.disruptive).lastIndexOf(false);
    const firstDisruptive = plan.findIndex((step) => step.disruptive);
    expect(lastSafe).toBeLessThan(firstDisruptive);
  });

  it("running every non-disruptive step clears BootDisabled on all five; systemd says enabled", async (ctx) => {
    const { m } = need(ctx);
    const safe = plan.filter((step) => !step.disruptive);
    expect(safe.length).toBeGreaterThan(0);
    for (const step of safe) {
      const [file, ...args] = step.argv;
      expect(file).toBe("systemctl");
      // The step as a human would paste it, in the manager's environment.
      const { execa } = await import("execa");
      const ran = await execa(file as string, args, {
        env: m.childEnv(),
        extendEnv: false,
        reject: false,
        timeout: 20_000,
      });
      expect(ran.exitCode, `${step.argv.join(" ")}: ${String(ran.stderr)}`).toBe(0);
    }
    for (const name of ALL) {
      expect(await m.show(unitOf(name), "UnitFileState"), name).toEqual({ UnitFileState: "enabled" });
    }
    const { status } = await psJson(rosterFile, env);
    for (const name of ALL) {
      const agent = agentOf(status, name);
      expect(agent.unit.enabled, name).toBe("enabled");
      expect(agent.unit.active, name).toBe("active");
      expect(conditionOf(agent, "BootDisabled"), name).toMatchObject({ status: "False", reason: "UnitEnabled" });
    }
    // Nothing disruptive ran: canary-pi still drifts, and the table says so alone.
    expect(conditionOf(agentOf(status, "canary-pi"), "Drift").status).toBe("True");
    for (const name of AGENTS) expect(agentOf(status, name).pane.pid, name).toBe(firstStatusPids.get(name));
    const table = parseTable((await mosaic(["fleet", "ps", "-f", rosterFile], env)).stdout);
    expect(table.rows.find((r) => r["NAME"] === "canary-pi")?.["CONDITIONS"]).toBe(
      "Drift,?Stale,?AwaitingInput,?NoProgress",
    );
    expect(table.rows.find((r) => r["NAME"] === "canary-pi")?.["UNIT"]).toBe("active/enabled");
  });

  it("fleet diff exits 1 and reports canary-pi's runtime: desired pi, actual stub", async (ctx) => {
    need(ctx);
    const text = await mosaic(["fleet", "diff", "-f", rosterFile], env);
    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout).toMatch(/canary-pi/);
    expect(text.stdout).toMatch(/runtime: pi -> stub/);

    const run = await mosaic(["fleet", "diff", "-f", rosterFile, "-o", "json"], env);
    expect(run.code, run.stderr).toBe(1);
    const doc = JSON.parse(run.stdout) as FleetStatus & {
      diff: {
        agent: string;
        tenant_id: string;
        host: string;
        changes: { path: string; desired: unknown; actual: unknown }[];
      }[];
    };
    expect(Array.isArray(doc.fixPlan)).toBe(true);
    const canary = doc.diff.find((d) => d.agent === "canary-pi");
    expect(canary?.tenant_id).toBe(USER);
    expect(canary?.host).toBe(HOST);
    expect(canary?.changes).toContainEqual({ path: "runtime", desired: "pi", actual: "stub" });
    for (const entry of doc.diff.filter((d) => d.agent !== "canary-pi" && d.agent !== "_holder")) {
      expect(
        entry.changes.filter((c) => c.path === "runtime"),
        entry.agent,
      ).toEqual([]);
    }
  });
});
