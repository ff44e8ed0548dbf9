// `fleet apply` runs a step only if it touches exactly what the roster names for that
// agent, with exactly the command its kind allows, as the agent's own tenant
// (src/apply/check-step.ts). Property: every step of a real plan passes unchanged, and
// any single change to its target, command, account or agent makes it refused.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkStep, type Invoking } from "../../src/apply/check-step.js";
import { fixPlan } from "../../src/diff/fix-plan.js";
import { buildFleetStatus } from "../../src/diff/status.js";
import type { FixStep } from "../../src/diff/types.js";
import { HOST, NOW_MS, USER, agentSpec, chain, unit, world } from "./facts.js";

const { fleet, observation } = world(
  [agentSpec({ name: "a", runtime: "pi" }), agentSpec({ name: "b" }), agentSpec({ name: "c", runtime: "pi" })],
  {
    a: { unit: unit("mosaic-agent@a.service", { enabled: "disabled" }), tree: chain(["python3", "x.py"]) },
    b: { unit: unit("mosaic-agent@b.service", { active: "inactive", sub: "dead", enabled: "disabled" }) },
    c: { unit: unit("mosaic-agent@c.service", { sub: "exited", fileType: "exec" }), tree: chain(["python3", "x.py"]) },
  },
);
const status = buildFleetStatus(fleet, observation, { nowMs: NOW_MS });
const plan = fixPlan(status);
const me: Invoking = { user: USER, uid: 1000, hostname: HOST };

type Mutation = (step: FixStep) => FixStep;
const clone = (step: FixStep): FixStep => JSON.parse(JSON.stringify(step)) as FixStep;

const mutations: Record<string, fc.Arbitrary<Mutation>> = {
  otherUnit: fc.string({ minLength: 1, maxLength: 20 }).map((name) => (step) => {
    const s = clone(step);
    if (s.action && "unit" in s.action.target) s.action.target = { unit: `${name}.service` };
    else if (s.action) s.action.target = { session: name, socket: "mosaic-factory" };
    if (s.action)
      s.action.command = s.action.command.map((w) =>
        w.endsWith(".service") || w.startsWith("=") ? `${name}.service` : w,
      );
    return s;
  }),
  otherCommand: fc
    .constantFrom("stop", "disable", "kill", "mask", "kill-server", "daemon-reload")
    .map((verb) => (step) => {
      const s = clone(step);
      if (s.action) s.action.command = [...s.action.command.slice(0, 2), verb, ...s.action.command.slice(3)];
      return s;
    }),
  extraArg: fc.string({ maxLength: 10 }).map((arg) => (step) => {
    const s = clone(step);
    if (s.action) s.action.command = [...s.action.command, arg];
    return s;
  }),
  otherAccount: fc.constantFrom("root", "mallory", "jarvis2").map((user) => (step) => {
    const s = clone(step);
    if (s.action) s.action.run_as = user;
    return s;
  }),
  otherAgent: fc.constantFrom("d", "a2", "A", "b ").map((name) => (step) => ({ ...clone(step), agent: name })),
  otherTenant: fc.constantFrom("root", "mallory").map((tenant) => (step) => ({ ...clone(step), tenant_id: tenant })),
  otherHost: fc.constantFrom("elsewhere", "W-other").map((host) => (step) => ({ ...clone(step), host })),
};

describe("apply checks each step against the roster", () => {
  it("every step of the real plan passes as it is", () => {
    expect(plan.map((s) => s.action?.kind)).toEqual(["enable", "enable-now", "restart", "kill-session", "restart"]);
    for (const step of plan)
      expect(checkStep(step, fleet, status, me), step.argv.join(" ")).toMatchObject({ ok: true });
  });

  it("property: any change to target, command, account, agent, tenant or host is refused (not run)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...plan), fc.oneof(...Object.values(mutations)), (step, mutate) => {
        const changed = mutate(step);
        fc.pre(JSON.stringify(changed) !== JSON.stringify(step));
        expect(checkStep(changed, fleet, status, me)).toMatchObject({ ok: false });
      }),
      { numRuns: 500 },
    );
  });

  it("another tenant's agent is refused unless root acts as that tenant through its observed account", () => {
    const step = plan[0] as FixStep;
    expect(checkStep(step, fleet, status, { ...me, user: "someone-else" })).toMatchObject({ ok: false });
  });

  it("a host described local: true is this machine: its agents' steps pass; an undescribed host's are refused", () => {
    const onAlias = (described: boolean) => {
      const aliased = {
        ...fleet,
        hosts: described ? [{ name: "old-name", via: "local" as const }] : [],
        agents: fleet.agents.map((a) => ({ ...a, host: "old-name" })),
      };
      return plan.map((step) => checkStep({ ...clone(step), host: "old-name" }, aliased, status, me));
    };
    for (const check of onAlias(true)) expect(check).toMatchObject({ ok: true });
    for (const check of onAlias(false)) expect(check.ok === false && check.why).toMatch(/not on this host/);
  });

  it("advice steps are manual, never run", () => {
    const advice: FixStep = {
      ...clone(plan[0] as FixStep),
      action: { ...(plan[0] as FixStep).action!, kind: "advice" },
    };
    expect(checkStep(advice, fleet, status, me)).toMatchObject({ ok: false, manual: true });
  });
});
