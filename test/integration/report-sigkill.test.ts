// SIGKILL at any point of a writing command (docs/threat-model.md, "Crash at any
// point"): `fleet report --output FILE --history FILE.jsonl` killed at many points of
// its run leaves the report old or new — never torn — the history made of whole lines,
// nothing that blocks the next run (the history lock is a flock the kernel drops), and
// no temp file that outlives the next write.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, cleanEnv, runCli } from "../cli/run-cli.js";

let dir: string;
let roster: string;
let out: string;
let history: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mosaic-report-kill-"));
  roster = join(dir, "roster.yaml");
  writeFileSync(roster, "version: 1\nfleet: killed\nagents:\n  - name: a\n    runtime: stub\n");
  out = join(dir, "report.json");
  history = join(dir, "history.jsonl");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = () => cleanEnv(dir, { MOSAIC_HOME: join(dir, "home"), NO_COLOR: "1" });

/** Start the report and SIGKILL it after `ms` (or let it finish first). */
async function killedReport(ms: number): Promise<void> {
  const child = spawn(
    process.execPath,
    [BIN, "fleet", "report", "-f", roster, "--format", "json", "--output", out, "--history", history],
    { env: env(), stdio: "ignore" },
  );
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await new Promise((resolve) => setTimeout(resolve, ms));
  child.kill("SIGKILL");
  await exited;
}

function expectIntact(): void {
  // The report is a whole document (old or new), never half.
  const text = readFileSync(out, "utf8");
  expect(() => JSON.parse(text) as unknown, text.slice(0, 200)).not.toThrow();
  // The history holds whole JSON lines only.
  for (const line of readFileSync(history, "utf8").split("\n").filter(Boolean)) {
    expect(() => JSON.parse(line) as unknown, line).not.toThrow();
  }
}

describe("fleet report killed with SIGKILL at any point", () => {
  it("leaves the report and history intact, blocks nothing, and leaves no temp file behind the next write", async () => {
    const first = runCli(["fleet", "report", "-f", roster, "--format", "json", "--output", out, "--history", history], {
      env: { HOME: dir, MOSAIC_HOME: join(dir, "home"), NO_COLOR: "1" },
    });
    expect(first.code, first.stderr).toBe(1); // nothing observable here: UNKNOWN
    for (let round = 0; round < 24; round += 1) {
      await killedReport(20 + round * 15);
      expectIntact();
    }
    const started = Date.now();
    const after = runCli(["fleet", "report", "-f", roster, "--format", "json", "--output", out, "--history", history], {
      env: { HOME: dir, MOSAIC_HOME: join(dir, "home"), NO_COLOR: "1" },
    });
    expect(after.code, after.stderr).toBe(1);
    expect(after.stderr).not.toMatch(/lock/i);
    expect(Date.now() - started).toBeLessThan(15_000);
    expectIntact();
    // Temp files of dead writers are gone after a successful write.
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  }, 120_000);
});
