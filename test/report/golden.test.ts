// Golden-file tests of every human format rendered from one fixed FleetStatus
// (sample-status.ts): `fleet ps`, `fleet ps -o wide`, the fix plan and `fleet diff`.
// The files in test/report/golden/ are what an operator sees, byte for byte.
// After an intended change to a format, rewrite them with:
//   UPDATE_GOLDEN=1 npx vitest run test/report
// and review the diff of test/report/golden/ like any other change.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { rosterDiff } from "../../src/diff/roster-diff.js";
import { renderDiff } from "../../src/report/diff-text.js";
import { renderFixPlan } from "../../src/report/fix-plan.js";
import { painter } from "../../src/report/style.js";
import { renderTable, TABLE_COLUMNS } from "../../src/report/table.js";
import { sampleFixPlan, sampleStatus } from "./sample-status.js";

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), "golden");
const UPDATE = process.env["UPDATE_GOLDEN"] === "1";
const plain = painter(false);

function golden(name: string, actual: string): void {
  const file = join(GOLDEN_DIR, name);
  if (UPDATE) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file))
    throw new Error(`golden file ${file} is missing: run UPDATE_GOLDEN=1 npx vitest run test/report`);
  expect(actual, `differs from ${file} (UPDATE_GOLDEN=1 rewrites it)`).toBe(readFileSync(file, "utf8"));
}

/** The cells of a borderless table line, split at the header's column starts. */
function cells(header: string, line: string): string[] {
  const names = header.split(/\s+/).filter(Boolean);
  let from = 0;
  const starts = names.map((n) => {
    const at = header.indexOf(n, from);
    from = at + n.length;
    return at;
  });
  return starts.map((start, i) => line.slice(start, starts[i + 1]).trim());
}

describe("golden renderings of the sample fleet", () => {
  it("fleet ps (table)", () => {
    const text = renderTable(sampleStatus(), plain);
    golden("table.txt", text);
    const [header = "", ...rows] = text.split("\n");
    expect(header.split(/\s+/).filter(Boolean)).toEqual([...TABLE_COLUMNS]);
    expect(header.split(/\s+/).filter(Boolean)).toEqual([
      "NAME",
      "TENANT",
      "HOST",
      "RUNTIME",
      "UNIT",
      "PANE",
      "PID",
      "IDLE",
      "HEARTBEAT",
      "CONDITIONS",
    ]);
    const canary = rows.find((r) => r.startsWith("canary-pi"));
    expect(cells(header, canary ?? "")).toEqual([
      "canary-pi",
      "jarvis",
      "W-jarvis",
      "pi (stub)",
      "active/disabled",
      "alive",
      "4242",
      "12s",
      "healthy 3s",
      "Drift,BootDisabled",
    ]);
    expect(cells(header, rows.find((r) => r.startsWith("dogfood-coder")) ?? "").at(-1)).toBe("-");
  });

  it("fleet ps -o wide", () => {
    const text = renderTable(sampleStatus(), plain, { kind: "wide" });
    golden("wide.txt", text);
    const [header = ""] = text.split("\n");
    const columns = header.split(/\s+/).filter(Boolean);
    expect(columns.slice(0, TABLE_COLUMNS.length)).toEqual([...TABLE_COLUMNS]);
    // The contract's additions: socket, tmux target, actual runtime command, unit name.
    for (const extra of ["SOCKET", "TARGET", "COMMAND", "UNIT-NAME"]) expect(columns).toContain(extra);
  });

  it("fix plan", () => {
    // With the agents: the plan also says which agents it could not plan for (Unknown).
    const text = renderFixPlan(sampleFixPlan(), plain, sampleStatus().agents);
    golden("fix-plan.txt", text);
    expect(text).toMatch(/^Not planned: 2 agents not fully observed \(NoProcess, RemoteHost\);/m);
    expect(text.indexOf("enable mosaic-agent@canary-pi.service")).toBeLessThan(
      text.indexOf("restart mosaic-agent@canary-pi.service"),
    );
  });

  it("an empty fix plan", () => {
    golden("fix-plan-empty.txt", renderFixPlan([], plain));
  });

  it("fleet diff", () => {
    const status = sampleStatus();
    const text = renderDiff(status, rosterDiff(status), plain);
    golden("diff.txt", text);
    expect(text).toMatch(/canary-pi .*\n\s+~ runtime: pi -> stub/);
    expect(text).toMatch(/dogfood-coder \(jarvis@W-jarvis\): in compliance/);
  });

  it("an empty roster says so in the table and the diff", () => {
    const empty = { ...sampleStatus(), agents: [], unmanaged: [] };
    golden("table-empty.txt", renderTable(empty, plain));
    golden("diff-empty.txt", renderDiff(empty, [], plain));
  });
});
