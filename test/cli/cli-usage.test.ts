import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, expectNoCrash, lines, runCli } from "./run-cli.js";

// Usage as an operator meets it: help and version on stdout with exit 0; mistakes are
// exit 2 with one clear line (and a hint) on stderr.

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };

describe("help", () => {
  const cases: Array<[string[], string]> = [
    [["--help"], "Usage: mosaic"],
    [["-h"], "Usage: mosaic"],
    [["fleet", "--help"], "Usage: mosaic fleet"],
    [["fleet", "-h"], "Usage: mosaic fleet"],
    [["fleet", "validate", "--help"], "Usage: mosaic fleet validate"],
    [["fleet", "validate", "-h"], "Usage: mosaic fleet validate"],
    [["fleet", "schema", "--help"], "Usage: mosaic fleet schema"],
  ];
  for (const [args, usage] of cases) {
    it(`mosaic ${args.join(" ")} → help on stdout, exit 0`, () => {
      const result = runCli(args);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout.startsWith(usage)).toBe(true);
    });
  }

  it("mosaic --help lists the fleet command; fleet --help lists validate and schema", () => {
    expect(runCli(["--help"]).stdout).toMatch(/^\s+fleet\b/m);
    const fleet = runCli(["fleet", "--help"]).stdout;
    expect(fleet).toMatch(/^\s+validate\b/m);
    expect(fleet).toMatch(/^\s+schema\b/m);
  });

  it("fleet validate --help documents -f/--roster", () => {
    expect(runCli(["fleet", "validate", "--help"]).stdout).toMatch(/-f, --roster/);
  });

  it("`mosaic help fleet` (the advertised help command) → help on stdout, exit 0", () => {
    const result = runCli(["help", "fleet"]);
    expect(result.stdout.startsWith("Usage: mosaic fleet")).toBe(true);
    expect(result.code).toBe(0);
  });
});

describe("version", () => {
  it("--version prints the package version, exit 0", () => {
    const result = runCli(["--version"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(pkg.version);
  });
});

describe("usage errors", () => {
  it("an unknown subcommand → exit 2 with a did-you-mean hint on stderr", () => {
    const result = runCli(["fleet", "valdate"]);
    expect(expectNoCrash(result)).toEqual([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("valdate");
    expect(result.stderr).toMatch(/Did you mean validate\?/);
  });

  it("an unknown top-level command → exit 2 with a hint", () => {
    const result = runCli(["flet"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/Did you mean fleet\?/);
  });

  it("an unknown flag → exit 2, naming the flag", () => {
    for (const args of [["fleet", "validate", "--bogus"], ["fleet", "schema", "--bogus"], ["--bogus"]]) {
      const result = runCli(args);
      expect(expectNoCrash(result)).toEqual([]);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain("--bogus");
      expect(lines(result.stderr).length).toBeLessThanOrEqual(2);
    }
  });

  it("no arguments → the overview on stdout, exit 0 (as kubectl)", () => {
    const result = runCli([]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("Usage: mosaic");
  });

  it("`mosaic fleet` without a subcommand → exit 2, usage on stderr", () => {
    const result = runCli(["fleet"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("Usage: mosaic fleet");
  });

  it("user errors never print a stack trace", () => {
    for (const args of [
      ["fleet", "valdate"],
      ["fleet", "validate", "--bogus"],
      ["fleet", "validate", "-f", "/nonexistent/r.yaml"],
    ]) {
      const result = runCli(args);
      expect(expectNoCrash(result), args.join(" ")).toEqual([]);
      expect(result.code).toBe(2);
    }
  });
});
