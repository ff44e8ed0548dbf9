import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRoster, parseRoster, rosterFileAt } from "../../src/spec/load.js";
import type { AgentSpec, FleetSpec } from "../../src/spec/index.js";
import { ROOT, runCli } from "../cli/run-cli.js";

// Valid rosters: the checked-in examples validate, and the resolved fleet is what the
// roster says once defaults, overrides and the machine's facts are applied.

const FACTS = { user: "me", hostname: "h" };

function fleetOf(text: string): FleetSpec {
  const result = parseRoster("r.yaml", text, FACTS);
  if (!result.ok)
    throw new Error(
      `expected a valid roster, got:\n${result.problems.map((p) => `${p.line}:${p.col}: ${p.message}`).join("\n")}`,
    );
  return result.fleet;
}

function agent(fleet: FleetSpec, name: string): AgentSpec {
  const found = fleet.agents.find((a) => a.name === name);
  if (!found) throw new Error(`no agent ${name}`);
  return found;
}

describe("the example rosters", () => {
  for (const name of ["mosaic-factory.yaml", "demo.yaml"]) {
    it(`roster/${name} validates (exit 0) through the CLI`, () => {
      const result = runCli(["fleet", "validate", "-f", join("roster", name)]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^roster/${name.replace(".", "\\.")}: valid`));
    });
  }

  it("mosaic-factory resolves to the production fleet", () => {
    const result = loadRoster(rosterFileAt(join(ROOT, "roster", "mosaic-factory.yaml")), FACTS);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { fleet } = result;
    expect(fleet.fleet).toBe("mosaic-factory");
    expect(fleet.agents.map((a) => a.name)).toEqual([
      "_holder",
      "canary-pi",
      "dogfood-coder",
      "dogfood-orchestrator",
      "dogfood-reviewer",
    ]);
    for (const a of fleet.agents) {
      expect(a).toMatchObject({
        tenant: "jarvis",
        host: "W-jarvis",
        socket: "mosaic-factory",
        lifecycle: "core",
        boot: "enabled",
      });
    }
    expect(agent(fleet, "_holder")).toMatchObject({
      unit: "mosaic-fleet-holder.service",
      heartbeat: { expected: false },
    });
    expect(agent(fleet, "_holder").runtime.name).toBe("shell");
    expect(agent(fleet, "canary-pi")).toMatchObject({
      unit: "mosaic-agent@canary-pi.service",
      heartbeat: { expected: true, intervalS: 15 },
    });
    expect(agent(fleet, "canary-pi").runtime.name).toBe("pi");
    expect(agent(fleet, "dogfood-coder").runtime.name).toBe("stub");
  });

  it("demo resolves tenant and host from the machine facts", () => {
    const text = readFileSync(join(ROOT, "roster", "demo.yaml"), "utf8");
    const fleet = fleetOf(text);
    expect(fleet.fleet).toBe("mosaic-demo");
    for (const a of fleet.agents) expect(a).toMatchObject({ tenant: "me", host: "h", socket: "mosaic-demo" });
    expect(agent(fleet, "canary-pi")).toMatchObject({
      unit: "mosaic-demo-agent@canary-pi.service",
      heartbeat: { expected: true, intervalS: 2 },
    });
    expect(agent(fleet, "_holder")).toMatchObject({
      unit: "mosaic-demo-holder.service",
      heartbeat: { expected: false },
    });
    expect(agent(fleet, "worker-1")).toMatchObject({ lifecycle: "ephemeral" });
    expect(agent(fleet, "worker-1").runtime.name).toBe("codex");
  });
});

describe("resolution", () => {
  const roster = [
    "version: 1",
    "defaults:",
    "  tenant: alice",
    "  host: box-1",
    "  socket: sock",
    '  unit: "agent-{name}@{name}.service"',
    "  lifecycle: ephemeral",
    "  boot: any",
    "  heartbeat:",
    "    interval: 2m",
    "agents:",
    "  - name: plain",
    "    runtime: pi",
    "  - name: custom",
    "    runtime: claude",
    "    tenant: bob",
    "    host: box-2",
    "    socket: other",
    "    unit: custom.service",
    "    lifecycle: core",
    "    boot: enabled",
    "    heartbeat:",
    "      interval: 15s",
    "  - name: quiet",
    "    runtime: shell",
    "    heartbeat: false",
    "  - name: secs",
    "    runtime: stub",
    "    heartbeat:",
    "      interval: 90",
    "  - name: fast",
    "    runtime: stub",
    "    heartbeat:",
    "      interval: 500ms",
    "  - name: quoted",
    "    runtime: stub",
    "    heartbeat:",
    '      interval: "45"',
    "",
  ].join("\n");

  it("merges defaults into agents and substitutes {name} (every occurrence)", () => {
    const plain = agent(fleetOf(roster), "plain");
    expect(plain).toMatchObject({
      tenant: "alice",
      host: "box-1",
      socket: "sock",
      unit: "agent-plain@plain.service",
      lifecycle: "ephemeral",
      boot: "any",
      heartbeat: { expected: true, intervalS: 120 },
    });
    expect(plain.runtime.name).toBe("pi");
    expect(plain.line).toBe(12);
  });

  it("agent fields override defaults", () => {
    expect(agent(fleetOf(roster), "custom")).toMatchObject({
      tenant: "bob",
      host: "box-2",
      socket: "other",
      unit: "custom.service",
      lifecycle: "core",
      boot: "enabled",
      heartbeat: { expected: true, intervalS: 15 },
    });
  });

  it("heartbeat: false means no heartbeat is expected", () => {
    expect(agent(fleetOf(roster), "quiet").heartbeat.expected).toBe(false);
  });

  it('durations become seconds: 15s, 2m, 90, "45", 500ms', () => {
    const fleet = fleetOf(roster);
    expect(agent(fleet, "custom").heartbeat.intervalS).toBe(15);
    expect(agent(fleet, "plain").heartbeat.intervalS).toBe(120);
    expect(agent(fleet, "secs").heartbeat.intervalS).toBe(90);
    expect(agent(fleet, "quoted").heartbeat.intervalS).toBe(45);
    expect(agent(fleet, "fast").heartbeat.intervalS).toBe(0.5);
  });

  it("without defaults: tenant = invoking user, host = hostname, built-in socket/unit/lifecycle/boot/heartbeat", () => {
    const fleet = fleetOf("version: 1\nagents:\n  - name: a\n    runtime: pi\n");
    expect(fleet.fleet).toBe("mosaic-factory");
    expect(fleet.agents[0]).toMatchObject({
      name: "a",
      tenant: "me",
      host: "h",
      socket: "mosaic-factory",
      unit: "mosaic-agent@a.service",
      lifecycle: "core",
      boot: "enabled",
      heartbeat: { expected: true, intervalS: 15 },
    });
  });

  it("fleet defaults to the socket name; an explicit fleet wins", () => {
    expect(fleetOf("version: 1\ndefaults:\n  socket: my-sock\nagents: []\n").fleet).toBe("my-sock");
    expect(fleetOf("version: 1\nfleet: named\ndefaults:\n  socket: my-sock\nagents: []\n").fleet).toBe("named");
  });

  it("defaults heartbeat: false applies to every agent unless one asks for a heartbeat", () => {
    const fleet = fleetOf(
      "version: 1\ndefaults:\n  heartbeat: false\nagents:\n  - name: a\n    runtime: pi\n  - name: b\n    runtime: pi\n    heartbeat:\n      interval: 5s\n",
    );
    expect(agent(fleet, "a").heartbeat.expected).toBe(false);
    expect(agent(fleet, "b").heartbeat).toEqual({ expected: true, intervalS: 5 });
  });

  it("declared runtimes extend and override the built-in catalog", () => {
    const fleet = fleetOf(
      'version: 1\nruntimes:\n  gemini:\n    match: ["gemini"]\n  pi:\n    match: ["pi", "pi-agent"]\nagents:\n  - name: a\n    runtime: gemini\n  - name: b\n    runtime: pi\n',
    );
    expect(agent(fleet, "a").runtime).toMatchObject({ name: "gemini", match: ["gemini"], builtin: false });
    expect(agent(fleet, "b").runtime.match).toEqual(["pi", "pi-agent"]);
  });

  it("an empty agents list is a valid (empty) fleet", () => {
    expect(fleetOf("version: 1\nagents: []\n").agents).toEqual([]);
  });
});
