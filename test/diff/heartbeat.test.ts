// Heartbeat health and the Stale condition with an injected clock (docs/heartbeat.md, docs/conditions.md;
// docs/threat-model.md "Heartbeats"): boundaries are exact, nothing sleeps.

import { describe, expect, it } from "vitest";
import { heartbeatHealth } from "../../src/diff/heartbeat-health.js";
import { stale } from "../../src/diff/conditions/stale.js";
import { checkContext } from "../../src/diff/conditions/check.js";
import { buildFleetStatus } from "../../src/diff/status.js";
import type { HeartbeatObservation, ProcessInfo } from "../../src/observe/types.js";
import { CATALOG, NOW_MS, NOW_S, agentSpec, facts, present, proc, world } from "./facts.js";

const spec = agentSpec({ name: "dogfood-coder", heartbeat: { expected: true, intervalS: 15 } });
/** A writer that started long before any ts used here. */
const oldWriter = proc(["python3", "dogfood-agent.py"], { pid: 4250, startedAtMs: NOW_MS - 86_400_000 });

function judge(hb: HeartbeatObservation, writer: ProcessInfo | null = oldWriter, nowMs = NOW_MS, agent = spec) {
  const f = facts({ heartbeat: hb, heartbeatProcess: writer }, agent);
  return {
    health: heartbeatHealth(agent, f, nowMs),
    condition: stale(checkContext(agent, agent.socket, f, nowMs, CATALOG)),
  };
}

describe("the stale boundary (3 × interval)", () => {
  it("age exactly 3 × interval is healthy: Stale False", () => {
    const { health, condition } = judge(present({ ts: NOW_S - 45, pid: 4250 }));
    expect(health).toMatchObject({ state: "healthy", ageS: 45 });
    expect(condition).toMatchObject({ type: "Stale", status: "False", reason: "HeartbeatFresh" });
  });

  it("one second more is stale: Stale True HeartbeatExpired", () => {
    const { health, condition } = judge(present({ ts: NOW_S - 46, pid: 4250 }));
    expect(health).toMatchObject({ state: "stale", ageS: 46 });
    expect(condition).toMatchObject({ type: "Stale", status: "True", reason: "HeartbeatExpired" });
  });

  it("the boundary moves with the interval (2m → 360 s)", () => {
    const agent = agentSpec({ heartbeat: { expected: true, intervalS: 120 } });
    expect(judge(present({ ts: NOW_S - 360, pid: 4250 }), oldWriter, NOW_MS, agent).condition.status).toBe("False");
    expect(judge(present({ ts: NOW_S - 361, pid: 4250 }), oldWriter, NOW_MS, agent).condition.status).toBe("True");
  });

  it("the same boundary through the whole status object: heartbeat.state and age_s", () => {
    const at = (ts: number) => {
      const { fleet, observation } = world([spec], {
        [spec.name]: { heartbeat: present({ ts, pid: 4250 }), writer: oldWriter },
      });
      return buildFleetStatus(fleet, observation, { nowMs: NOW_MS }).agents[0];
    };
    expect(at(NOW_S - 45)?.heartbeat).toMatchObject({
      state: "healthy",
      age_s: 45,
      pid: 4250,
      interval_s: 15,
      expected: true,
    });
    expect(at(NOW_S - 46)?.heartbeat).toMatchObject({ state: "stale", age_s: 46 });
  });

  it("a fresh heartbeat a moment old is healthy", () => {
    expect(judge(present({ ts: NOW_S, pid: 4250 })).health).toMatchObject({ state: "healthy", ageS: 0 });
  });
});

describe("clock anomalies", () => {
  it("ts one hour in the future: Unknown ClockAnomaly, never healthy", () => {
    const { health, condition } = judge(present({ ts: NOW_S + 3600, pid: 4250 }));
    expect(health.state).toBe("unknown");
    expect(condition).toMatchObject({ type: "Stale", status: "Unknown", reason: "ClockAnomaly" });
    expect(condition.message).toMatch(/future/);
  });

  it("a future ts through the status object: heartbeat.state unknown", () => {
    const { fleet, observation } = world([spec], {
      [spec.name]: { heartbeat: present({ ts: NOW_S + 3600, pid: 4250 }), writer: oldWriter },
    });
    const agent = buildFleetStatus(fleet, observation, { nowMs: NOW_MS }).agents[0];
    expect(agent?.heartbeat.state).toBe("unknown");
    expect(agent?.conditions.find((c) => c.type === "Stale")).toMatchObject({
      status: "Unknown",
      reason: "ClockAnomaly",
    });
  });

  it("a dead pid is stale whatever its ts — even one from the future (docs/heartbeat.md)", () => {
    const { condition } = judge(present({ ts: NOW_S + 3600, pid: 4250 }), null);
    expect(condition).toMatchObject({ status: "True", reason: "HeartbeatPidGone" });
  });
});

describe("the writer's pid", () => {
  it("pid gone: Stale True HeartbeatPidGone, however fresh the ts", () => {
    const { health, condition } = judge(present({ ts: NOW_S, pid: 4250 }), null);
    expect(health.state).toBe("stale");
    expect(condition).toMatchObject({ status: "True", reason: "HeartbeatPidGone" });
  });

  it("pid now names a process started after ts: Stale True HeartbeatPidReused", () => {
    const newcomer = proc(["sshd"], { pid: 4250, startedAtMs: (NOW_S - 3) * 1000 + 60_000 });
    const { condition } = judge(present({ ts: NOW_S - 3, pid: 4250 }), newcomer);
    expect(condition).toMatchObject({ status: "True", reason: "HeartbeatPidReused" });
  });

  it("a writer that started just before ts (tick rounding) is not a reuse", () => {
    const writer = proc(["python3"], { pid: 4250, startedAtMs: (NOW_S - 3) * 1000 + 500 });
    expect(judge(present({ ts: NOW_S - 3, pid: 4250 }), writer).condition).toMatchObject({
      status: "False",
      reason: "HeartbeatFresh",
    });
  });
});

describe("unreadable or untrusted heartbeats are Unknown, never healthy", () => {
  const cases: [string, HeartbeatObservation, string][] = [
    ["missing", { state: "missing" }, "NoHeartbeat"],
    ["malformed", { state: "invalid", reason: "Malformed", message: "heartbeat has ts twice" }, "HeartbeatMalformed"],
    [
      "untrusted",
      { state: "invalid", reason: "Untrusted", message: "x.hb is group- or world-writable" },
      "HeartbeatUntrusted",
    ],
    ["a symlink", { state: "invalid", reason: "Symlink", message: "x.hb is a symlink" }, "HeartbeatUntrusted"],
    [
      "a FIFO",
      { state: "invalid", reason: "NotRegularFile", message: "x.hb is not a regular file" },
      "HeartbeatUnreadable",
    ],
    [
      "1 GB",
      { state: "invalid", reason: "TooLarge", message: "x.hb is larger than 4096 bytes" },
      "HeartbeatUnreadable",
    ],
    [
      "unreadable",
      { state: "invalid", reason: "ReadError", message: "x.hb cannot be read (EIO)" },
      "HeartbeatUnreadable",
    ],
  ];
  it.each(cases.map(([what, hb, reason]) => ({ what, hb, reason })))("$what → Unknown $reason", ({ hb, reason }) => {
    const { health, condition } = judge(hb);
    expect(health.state).toBe("unknown");
    expect(condition).toMatchObject({ type: "Stale", status: "Unknown", reason });
    expect(condition.message.length).toBeGreaterThan(0);
  });
});

describe("heartbeats the roster does not ask for", () => {
  it("heartbeat: false → Stale False HeartbeatNotExpected, even with a stale file", () => {
    const agent = agentSpec({ name: "_holder", runtime: "shell", heartbeat: { expected: false, intervalS: 15 } });
    const { condition } = judge(present({ ts: NOW_S - 9999, pid: 4250 }), null, NOW_MS, agent);
    expect(condition).toMatchObject({ type: "Stale", status: "False", reason: "HeartbeatNotExpected" });
  });

  it("not expected also reads heartbeat.expected false and state unknown in the status object", () => {
    const agent = agentSpec({ name: "_holder", runtime: "shell", heartbeat: { expected: false, intervalS: 15 } });
    const { fleet, observation } = world([agent], { _holder: { tree: null } });
    const status = buildFleetStatus(fleet, observation, { nowMs: NOW_MS });
    expect(status.agents[0]?.heartbeat).toMatchObject({ expected: false, state: "unknown" });
    expect(status.agents[0]?.conditions.find((c) => c.type === "Stale")).toMatchObject({
      status: "False",
      reason: "HeartbeatNotExpected",
    });
  });
});
