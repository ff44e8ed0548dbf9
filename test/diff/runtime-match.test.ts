// Which runtime a pane runs, from its process tree (docs/roster.md, Runtimes), and the Drift
// condition built on it. Hand-built process trees; nothing is spawned.

import { describe, expect, it } from "vitest";
import { drift } from "../../src/diff/conditions/drift.js";
import { checkContext } from "../../src/diff/conditions/check.js";
import { identifyRuntime, programNames, shortCommand } from "../../src/diff/runtime-match.js";
import { buildFleetStatus } from "../../src/diff/status.js";
import type { ProcessTree } from "../../src/observe/types.js";
import { runtimeCatalog } from "../../src/spec/runtimes.js";
import { CATALOG, NOW_MS, agentSpec, chain, facts, proc, runtime, world } from "./facts.js";

/** The runtime `fleet ps` would report for a tree when the roster wants `desired`. */
function actual(tree: ProcessTree, desired = "claude"): string | null {
  return identifyRuntime(tree, runtime(desired), CATALOG).runtime;
}

describe("programNames and identifyRuntime", () => {
  const cases: [string, string[], string][] = [
    ["python3 -u /x/dogfood-agent.py", ["python3", "-u", "/x/dogfood-agent.py"], "stub"],
    [
      "/usr/bin/python3.11 /x/dogfood-agent.py (versioned interpreter)",
      ["/usr/bin/python3.11", "/x/dogfood-agent.py"],
      "stub",
    ],
    ["node /usr/bin/pi", ["node", "/usr/bin/pi"], "pi"],
    ["/usr/local/bin/pi --model x", ["/usr/local/bin/pi", "--model", "x"], "pi"],
    ["bash", ["bash"], "shell"],
    ["/bin/sh", ["/bin/sh"], "shell"],
    ["-bash (a login shell, as tmux starts it)", ["-bash"], "shell"],
    ["-zsh (a login shell)", ["-zsh"], "shell"],
    ["mosaic-agent-stub (argv rewritten into one string)", ["mosaic-agent-stub canary-pi"], "stub"],
    ["node /opt/bin/codex", ["node", "/opt/bin/codex"], "codex"],
    ["claude", ["/home/u/.local/bin/claude"], "claude"],
  ];
  it.each(cases.map(([what, argv, expected]) => ({ what, argv, expected })))(
    "$what → $expected",
    ({ argv, expected }) => {
      expect(actual(chain(argv))).toBe(expected);
    },
  );

  it("names a process by argv[0] and, under an interpreter, by its script", () => {
    expect(programNames(proc(["python3", "-u", "/x/dogfood-agent.py"]))).toEqual(["python3", "dogfood-agent.py"]);
    expect(programNames(proc(["node", "/usr/bin/pi"]))).toEqual(["node", "pi"]);
    expect(programNames(proc(["/usr/bin/vim", "notes.txt"]))).toEqual(["vim"]);
  });

  it("falls back to comm when argv is unreadable", () => {
    expect(programNames(proc([], { comm: "pi" }))).toEqual(["pi"]);
    expect(actual({ root: proc([], { comm: "pi" }), processes: [proc([], { comm: "pi" })] })).toBe("pi");
  });

  it("prefers the desired runtime anywhere in the tree: bash → node pi is pi", () => {
    expect(actual(chain(["bash"], ["node", "/usr/bin/pi"]), "pi")).toBe("pi");
  });

  it("otherwise names the deepest non-shell runtime: bash → python3 dogfood-agent.py is stub", () => {
    const found = identifyRuntime(
      chain(["bash", "-c", "python3 /x/dogfood-agent.py"], ["python3", "/x/dogfood-agent.py"]),
      runtime("pi"),
      CATALOG,
    );
    expect(found.runtime).toBe("stub");
    expect(shortCommand(found.process)).toBe("python3 dogfood-agent.py");
  });

  it("a program no runtime matches is unknown (null), reported by its command", () => {
    const found = identifyRuntime(chain(["/usr/bin/vim", "x"]), runtime("pi"), CATALOG);
    expect(found.runtime).toBeNull();
    expect(shortCommand(found.process)).toBe("vim x");
  });

  it("a roster's runtimes: extend the catalog", () => {
    const catalog = runtimeCatalog({ aider: { match: ["aider"] } });
    const aider = catalog.get("aider");
    if (!aider) throw new Error("no aider");
    expect(identifyRuntime(chain(["python3", "/usr/bin/aider"]), aider, catalog).runtime).toBe("aider");
  });
});

describe("Drift", () => {
  const check = (desired: string, tree: ProcessTree | null) => {
    const agent = agentSpec({ name: "canary-pi", runtime: desired });
    return drift(checkContext(agent, agent.socket, facts({ tree }, agent), NOW_MS, CATALOG));
  };

  it("desired pi, tree bash → python3 dogfood-agent.py: True RuntimeMismatch naming stub", () => {
    const condition = check("pi", chain(["bash"], ["python3", "/x/dogfood-agent.py"]));
    expect(condition).toMatchObject({ type: "Drift", status: "True", reason: "RuntimeMismatch" });
    expect(condition.message).toContain("stub");
    expect(condition.message).toContain("pi");
    expect(condition.message).toContain("dogfood-agent.py");
  });

  it("desired stub, tree python3 -u dogfood-agent.py: False RuntimeMatches", () => {
    expect(check("stub", chain(["python3", "-u", "/x/dogfood-agent.py"]))).toMatchObject({
      status: "False",
      reason: "RuntimeMatches",
    });
  });

  it("desired shell, an idle login shell (-bash): False", () => {
    expect(check("shell", chain(["-bash"]))).toMatchObject({ status: "False", reason: "RuntimeMatches" });
  });

  it("no process to compare (pane dead) → Unknown, not True", () => {
    expect(check("pi", null)).toMatchObject({ status: "Unknown", reason: "NoProcess" });
  });

  it("the status object carries runtime.desired/actual/command for a drifted agent", () => {
    const agent = agentSpec({ name: "canary-pi", runtime: "pi" });
    const { fleet, observation } = world([agent], { "canary-pi": { tree: chain(["python3", "/x/dogfood-agent.py"]) } });
    const status = buildFleetStatus(fleet, observation, { nowMs: NOW_MS });
    expect(status.agents[0]?.runtime).toEqual({ desired: "pi", actual: "stub", command: "python3 dogfood-agent.py" });
  });
});
