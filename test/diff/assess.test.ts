// Assess once, project twice: the status row (PANE, RUNTIME, HEARTBEAT) and the
// conditions read one assessment (src/diff/assess.ts), so they never disagree — e.g.
// with /proc unreadable the table once said PANE dead while PaneDead said False/PaneAlive.
// A property over random observations pins the agreement for every combination.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildFleetStatus } from "../../src/diff/status.js";
import type { AgentStatus } from "../../src/diff/types.js";
import { NOW_MS, agentSpec, chain, pane, world } from "./facts.js";

const cond = (a: AgentStatus, type: string) => a.conditions.find((c) => c.type === type);

/** What the status fields and the conditions must agree on, whatever was observed. */
function expectAgreement(a: AgentStatus): void {
  const paneDead = cond(a, "PaneDead");
  const drift = cond(a, "Drift");
  const stale = cond(a, "Stale");
  const expectedPaneDead = { alive: "False", dead: "True", missing: "True", unknown: "Unknown" }[a.pane.state];
  expect(paneDead?.status, `PANE ${a.pane.state} vs ${JSON.stringify(paneDead)}`).toBe(expectedPaneDead);
  // A runtime is named only when Drift could compare it, and the other way round.
  if (a.runtime.actual === null) expect(drift?.status).not.toBe("False");
  if (drift?.status === "False") expect(a.runtime.actual).toBe(a.runtime.desired);
  if (drift?.status === "True") expect(a.runtime.actual).not.toBe(a.runtime.desired);
  if (a.heartbeat.expected) {
    const expectedStale = { healthy: "False", stale: "True", unknown: "Unknown" }[a.heartbeat.state];
    expect(stale?.status, `HEARTBEAT ${a.heartbeat.state} vs ${JSON.stringify(stale)}`).toBe(expectedStale);
  }
}

describe("status fields and conditions agree", () => {
  it("/proc unreadable, tmux says the pane runs: PANE alive, PaneDead False, Drift Unknown/ProcUnavailable", () => {
    const { fleet, observation } = world([agentSpec({ name: "a" })], { a: { tree: null } });
    observation.procReadable = false;
    const agent = buildFleetStatus(fleet, observation, { nowMs: NOW_MS }).agents[0] as AgentStatus;
    expect(agent.pane.state).toBe("alive");
    expect(cond(agent, "PaneDead")).toMatchObject({ status: "False", reason: "PaneAlive" });
    expect(cond(agent, "PaneDead")?.message).toMatch(/\/proc could not be read/);
    expect(cond(agent, "Drift")).toMatchObject({ status: "Unknown", reason: "ProcUnavailable" });
    expect(agent.runtime.actual).toBeNull();
    expectAgreement(agent);
  });

  it("/proc readable and the pane's process gone before tmux noticed: PANE dead, PaneDead True", () => {
    const { fleet, observation } = world([agentSpec({ name: "a" })], { a: { tree: null } });
    const agent = buildFleetStatus(fleet, observation, { nowMs: NOW_MS }).agents[0] as AgentStatus;
    expect(agent.pane.state).toBe("dead");
    expect(cond(agent, "PaneDead")).toMatchObject({ status: "True", reason: "ProcessExited" });
    expectAgreement(agent);
  });

  it("for any observation (pane alive/dead/missing, tree or none, /proc readable or not, runtimes, heartbeats)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("alive", "dead", "missing"),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom("stub", "pi", "codex"),
        fc.constantFrom(["python3", "/x/dogfood-agent.py"], ["pi"], ["sleep", "9"], ["bash"]),
        fc.boolean(),
        (paneKind, hasTree, procReadable, desired, argv, heartbeat) => {
          const spec = agentSpec({
            name: "a",
            runtime: desired,
            heartbeat: heartbeat ? { expected: true, intervalS: 15 } : { expected: false, intervalS: 15 },
          });
          const tree = hasTree ? chain([...argv]) : null;
          const p = paneKind === "missing" ? null : pane("a", { dead: paneKind === "dead", pid: tree?.root.pid ?? 77 });
          const { fleet, observation } = world([spec], { a: { pane: p, tree } });
          observation.procReadable = procReadable;
          const agent = buildFleetStatus(fleet, observation, { nowMs: NOW_MS }).agents[0] as AgentStatus;
          expectAgreement(agent);
        },
      ),
      { numRuns: 300 },
    );
  });
});
