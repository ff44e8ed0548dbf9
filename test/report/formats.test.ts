// Machine formats round-trip the one status object; colour appears only when asked for
// (a terminal, no NO_COLOR, no --no-color) — checked on the renderers and on the real
// CLI under a pseudo-terminal.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderDiff } from "../../src/report/diff-text.js";
import { renderFixPlan } from "../../src/report/fix-plan.js";
import { renderJson, renderYaml } from "../../src/report/status-formats.js";
import { colorEnabled, painter } from "../../src/report/style.js";
import { renderTable } from "../../src/report/table.js";
import { rosterDiff } from "../../src/diff/roster-diff.js";
import { sampleFixPlan, sampleStatus } from "./sample-status.js";
import { skipOutsideCi } from "../helpers/skip.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/;

describe("JSON and YAML", () => {
  it("-o json round-trips the status object exactly", () => {
    const status = { ...sampleStatus(), fixPlan: sampleFixPlan() };
    const text = renderJson(status);
    expect(text.endsWith("\n")).toBe(true);
    expect(JSON.parse(text)).toEqual(status);
  });

  it("-o json keeps the contract's field names", () => {
    const doc = JSON.parse(renderJson({ ...sampleStatus(), fixPlan: sampleFixPlan() })) as Record<string, unknown>;
    for (const key of ["apiVersion", "kind", "fleet", "observedAt", "host", "agents", "unmanaged", "fixPlan"])
      expect(doc).toHaveProperty(key);
    const agent = (doc["agents"] as Record<string, unknown>[])[1] ?? {};
    for (const key of ["name", "tenant_id", "host", "lifecycle", "runtime", "unit", "pane", "heartbeat", "conditions"])
      expect(agent).toHaveProperty(key);
    expect(agent["runtime"]).toEqual({ desired: "pi", actual: "stub", command: "python3 dogfood-agent.py" });
    expect(Object.keys(agent["unit"] as object)).toEqual(expect.arrayContaining(["name", "active", "sub", "enabled"]));
    expect(Object.keys(agent["pane"] as object)).toEqual(
      expect.arrayContaining(["state", "target", "pid", "command", "idle_s"]),
    );
    expect(Object.keys(agent["heartbeat"] as object)).toEqual(
      expect.arrayContaining(["state", "age_s", "pid", "status", "interval_s"]),
    );
    const step = (doc["fixPlan"] as Record<string, unknown>[])[0] ?? {};
    expect(Object.keys(step)).toEqual(
      expect.arrayContaining(["agent", "condition", "argv", "disruptive", "why", "tenant_id", "host"]),
    );
  });

  it("-o yaml round-trips the status object exactly", async () => {
    const status = sampleStatus();
    expect(parseYaml(await renderYaml(status))).toEqual(status);
  });
});

describe("colour", () => {
  it("the plain painter never emits ANSI, in any format", () => {
    const status = sampleStatus();
    const plain = painter(false);
    for (const text of [
      renderTable(status, plain),
      renderTable(status, plain, { kind: "wide" }),
      renderFixPlan(sampleFixPlan(), plain),
      renderDiff(status, rosterDiff(status), plain),
    ]) {
      // eslint-disable-next-line no-control-regex -- the test looks for escape sequences
      expect(text).not.toMatch(/\u001b/);
    }
  });

  it("colour is on only for a terminal without NO_COLOR, --no-color or TERM=dumb", () => {
    expect(colorEnabled(true, {}, undefined)).toBe(true);
    expect(colorEnabled(false, {}, undefined)).toBe(false);
    expect(colorEnabled(true, { NO_COLOR: "1" }, undefined)).toBe(false);
    expect(colorEnabled(true, {}, false)).toBe(false);
    expect(colorEnabled(true, { TERM: "dumb" }, undefined)).toBe(false);
  });
});

describe("colour from the real CLI", () => {
  let dir = "";
  let roster = "";
  const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "mf-colour-"));
    roster = join(dir, "roster.yaml");
    // Remote agents only: nothing is observed, the table still renders (Unknown, in yellow).
    writeFileSync(
      roster,
      "version: 1\ndefaults:\n  host: colour-test-remote\nagents:\n  - name: far\n    runtime: pi\n",
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function cli(args: string[], env: Record<string, string>, tty: boolean): string {
    const base: NodeJS.ProcessEnv = {
      PATH: process.env["PATH"],
      HOME: dir,
      MOSAIC_HOME: join(dir, "mosaic"),
      TERM: "xterm-256color",
      ...env,
    };
    const argv = [process.execPath, join(ROOT, "bin", "mosaic"), ...args];
    const result = tty
      ? spawnSync("script", ["-qec", argv.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" "), "/dev/null"], {
          env: base,
          encoding: "utf8",
          timeout: 20_000,
        })
      : spawnSync(argv[0] as string, argv.slice(1), { env: base, encoding: "utf8", timeout: 20_000 });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    return result.stdout;
  }

  it("piped: no colour", () => {
    const out = cli(["fleet", "ps", "-f", roster], {}, false);
    expect(out).toMatch(/^NAME\s+TENANT/);
    // eslint-disable-next-line no-control-regex -- the test looks for escape sequences
    expect(out).not.toMatch(/\u001b/);
  });

  it("on a terminal: colour; with --no-color or NO_COLOR: none", (ctx) => {
    if (!hasScript) return skipOutsideCi(ctx, "util-linux `script` is not installed");
    expect(cli(["fleet", "ps", "-f", roster], {}, true)).toMatch(ANSI);
    expect(cli(["fleet", "ps", "-f", roster, "--no-color"], {}, true)).not.toMatch(ANSI);
    expect(cli(["fleet", "ps", "-f", roster], { NO_COLOR: "1" }, true)).not.toMatch(ANSI);
    // -o json is data, never coloured.
    expect(cli(["fleet", "ps", "-f", roster, "-o", "json"], {}, true)).not.toMatch(ANSI);
  });
});
