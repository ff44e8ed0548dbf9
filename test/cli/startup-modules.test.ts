import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, scratchDir } from "./run-cli.js";

// Commands that start no program do not load node:child_process (with net's and
// dgram's modules, ~3 ms of every start): commander's own require of it is deferred to
// first use (scripts/build.mjs), and cli/main.ts takes CommandTimeout from its own file,
// not from system/run.ts (BENCHMARKS.md, Round 3). A preload records which of Node's
// modules the run loaded beyond what Node itself had loaded before the CLI.

let dir: string;
let cleanup: () => void;
let probe: string;
beforeAll(() => {
  ({ dir, cleanup } = scratchDir("mosaic-startup-modules-"));
  probe = join(dir, "probe.cjs");
  writeFileSync(
    probe,
    [
      "const before = new Set(process.moduleLoadList);",
      'process.on("exit", () => require("node:fs").writeFileSync(process.env.PROBE_OUT,',
      '  process.moduleLoadList.filter((m) => !before.has(m)).join("\\n")));',
    ].join("\n"),
  );
  writeFileSync(join(dir, "r.yaml"), "version: 1\nagents:\n  - name: a\n    runtime: pi\n");
});
afterAll(() => cleanup());

function loadedBy(args: string[]): { code: number | null; modules: string[]; stderr: string } {
  const out = join(dir, `modules-${args.join("-").replace(/[^a-z0-9-]/gi, "_")}.txt`);
  const run = runCli(args, { cwd: dir, nodeFlags: ["-r", probe], env: { PROBE_OUT: out, HOME: dir } });
  return { code: run.code, stderr: run.stderr, modules: readFileSync(out, "utf8").split("\n") };
}

describe("what a command that spawns nothing loads", () => {
  it.each([[["--help"]], [["--version"]], [["fleet", "validate", "-f", "r.yaml"]], [["fleet", "schema"]]])(
    "%j: no node:child_process",
    (args) => {
      const run = loadedBy(args);
      expect(run.code, run.stderr).toBe(0);
      // The probe works: the CLI's own loading shows up (boot compiles with node:vm).
      expect(run.modules).toContain("NativeModule vm");
      expect(run.modules).not.toContain("NativeModule child_process");
    },
  );
});
