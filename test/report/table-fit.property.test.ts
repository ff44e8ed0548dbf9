// Issue 15 item 1, "The table fits the terminal": on a TTY, `fleet ps` fits the
// terminal's width in terminal cells (wide characters two, combining marks none), keeps
// NAME, PANE, HEARTBEAT and CONDITIONS, and cuts names with `…` last; off a TTY it is
// the full table (test/report/golden/ pins that byte for byte). Random fleets of up to
// 12 agents with names of up to 64 characters and every mix of conditions.

import fc from "fast-check";
import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import type { AgentStatus } from "../../src/diff/types.js";
import { painter, safeText } from "../../src/report/style.js";
import { renderTable } from "../../src/report/table.js";
import { tableLayout, terminalWidth } from "../../src/cli/terminal-width.js";
import { arbFleet } from "./arbitrary-fleet.js";
import { sampleStatus } from "./sample-status.js";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const WIDTHS = [40, 60, 80, 100, 120, 200];
const ESSENTIAL = ["NAME", "PANE", "HEARTBEAT", "CONDITIONS"];
const plain = painter(false);
const colour = painter(true);
const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** The text of `line` from terminal cell `x` on. */
function fromCell(line: string, x: number): string {
  let at = 0;
  let used = 0;
  for (const { segment, index } of segmenter.segment(line)) {
    if (used >= x) return line.slice(index);
    used += stringWidth(segment);
    at = index + segment.length;
  }
  return line.slice(at);
}

/** The header line and the agents' rows of a fitted table. */
function parse(text: string, agents: readonly AgentStatus[]): { header: string; rows: string[] } {
  const lines = text.split("\n");
  const at = lines.findIndex((line) => line.startsWith("NAME"));
  expect(at, text).toBeGreaterThanOrEqual(0);
  return { header: lines[at]!, rows: lines.slice(at + 1, at + 1 + agents.length) };
}

function expectNameShown(row: string, name: string): void {
  const full = safeText(name);
  if (row.startsWith(full)) return;
  const cut = row.indexOf("…");
  expect(cut, `row ${JSON.stringify(row)} neither shows nor cuts ${JSON.stringify(full)}`).toBeGreaterThanOrEqual(0);
  expect(full.startsWith(row.slice(0, cut)), `${JSON.stringify(row)} vs ${JSON.stringify(full)}`).toBe(true);
}

describe("fleet ps on a terminal fits its width", () => {
  it.each(WIDTHS)("at COLUMNS=%i: no line is wider, the essential columns survive, names are cut last", (width) => {
    fc.assert(
      fc.property(arbFleet, (status) => {
        const text = renderTable(status, plain, { kind: "fit", width });
        for (const line of text.split("\n")) expect(stringWidth(line), line).toBeLessThanOrEqual(width);
        // With colour too: escape sequences are never counted, never cut in half.
        for (const line of renderTable(status, colour, { kind: "fit", width }).split("\n")) {
          expect(stringWidth(line), line).toBeLessThanOrEqual(width);
          // eslint-disable-next-line no-control-regex -- the property is about escape sequences
          expect(line).not.toMatch(/\u001b(?!\[[0-9;]*m)/);
        }
        const { header, rows } = parse(text, status.agents);
        const columns = header.split(/\s+/).filter(Boolean);
        for (const name of ESSENTIAL) expect(columns).toContain(name);
        const conditionsAt = stringWidth(header.slice(0, header.indexOf("CONDITIONS")));
        status.agents.forEach((agent, i) => {
          const row = rows[i] ?? "";
          expectNameShown(row, agent.name);
          // CONDITIONS reads `-` exactly when every condition is False.
          const healthy = agent.conditions.every((c) => c.status === "False");
          expect(fromCell(row, conditionsAt).trim() === "-", row).toBe(healthy);
        });
        const unknown = status.agents.some((a) => a.conditions.some((c) => c.status === "Unknown"));
        expect(text.includes("not fully observed")).toBe(unknown);
      }),
      { numRuns: 60 },
    );
  });

  it("a terminal wide enough for the full table shows exactly the full table", () => {
    fc.assert(
      fc.property(arbFleet, (status) => {
        const full = renderTable(status, plain);
        const widest = Math.max(...full.split("\n").map((line) => stringWidth(line)));
        expect(renderTable(status, plain, { kind: "fit", width: widest })).toBe(full);
      }),
      { numRuns: 80 },
    );
  });

  it("off a terminal (and with -o wide) nothing is cut, whatever COLUMNS says", () => {
    fc.assert(
      fc.property(arbFleet, (status) => {
        const env = { COLUMNS: "40" };
        for (const format of ["table", "wide"]) {
          const layout = tableLayout(format, { env, stdoutIsTTY: false, stdoutColumns: () => 40 });
          expect(layout.kind).toBe(format === "wide" ? "wide" : "full");
          const text = renderTable(status, plain, layout);
          expect(text).not.toContain("…");
          status.agents.forEach((agent) => expect(text).toContain(safeText(agent.name)));
        }
        expect(tableLayout("wide", { env, stdoutIsTTY: true, stdoutColumns: () => 40 })).toEqual({ kind: "wide" });
      }),
      { numRuns: 40 },
    );
  });

  it("reads the width from COLUMNS, else the terminal, else 80", () => {
    expect(terminalWidth({ env: { COLUMNS: "63" }, stdoutColumns: () => 150 })).toBe(63);
    expect(terminalWidth({ env: {}, stdoutColumns: () => 150 })).toBe(150);
    expect(terminalWidth({ env: { COLUMNS: "wide" }, stdoutColumns: () => undefined })).toBe(80);
    expect(terminalWidth({ env: { COLUMNS: "0" }, stdoutColumns: () => 0 })).toBe(80);
    expect(terminalWidth({ env: { COLUMNS: "-5" } })).toBe(80);
  });
});

// The sample fleet fitted to 80 and 40 columns, byte for byte (UPDATE_GOLDEN=1 rewrites).
describe("the sample fleet on a narrow terminal", () => {
  const dir = join(dirname(fileURLToPath(import.meta.url)), "golden");
  it.each([80, 40])("at %i columns", (width) => {
    const file = join(dir, `table-fit-${width}.txt`);
    const text = renderTable(sampleStatus(), plain, { kind: "fit", width });
    if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(file, text);
    expect(existsSync(file), `${file} is missing: UPDATE_GOLDEN=1 writes it`).toBe(true);
    expect(text).toBe(readFileSync(file, "utf8"));
  });
});
