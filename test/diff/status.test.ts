// The status object (docs/conditions.md, docs/json.md) built from hand-made observations, and the
// compliance summary over it. Pure: fixed clock, no processes.

import { describe, expect, it } from "vitest";
import { summarize } from "../../src/diff/compliance.js";
import { rosterDiff } from "../../src/diff/roster-diff.js";
import { buildFleetStatus } from "../../src/diff/status.js";
import { CONDITION_TYPES, type FleetStatus } from "../../src/diff/types.js";
import { HOST, NOW_MS, NOW_S, SOCKET, USER, agentSpec, chain, pane, unit, world } from "./facts.js";

function status(...args: Parameters<typeof world>): FleetStatus {
  const { fleet, observation } = world(...args);
  return buildFleetStatus(fleet, observation, { nowMs: NOW_MS });
}

const conditions = (s: FleetStatus, name: string) =>
  Object.fromEntries(
    (s.agents.find((a) => a.name === name)?.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]),
  );

describe("the status object", () => {
  it("has the contract's envelope and every condition type on every agent, in the contract's order", () => {
    const s = status([agentSpec({ name: "a" }), agentSpec({ name: "b", runtime: "pi", host: "elsewhere" })]);
    expect(s).toMatchObject({
      apiVersion: "mosaic.fleet/v1",
      kind: "FleetStatus",
      fleet: "mosaic-factory",
      host: HOST,
    });
    expect(s.observedAt).toBe(new Date(NOW_MS).toISOString());
    for (const agent of s.agents) expect(agent.conditions.map((c) => c.type)).toEqual([...CONDITION_TYPES]);
  });

  it("a healthy agent: pane alive with target, pid and idle_s from the injected clock", () => {
    const s = status([agentSpec({ name: "a" })], {
      a: {
        pane: pane("a", { paneId: "%7", pid: 5150, activity: NOW_S - 12 }),
        tree: chain(["python3", "/x/dogfood-agent.py"]),
      },
    });
    const agent = s.agents[0];
    expect(agent?.pane).toMatchObject({ state: "alive", target: "%7", pid: 5150, idle_s: 12 });
    expect(agent?.tenant_id).toBe(USER);
    expect(agent?.host).toBe(HOST);
    expect(conditions(s, "a")).toEqual({
      PaneDead: "False/PaneAlive",
      Stale: "False/HeartbeatFresh",
      Drift: "False/RuntimeMatches",
      BootDisabled: "False/UnitEnabled",
      UnitDown: "False/UnitActive",
      CrashLoop: "False/NotRestarting",
      AwaitingInput: "False/NotWaiting",
      NoProgress: "False/NotWorking",
    });
  });

  it("a pane whose pid is gone though tmux has not noticed: dead, PaneDead True ProcessExited", () => {
    const s = status([agentSpec({ name: "a" })], { a: { pane: pane("a", { pid: 9999 }), tree: null } });
    expect(s.agents[0]?.pane.state).toBe("dead");
    expect(conditions(s, "a")["PaneDead"]).toBe("True/ProcessExited");
  });

  it("active but disabled unit, roster boot: enabled → BootDisabled True; boot: any → False BootNotRequired", () => {
    const off = unit("mosaic-agent@a.service", { enabled: "disabled" });
    expect(conditions(status([agentSpec({ name: "a" })], { a: { unit: off } }), "a")["BootDisabled"]).toBe(
      "True/UnitNotEnabled",
    );
    expect(conditions(status([agentSpec({ name: "a", boot: "any" })], { a: { unit: off } }), "a")["BootDisabled"]).toBe(
      "False/BootNotRequired",
    );
  });

  it("an ephemeral agent without a session: not scheduled, not a problem", () => {
    const s = status([agentSpec({ name: "worker-1", runtime: "codex", lifecycle: "ephemeral" })], {
      "worker-1": {
        pane: null,
        tree: null,
        unit: unit("mosaic-agent@worker-1.service", { active: "inactive", sub: "dead", enabled: "disabled" }),
      },
    });
    expect(conditions(s, "worker-1")).toEqual({
      PaneDead: "False/NotScheduled",
      Stale: "False/NotScheduled",
      Drift: "False/NotScheduled",
      BootDisabled: "False/BootNotRequired",
      UnitDown: "False/NotScheduled",
      CrashLoop: "False/NotRestarting",
      AwaitingInput: "False/NotScheduled",
      NoProgress: "False/NotScheduled",
    });
    expect(rosterDiff(s)[0]?.changes).toEqual([]);
  });

  it("sessions nobody in the roster claims are unmanaged, with tenant_id and host; exact names only", () => {
    const s = status(
      [agentSpec({ name: "agent1" })],
      { agent1: { pane: null, tree: null } },
      { sessions: [pane("agent10"), pane("scratch")] },
    );
    expect(s.unmanaged).toEqual([
      { session: "agent10", socket: SOCKET, tenant_id: USER, host: HOST },
      { session: "scratch", socket: SOCKET, tenant_id: USER, host: HOST },
    ]);
    expect(conditions(s, "agent1")["PaneDead"]).toBe("True/PaneMissing");
  });

  it("a session grouped with an agent's (same pane listed under both) is a grouped view, not unmanaged", () => {
    const s = status(
      [agentSpec({ name: "coder0-0" })],
      {},
      {
        sessions: [pane("coder0", { paneId: "%0" }), pane("scratch", { paneId: "%9" })],
      },
    );
    expect(s.agents[0]?.pane.target).toBe("%0");
    expect(conditions(s, "coder0-0")["PaneDead"]).toBe("False/PaneAlive");
    expect(s.unmanaged).toEqual([{ session: "scratch", socket: SOCKET, tenant_id: USER, host: HOST }]);
    expect(s.grouped).toEqual([{ session: "coder0", socket: SOCKET, tenant_id: USER, host: HOST, agent: "coder0-0" }]);
  });

  it("a remote agent: every condition Unknown RemoteHost", () => {
    const s = status([agentSpec({ name: "far", host: "other-host" })]);
    for (const c of s.agents[0]?.conditions ?? []) expect(`${c.status}/${c.reason}`).toBe("Unknown/RemoteHost");
    expect(s.agents[0]?.pane.state).toBe("unknown");
    expect(s.agents[0]?.unit.active).toBe("unknown");
  });

  it("--socket overrides the roster: the agent is looked up there, and messages name that socket", () => {
    const agent = agentSpec({ name: "a", socket: "roster-socket" });
    const { fleet, observation } = world([agent], { a: { pane: null, tree: null } });
    const s = buildFleetStatus(fleet, observation, { nowMs: NOW_MS, socketOverride: SOCKET });
    expect(s.agents[0]?.socket).toBe(SOCKET);
    const paneDead = s.agents[0]?.conditions.find((c) => c.type === "PaneDead");
    expect(paneDead).toMatchObject({ status: "True", reason: "PaneMissing" });
    expect(paneDead?.message).toContain(SOCKET);
    expect(paneDead?.message).not.toContain("roster-socket");
  });

  it("no tmux, no systemd: Unknown with the source's reason, and the sources listed", () => {
    const s = status(
      [agentSpec({ name: "a" })],
      {},
      {
        tmux: new Map([[SOCKET, { ok: false, reason: "TmuxTimeout", message: "tmux did not answer" }]]),
        systemd: { ok: false, reason: "SystemdUnavailable", message: "no bus" },
      },
    );
    expect(conditions(s, "a")).toMatchObject({
      PaneDead: "Unknown/TmuxTimeout",
      Drift: "Unknown/TmuxTimeout",
      BootDisabled: "Unknown/SystemdUnavailable",
      UnitDown: "Unknown/SystemdUnavailable",
      CrashLoop: "Unknown/SystemdUnavailable",
    });
    expect(s.agents[0]?.unit).toMatchObject({ active: "unknown", enabled: "unknown" });
    expect(s.sources.map((x) => x.reason).sort()).toEqual(["SystemdUnavailable", "TmuxTimeout"]);
  });
});

describe("roster diff", () => {
  it("canary-pi running the stub: runtime desired pi, actual stub; enabled desired when boot is required", () => {
    const s = status([agentSpec({ name: "canary-pi", runtime: "pi" })], {
      "canary-pi": {
        tree: chain(["python3", "/x/dogfood-agent.py"]),
        unit: unit("mosaic-agent@canary-pi.service", { enabled: "disabled" }),
      },
    });
    const [d] = rosterDiff(s);
    expect(d).toMatchObject({ agent: "canary-pi", tenant_id: USER, host: HOST });
    expect(d?.changes).toContainEqual({ path: "runtime", desired: "pi", actual: "stub" });
    expect(d?.changes).toContainEqual({ path: "unit.enabled", desired: "enabled", actual: "disabled" });
  });

  it("a compliant agent has no changes", () => {
    expect(rosterDiff(status([agentSpec({ name: "a" })]))[0]?.changes).toEqual([]);
  });
});

describe("compliance summary", () => {
  it("zero agents → UNKNOWN, never compliant", () => {
    expect(summarize(status([]))).toEqual({ agents: 0, compliant: 0, nonCompliant: 0, unknown: 0, verdict: "UNKNOWN" });
  });

  it("every condition False → COMPLIANT", () => {
    expect(summarize(status([agentSpec({ name: "a" }), agentSpec({ name: "b" })]))).toMatchObject({
      agents: 2,
      compliant: 2,
      verdict: "COMPLIANT",
    });
  });

  it("any Unknown → not compliant (UNKNOWN)", () => {
    const s = status([agentSpec({ name: "a" }), agentSpec({ name: "b" })], { b: { heartbeat: { state: "missing" } } });
    expect(summarize(s)).toEqual({ agents: 2, compliant: 1, nonCompliant: 0, unknown: 1, verdict: "UNKNOWN" });
  });

  it("every agent unreadable (remote) → UNKNOWN", () => {
    expect(
      summarize(status([agentSpec({ name: "a", host: "x1" }), agentSpec({ name: "b", host: "x2" })])).verdict,
    ).toBe("UNKNOWN");
  });

  it("any True → NONCOMPLIANT, even next to Unknown", () => {
    const s = status([agentSpec({ name: "a", runtime: "pi" }), agentSpec({ name: "b" })], {
      a: { tree: chain(["python3", "/x/dogfood-agent.py"]) },
      b: { heartbeat: { state: "missing" } },
    });
    expect(summarize(s)).toEqual({ agents: 2, compliant: 0, nonCompliant: 1, unknown: 1, verdict: "NONCOMPLIANT" });
  });
});
