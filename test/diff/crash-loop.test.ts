// CrashLoop (docs/conditions.md) and the migration steps of the fix plan, from hand-made
// observations through the real status builder and condition checks.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CRASH_LOOP_RESTARTS, CRASH_LOOP_WINDOW_MS } from "../../src/diff/conditions/crash-loop.js";
import { fixPlan } from "../../src/diff/fix-plan.js";
import { buildFleetStatus } from "../../src/diff/status.js";
import type { FleetStatus } from "../../src/diff/types.js";
import type { UnitRestarts, UnitState } from "../../src/observe/types.js";
import { parseRestarts } from "../../src/observe/unit-restarts.js";
import { NOW_MS, agentSpec, chain, unit, world } from "./facts.js";

function statusWith(u: UnitState): FleetStatus {
  const { fleet, observation } = world([agentSpec({ name: "a" })], { a: { unit: u } });
  return buildFleetStatus(fleet, observation, { nowMs: NOW_MS });
}

function crashLoopOf(u: UnitState) {
  const agent = statusWith(u).agents[0];
  return agent?.conditions.find((c) => c.type === "CrashLoop");
}

const restarts = (over: Partial<UnitRestarts> = {}): UnitRestarts => ({
  count: 0,
  result: "success",
  lastExit: { kind: "exited", status: 0 },
  mainStartedAtMs: NOW_MS - 3_600_000,
  ...over,
});

describe("CrashLoop", () => {
  it("start-limit-hit → True StartLimitHit, with the count and the last exit", () => {
    const c = crashLoopOf(
      unit("mosaic-agent@a.service", {
        active: "failed",
        sub: "failed",
        restarts: restarts({ count: 4, result: "start-limit-hit", lastExit: { kind: "exited", status: 3 } }),
      }),
    );
    expect(c).toMatchObject({ status: "True", reason: "StartLimitHit" });
    expect(c?.message).toContain("4 restarts");
    expect(c?.message).toContain("exited with status 3");
  });

  it("restarting between attempts (auto-restart) with enough restarts → True RestartLoop", () => {
    const c = crashLoopOf(
      unit("mosaic-agent@a.service", {
        active: "activating",
        sub: "auto-restart",
        restarts: restarts({ count: 5, result: "exit-code", lastExit: { kind: "killed", status: 9 } }),
      }),
    );
    expect(c).toMatchObject({ status: "True", reason: "RestartLoop" });
    expect(c?.message).toContain("killed by signal 9");
  });

  it("one restart long ago, running since → False NotRestarting, count in the message; JSON has n_restarts", () => {
    const u = unit("mosaic-agent@a.service", { sub: "running", restarts: restarts({ count: 1 }) });
    expect(crashLoopOf(u)).toMatchObject({ status: "False", reason: "NotRestarting" });
    expect(statusWith(u).agents[0]?.unit.n_restarts).toBe(1);
  });

  it("no restart facts for a loaded unit → Unknown (never counted as fine); not loaded → False", () => {
    expect(crashLoopOf(unit("mosaic-agent@a.service", { restarts: undefined }))).toMatchObject({
      status: "Unknown",
      reason: "RestartsUnknown",
    });
    expect(
      crashLoopOf(unit("mosaic-agent@a.service", { load: "not-found", active: "inactive", sub: "dead" })),
    ).toMatchObject({ status: "False" });
  });

  it("property: True exactly when start-limit-hit, or ≥ threshold restarts while looping or recently started", () => {
    const subs = ["running", "exited", "auto-restart", "dead", "failed"] as const;
    fc.assert(
      fc.property(
        fc.nat(20),
        fc.constantFrom(...subs),
        fc.constantFrom("success", "exit-code", "signal", "start-limit-hit"),
        fc.integer({ min: 0, max: 2 * CRASH_LOOP_WINDOW_MS }),
        (count, sub, result, ago) => {
          const active =
            sub === "auto-restart"
              ? "activating"
              : sub === "failed"
                ? "failed"
                : sub === "dead"
                  ? "inactive"
                  : "active";
          const c = crashLoopOf(
            unit("mosaic-agent@a.service", {
              active,
              sub,
              restarts: restarts({ count, result, mainStartedAtMs: NOW_MS - ago }),
            }),
          );
          const looping = active === "activating" || active === "failed" || ago <= CRASH_LOOP_WINDOW_MS;
          const expected = result === "start-limit-hit" || (count >= CRASH_LOOP_RESTARTS && looping);
          expect(c?.status).toBe(expected ? "True" : "False");
        },
      ),
    );
  });

  it("parses systemctl show --timestamp=unix blocks; junk is skipped, not guessed", () => {
    const parsed = parseRestarts(
      [
        "Id=mosaic-agent@a.service\nNRestarts=3\nResult=exit-code\nExecMainCode=2\nExecMainStatus=9\nExecMainStartTimestamp=@1700000000",
        "Id=mosaic-agent@b.service\nNRestarts=x\nResult=success",
        "NRestarts=1",
        "Id=mosaic-agent@c.service\nNRestarts=0\nResult=success\nExecMainCode=0\nExecMainStatus=0\nExecMainStartTimestamp=",
      ].join("\n\n"),
    );
    expect([...parsed.keys()]).toEqual(["mosaic-agent@a.service", "mosaic-agent@c.service"]);
    expect(parsed.get("mosaic-agent@a.service")).toEqual({
      count: 3,
      result: "exit-code",
      lastExit: { kind: "killed", status: 9 },
      mainStartedAtMs: 1_700_000_000_000,
    });
    expect(parsed.get("mosaic-agent@c.service")?.mainStartedAtMs).toBeNull();
  });
});

describe("fix plan: moving an agent off the oneshot unit", () => {
  const legacy = (fileType: string) =>
    world([agentSpec({ name: "a", runtime: "pi" })], {
      a: { unit: unit("mosaic-agent@a.service", { sub: "exited", fileType }), tree: chain(["python3", "x.py"]) },
    });

  it("a oneshot's run under a unit file that now supervises → kill the old session, then restart; both disruptive", () => {
    const { fleet, observation } = legacy("exec");
    const plan = fixPlan(buildFleetStatus(fleet, observation, { nowMs: NOW_MS }));
    expect(plan.map((s) => [s.condition, s.action?.kind, s.disruptive])).toEqual([
      ["LegacyUnit", "kill-session", true],
      ["LegacyUnit", "restart", true],
    ]);
    expect(plan[0]?.action?.target).toEqual({ session: "a", socket: "mosaic-factory" });
    expect(plan[0]?.argv).toEqual(["tmux", "-L", "mosaic-factory", "kill-session", "-t", "=a"]);
    // The migration's restart also clears the Drift: no second restart.
    expect(plan.filter((s) => s.action?.kind === "restart")).toHaveLength(1);
  });

  it("a oneshot unit file (the holder, or a host not upgraded yet) → no migration", () => {
    const { fleet, observation } = legacy("oneshot");
    const plan = fixPlan(buildFleetStatus(fleet, observation, { nowMs: NOW_MS }));
    expect(plan.map((s) => s.condition)).toEqual(["Drift"]);
  });
});
