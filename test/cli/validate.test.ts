import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectNoCrash, lines, positions, runCli, scratchDir } from "./run-cli.js";

// `mosaic fleet validate`: which roster it reads (-f, MOSAIC_ROSTER, MOSAIC_HOME) and
// what it prints for a valid and an invalid one.

const VALID = "version: 1\nagents:\n  - name: a\n    runtime: pi\n";
const INVALID = "version: 1\nagents:\n  - name: a\n    runtme: pi\n    runtime: pi\n";

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = scratchDir("mosaic-validate-"));
  writeFileSync(join(dir, "valid.yaml"), VALID);
  writeFileSync(join(dir, "invalid.yaml"), INVALID);
  mkdirSync(join(dir, "home", "fleet"), { recursive: true });
  writeFileSync(join(dir, "home", "fleet", "roster.yaml"), VALID);
  mkdirSync(join(dir, "badhome", "fleet"), { recursive: true });
  writeFileSync(join(dir, "badhome", "fleet", "roster.yaml"), INVALID);
});
afterAll(() => cleanup());

describe("mosaic fleet validate", () => {
  it("a valid roster: exit 0, one summary line on stdout, nothing on stderr", () => {
    const result = runCli(["fleet", "validate", "-f", "valid.yaml"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(lines(result.stdout)).toEqual(['valid.yaml: valid roster v1, fleet "mosaic-factory", 1 agent']);
  });

  it("--roster is the long form of -f, with = too", () => {
    expect(runCli(["fleet", "validate", "--roster", "valid.yaml"], { cwd: dir }).code).toBe(0);
    expect(runCli(["fleet", "validate", "--roster=valid.yaml"], { cwd: dir }).code).toBe(0);
    expect(runCli(["fleet", "validate", "--roster=invalid.yaml"], { cwd: dir }).code).toBe(2);
  });

  it("an invalid roster: exit 2, problems on stderr, nothing on stdout", () => {
    const result = runCli(["fleet", "validate", "-f", "invalid.yaml"], { cwd: dir });
    expect(expectNoCrash(result)).toEqual([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(positions(result.stderr, "invalid.yaml")).toEqual(["4:5"]);
  });

  it("reads $MOSAIC_ROSTER when there is no -f", () => {
    const ok = runCli(["fleet", "validate"], { cwd: dir, env: { MOSAIC_ROSTER: join(dir, "valid.yaml") } });
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    const bad = runCli(["fleet", "validate"], { cwd: dir, env: { MOSAIC_ROSTER: "invalid.yaml" } });
    expect(bad.code).toBe(2);
    expect(positions(bad.stderr, "invalid.yaml")).toEqual(["4:5"]);
  });

  it("-f beats $MOSAIC_ROSTER", () => {
    const result = runCli(["fleet", "validate", "-f", "valid.yaml"], {
      cwd: dir,
      env: { MOSAIC_ROSTER: "invalid.yaml" },
    });
    expect(result.code).toBe(0);
  });

  it("reads $MOSAIC_HOME/fleet/roster.yaml when there is neither -f nor $MOSAIC_ROSTER", () => {
    const ok = runCli(["fleet", "validate"], { cwd: dir, env: { MOSAIC_HOME: join(dir, "home") } });
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("home/fleet/roster.yaml");
    const bad = runCli(["fleet", "validate"], { cwd: dir, env: { MOSAIC_HOME: join(dir, "badhome") } });
    expect(bad.code).toBe(2);
    expect(positions(bad.stderr, "badhome/fleet/roster.yaml")).toEqual(["4:5"]);
  });

  it("$MOSAIC_ROSTER beats $MOSAIC_HOME", () => {
    const result = runCli(["fleet", "validate"], {
      cwd: dir,
      env: { MOSAIC_HOME: join(dir, "badhome"), MOSAIC_ROSTER: join(dir, "valid.yaml") },
    });
    expect(result.code).toBe(0);
  });

  it("without MOSAIC_HOME the default is ~/.config/mosaic/fleet/roster.yaml", () => {
    const home = join(dir, "userhome");
    mkdirSync(join(home, ".config", "mosaic", "fleet"), { recursive: true });
    writeFileSync(join(home, ".config", "mosaic", "fleet", "roster.yaml"), VALID);
    const result = runCli(["fleet", "validate"], { cwd: dir, env: { HOME: home } });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("no roster anywhere: exit 2, one line naming the path it looked for", () => {
    const result = runCli(["fleet", "validate"], { cwd: dir, env: { MOSAIC_HOME: join(dir, "nowhere") } });
    expect(expectNoCrash(result)).toEqual([]);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toContain("nowhere/fleet/roster.yaml");
  });

  it("-f '' is an error, not a silent fall-back to another roster", () => {
    // `-f "$ROSTER"` with ROSTER unset must not validate $MOSAIC_ROSTER instead.
    const result = runCli(["fleet", "validate", "-f", ""], {
      cwd: dir,
      env: { MOSAIC_ROSTER: join(dir, "valid.yaml") },
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
  });

  it("-f without a value is a usage error", () => {
    const result = runCli(["fleet", "validate", "-f"], { cwd: dir });
    expect(expectNoCrash(result)).toEqual([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/argument missing|roster/);
  });

  it("a positional argument is a usage error", () => {
    const result = runCli(["fleet", "validate", "valid.yaml"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
  });
});
