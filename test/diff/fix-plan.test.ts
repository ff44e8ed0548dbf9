// The remediation plan (docs/conditions.md, Fix plan): argv a human could paste, the harmless
// steps first, `disruptive: true` for anything that restarts, one restart per agent at
// most. Built from hand-made observations through the real status builder.

import { describe, expect, it } from "vitest";
import { fixPlan } from "../../src/diff/fix-plan.js";
import { buildFleetStatus } from "../../src/diff/status.js";
import type { FixStep } from "../../src/diff/types.js";
import type { AgentSpec } from "../../src/spec/resolve.js";
import {
  HOST,
  NOW_MS,
  NOW_S,
  USER,
  agentSpec,
  chain,
  pane,
  present,
  unit,
  world,
  type ObservedAgent,
} from "./facts.js";

function planFor(specs: AgentSpec[], observed: Record<string, ObservedAgent>): FixStep[] {
  const { fleet, observation } = world(specs, observed);
  return fixPlan(buildFleetStatus(fleet, observation, { nowMs: NOW_MS }));
}

const disabled = (name: string) => unit(`mosaic-agent@${name}.service`, { enabled: "disabled" });
const argv = (...args: string[]) => ["systemctl", "--user", ...args];

describe("fix plan", () => {
  it("a compliant fleet needs nothing", () => {
    expect(planFor([agentSpec({ name: "a" }), agentSpec({ name: "b" })], {})).toEqual([]);
  });

  it("BootDisabled → `systemctl --user enable UNIT`, not disruptive, with tenant_id and host", () => {
    const steps = planFor([agentSpec({ name: "a" })], { a: { unit: disabled("a") } });
    expect(steps).toEqual([
      {
        agent: "a",
        tenant_id: USER,
        host: HOST,
        condition: "BootDisabled",
        argv: argv("enable", "mosaic-agent@a.service"),
        disruptive: false,
        why: expect.any(String) as unknown,
        action: {
          kind: "enable",
          command: argv("enable", "mosaic-agent@a.service"),
          run_as: null,
          target: { unit: "mosaic-agent@a.service" },
        },
      },
    ]);
  });

  it("drift + boot disabled on one agent: enable first, then one disruptive restart", () => {
    const canary = agentSpec({ name: "canary-pi", runtime: "pi" });
    const steps = planFor([canary], {
      "canary-pi": { unit: disabled("canary-pi"), tree: chain(["python3", "/x/dogfood-agent.py"]) },
    });
    expect(steps.map((s) => [s.condition, s.argv.slice(2).join(" "), s.disruptive])).toEqual([
      ["BootDisabled", "enable mosaic-agent@canary-pi.service", false],
      ["Drift", "restart mosaic-agent@canary-pi.service", true],
    ]);
    expect(steps[1]?.why).toMatch(/pi/);
  });

  it("every non-disruptive step of the fleet comes before any disruptive one", () => {
    // a restarts (drift) and is listed first; b, c only need enabling.
    const specs = [agentSpec({ name: "a", runtime: "pi" }), agentSpec({ name: "b" }), agentSpec({ name: "c" })];
    const steps = planFor(specs, {
      a: { tree: chain(["python3", "/x/dogfood-agent.py"]) },
      b: { unit: disabled("b") },
      c: { unit: disabled("c") },
    });
    expect(steps.map((s) => `${s.agent}:${s.argv[2]}`)).toEqual(["b:enable", "c:enable", "a:restart"]);
    const firstDisruptive = steps.findIndex((s) => s.disruptive);
    expect(steps.slice(firstDisruptive).every((s) => s.disruptive)).toBe(true);
  });

  it("one restart per agent, however many conditions call for one (PaneDead, Drift, Stale)", () => {
    const agent = agentSpec({ name: "a", runtime: "pi" });
    // Pane alive but runs the stub (Drift), heartbeat expired (Stale); then the same with a dead pane.
    const wrongAndStale = planFor([agent], {
      a: {
        tree: chain(["python3", "/x/dogfood-agent.py"]),
        heartbeat: present({ ts: NOW_S - 600, pid: 1 }),
        writer: null,
      },
    });
    expect(wrongAndStale.filter((s) => s.argv[2] === "restart")).toHaveLength(1);
    const deadPane = planFor([agent], {
      a: {
        pane: pane("a", { dead: true, deadStatus: 1 }),
        tree: null,
        heartbeat: present({ ts: NOW_S - 600 }),
        writer: null,
      },
    });
    expect(deadPane).toHaveLength(1);
    expect(deadPane[0]).toMatchObject({
      condition: "PaneDead",
      argv: argv("restart", "mosaic-agent@a.service"),
      disruptive: true,
    });
  });

  it("UnitDown on a core agent that is not enabled → `enable --now`, no restart on top", () => {
    const steps = planFor([agentSpec({ name: "a" })], {
      a: {
        unit: unit("mosaic-agent@a.service", { active: "inactive", sub: "dead", enabled: "disabled" }),
        pane: null,
        tree: null,
      },
    });
    expect(steps).toEqual([
      expect.objectContaining({
        condition: "UnitDown",
        argv: argv("enable", "--now", "mosaic-agent@a.service"),
        disruptive: false,
      }),
    ]);
  });

  it("UnitDown on an enabled core agent → `start`", () => {
    const steps = planFor([agentSpec({ name: "a" })], {
      a: {
        unit: unit("mosaic-agent@a.service", { active: "failed", sub: "failed", enabled: "enabled" }),
        pane: null,
        tree: null,
      },
    });
    expect(steps).toEqual([
      expect.objectContaining({
        condition: "UnitDown",
        argv: argv("start", "mosaic-agent@a.service"),
        disruptive: false,
      }),
    ]);
  });

  it("a unit with no unit file: a step that says to install it, never a blind start", () => {
    const steps = planFor([agentSpec({ name: "a" })], {
      a: {
        unit: unit("mosaic-agent@a.service", { load: "not-found", active: "inactive", sub: "dead", enabled: "" }),
        pane: null,
        tree: null,
      },
    });
    expect(steps).toHaveLength(1);
    expect(steps[0]?.argv).toEqual(argv("cat", "mosaic-agent@a.service"));
    expect(steps[0]?.disruptive).toBe(false);
    expect(steps[0]?.why).toMatch(/install/);
  });

  it("Unknown conditions produce no step (nothing to act on without data)", () => {
    const specs = [agentSpec({ name: "a" })];
    const { fleet, observation } = world(
      specs,
      {},
      {
        tmux: new Map([["mosaic-factory", { ok: false, reason: "TmuxUnavailable", message: "no server" }]]),
        systemd: { ok: false, reason: "SystemdUnavailable", message: "no bus" },
      },
    );
    expect(fixPlan(buildFleetStatus(fleet, observation, { nowMs: NOW_MS }))).toEqual([]);
  });

  it("systemd not observed (tmux only): Drift gets a `status` check that says both ways out, never a blind restart", () => {
    const specs = [agentSpec({ name: "a", runtime: "pi" })];
    const { fleet, observation } = world(
      specs,
      { a: { tree: chain(["python3", "/x/dogfood-agent.py"]) } },
      {
        systemd: { ok: false, reason: "SystemdUnavailable", message: "no user manager" },
      },
    );
    const status = buildFleetStatus(fleet, observation, { nowMs: NOW_MS });
    expect(status.agents[0]?.conditions.find((c) => c.type === "Drift")?.status).toBe("True");
    const steps = fixPlan(status);
    expect(steps).toEqual([
      expect.objectContaining({
        agent: "a",
        condition: "Drift",
        argv: argv("status", "mosaic-agent@a.service"),
        disruptive: false,
      }),
    ]);
    expect(steps[0]?.why).toMatch(
      /^roster runtime pi, pane runs .*; systemd was not observed, so mosaic-agent@a\.service may not exist: if it does, `systemctl --user restart mosaic-agent@a\.service` fixes it; if the agent runs without systemd, restart it in its pane$/,
    );
  });

  it("steps are plain argv arrays of strings (paste-able), every one with a reason", () => {
    const specs = [agentSpec({ name: "a", runtime: "pi" }), agentSpec({ name: "b" })];
    const steps = planFor(specs, {
      a: { unit: disabled("a"), tree: chain(["python3", "/x/dogfood-agent.py"]) },
      b: { unit: disabled("b") },
    });
    for (const step of steps) {
      expect(step.argv.every((a) => typeof a === "string" && a.length > 0)).toBe(true);
      expect(step.argv.slice(0, 2)).toEqual(["systemctl", "--user"]);
      expect(step.why.length).toBeGreaterThan(0);
      expect(typeof step.disruptive).toBe("boolean");
    }
  });
});

describe("fix plan across hosts", () => {
  it("a step for an agent of an ssh host reads `ssh DEST systemctl --user …`; this host's steps are unchanged", () => {
    const specs = [agentSpec({ name: "here" }), agentSpec({ name: "there" })];
    const { fleet, observation } = world(specs, {
      here: { unit: disabled("here") },
      there: { unit: disabled("there") },
    });
    const status = buildFleetStatus(fleet, observation, { nowMs: NOW_MS });
    // The same facts, as if "there" ran on dragon-lin and were judged from its answer.
    const agents = status.agents.map((a) => (a.name === "there" ? { ...a, host: "dragon-lin" } : a));
    const steps = fixPlan({ ...status, agents }, new Map([["dragon-lin", "jwoltje@dragon-lin.lan"]]));
    expect(steps.map((s) => [s.agent, s.host, s.argv.join(" ")])).toEqual([
      ["here", HOST, "systemctl --user enable mosaic-agent@here.service"],
      ["there", "dragon-lin", "ssh jwoltje@dragon-lin.lan systemctl --user enable mosaic-agent@there.service"],
    ]);
  });
});
