// Agent state conditions from hand-made observations (docs/conditions.md): AwaitingInput
// (status=waiting, delayed by attention.waiting_after), NoProgress (status=working with
// no pane activity and no status change for longer than attention.progress_timeout),
// PaneDead's exit evidence, and BootDisabled/LingerDisabled. Pure: fixed clock.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeExit } from "../../src/diff/exit-status.js";
import { fixPlan } from "../../src/diff/fix-plan.js";
import { buildFleetStatus } from "../../src/diff/status.js";
import type { AgentStatus, FleetStatus } from "../../src/diff/types.js";
import { NOW_MS, NOW_S, agentSpec, pane, present, unit, world } from "./facts.js";

function status(...args: Parameters<typeof world>): FleetStatus {
  const { fleet, observation } = world(...args);
  return buildFleetStatus(fleet, observation, { nowMs: NOW_MS });
}

function withLinger(s: Parameters<typeof world>, linger: boolean | null): FleetStatus {
  const { fleet, observation } = world(...s);
  for (const tenant of observation.tenants.values()) tenant.linger = linger;
  return buildFleetStatus(fleet, observation, { nowMs: NOW_MS });
}

const cond = (a: AgentStatus | undefined, type: string) => a?.conditions.find((c) => c.type === type);

describe("AwaitingInput", () => {
  it("is True WaitingForOperator while status=waiting, saying how long and the note (escaped)", () => {
    const s = status([agentSpec({ name: "a" })], {
      a: { heartbeat: present({ status: "waiting", since: NOW_S - 125, note: "Allow Bash(rm)?\x1b[2J" }) },
    });
    const c = cond(s.agents[0], "AwaitingInput");
    expect(c).toMatchObject({ status: "True", reason: "WaitingForOperator" });
    expect(c?.message).toBe("waiting for the operator for 2m: Allow Bash(rm)?\\x1b[2J");
    expect(s.agents[0]?.heartbeat).toMatchObject({
      status: "waiting",
      since: NOW_S - 125,
      note: "Allow Bash(rm)?\\x1b[2J",
    });
  });

  it("attention.waiting_after delays it (False WaitingBriefly before, True after)", () => {
    const spec = agentSpec({ name: "a", attention: { waitingAfterS: 60, progressTimeoutS: 1800 } });
    const brief = status([spec], { a: { heartbeat: present({ status: "waiting", since: NOW_S - 30 }) } });
    expect(cond(brief.agents[0], "AwaitingInput")).toMatchObject({ status: "False", reason: "WaitingBriefly" });
    const long = status([spec], { a: { heartbeat: present({ status: "waiting", since: NOW_S - 61 }) } });
    expect(cond(long.agents[0], "AwaitingInput")).toMatchObject({ status: "True", reason: "WaitingForOperator" });
  });

  it("is Unknown without a fresh heartbeat, False for any other status word", () => {
    const stale = status([agentSpec({ name: "a" })], {
      a: { heartbeat: present({ status: "waiting", ts: NOW_S - 600 }) },
    });
    expect(cond(stale.agents[0], "AwaitingInput")).toMatchObject({ status: "Unknown", reason: "HeartbeatExpired" });
    const missing = status([agentSpec({ name: "a" })], { a: { heartbeat: { state: "missing" } } });
    expect(cond(missing.agents[0], "AwaitingInput")).toMatchObject({ status: "Unknown", reason: "NoHeartbeat" });
    for (const word of ["idle", "working", "busy", "Waiting", "exited"]) {
      const s = status([agentSpec({ name: "a" })], { a: { heartbeat: present({ status: word }) } });
      expect(cond(s.agents[0], "AwaitingInput"), word).toMatchObject({ status: "False", reason: "NotWaiting" });
    }
  });

  it("is False when the roster expects no heartbeat", () => {
    const s = status([agentSpec({ name: "a", heartbeat: { expected: false, intervalS: 15 } })]);
    expect(cond(s.agents[0], "AwaitingInput")).toMatchObject({ status: "False", reason: "HeartbeatNotExpected" });
  });
});

describe("NoProgress", () => {
  const spec = agentSpec({ name: "a", attention: { waitingAfterS: 0, progressTimeoutS: 600 } });

  it("is True NoActivity when working with no pane activity and no status change for longer than the timeout", () => {
    const s = status([spec], {
      a: { pane: pane("a", { activity: NOW_S - 700 }), heartbeat: present({ status: "working", since: NOW_S - 900 }) },
    });
    const c = cond(
      s.agents.find((x) => x.name === "a"),
      "NoProgress",
    );
    expect(c).toMatchObject({ status: "True", reason: "NoActivity" });
    expect(c?.message).toContain(new Date((NOW_S - 700) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"));
  });

  it("pane output or a recent status change keeps it False Progressing", () => {
    const busyPane = status([spec], {
      a: { pane: pane("a", { activity: NOW_S - 5 }), heartbeat: present({ status: "working", since: NOW_S - 900 }) },
    });
    expect(cond(busyPane.agents[0], "NoProgress")).toMatchObject({ status: "False", reason: "Progressing" });
    const recent = status([spec], {
      a: { pane: pane("a", { activity: NOW_S - 900 }), heartbeat: present({ status: "working", since: NOW_S - 30 }) },
    });
    expect(cond(recent.agents[0], "NoProgress")).toMatchObject({ status: "False", reason: "Progressing" });
  });

  it("never True unless working, fresh and alive (property over clocks and words)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("working", "waiting", "idle", "busy", "error"),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 200 }),
        fc.boolean(),
        (word, quietPane, quietStatus, age, dead) => {
          const s = status([spec], {
            a: {
              pane: pane("a", { activity: NOW_S - quietPane, dead }),
              heartbeat: present({ status: word, since: NOW_S - quietStatus, ts: NOW_S - age }),
            },
          });
          const c = cond(s.agents[0], "NoProgress");
          const expectTrue = word === "working" && !dead && age <= 45 && Math.min(quietPane, quietStatus) > 600;
          expect(c?.status === "True").toBe(expectTrue);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("PaneDead: why it died", () => {
  it("says the status and the last lines, and -o json carries pane.exit", () => {
    const s = status([agentSpec({ name: "a" })], {
      a: {
        pane: pane("a", { dead: true, deadStatus: 1, lastLines: ["boot", "stdin is not a terminal"] }),
        tree: null,
      },
    });
    const c = cond(s.agents[0], "PaneDead");
    expect(c?.message).toMatch(/exited with status 1; last output: boot \| stdin is not a terminal$/);
    expect(s.agents[0]?.pane.exit).toEqual({ status: 1, signal: null, lastLines: ["boot", "stdin is not a terminal"] });
  });

  it("decodes 128+N as the signal, and names a signal tmux reports", () => {
    expect(describeExit(143, null)).toEqual({ status: 143, signal: "SIGTERM", text: "status 143 (SIGTERM)" });
    expect(describeExit(137, undefined).signal).toBe("SIGKILL");
    expect(describeExit(null, 2)).toEqual({ status: null, signal: "SIGINT", text: "signal SIGINT" });
    expect(describeExit(1, null)).toEqual({ status: 1, signal: null, text: "status 1" });
    expect(describeExit(200, null).signal).toBeNull();
    const s = status([agentSpec({ name: "a" })], {
      a: { pane: pane("a", { dead: true, deadStatus: null, deadSignal: 15 }), tree: null },
    });
    expect(cond(s.agents[0], "PaneDead")?.message).toBe("pane %3 process exited on signal SIGTERM");
  });
});

describe("BootDisabled: linger", () => {
  const enabled = { a: { unit: unit("mosaic-agent@a.service", { enabled: "enabled" }) } };
  it("linger off → True LingerDisabled, and the plan enables linger (as the tenant's own step, non-disruptive)", () => {
    const s = withLinger([[agentSpec({ name: "a" })], enabled], false);
    expect(cond(s.agents[0], "BootDisabled")).toMatchObject({ status: "True", reason: "LingerDisabled" });
    const plan = fixPlan(s);
    expect(plan).toContainEqual(
      expect.objectContaining({
        condition: "BootDisabled",
        argv: ["loginctl", "enable-linger", "jarvis"],
        disruptive: false,
      }),
    );
    expect(plan.some((step) => step.argv.includes("enable") && step.argv.includes("systemctl"))).toBe(false);
  });
  it("linger on, or not judged here → False UnitEnabled", () => {
    for (const linger of [true, null]) {
      const s = withLinger([[agentSpec({ name: "a" })], enabled], linger);
      expect(cond(s.agents[0], "BootDisabled"), String(linger)).toMatchObject({
        status: "False",
        reason: "UnitEnabled",
      });
    }
  });
});
