import { describe, expect, it } from "vitest";
import { reportInput } from "../../src/report/formats.js";
import { markdownCode, markdownText, render } from "../../src/report/markdown.js";
import {
  emptyStatus,
  expectGolden,
  fixtureHistory,
  fixtureStatus,
  HOSTILE_NAME,
  hostileStatus,
  RAW_CONTROL,
} from "./format-fixture.js";

/** Table cells split on unescaped pipes (GFM: `\|` is a literal pipe inside a cell). */
function cells(row: string): string[] {
  return row.split(/(?<!\\)\|/).slice(1, -1);
}

describe("markdown report", () => {
  it("matches the golden file", () => {
    expectGolden("report.md", render(reportInput(fixtureStatus(), fixtureHistory())));
  });

  it("puts fleet, host, observedAt and the verdict in the title", () => {
    const title = render(reportInput(fixtureStatus())).split("\n")[0];
    expect(title).toBe("# Fleet mosaic-factory on W-jarvis at 2026-06-20T12:00:00.000Z: NONCOMPLIANT");
  });

  it("lists the drifted agent's True conditions and the Unknown ones with reason and message", () => {
    const text = render(reportInput(fixtureStatus()));
    expect(text).toContain(
      "| canary-pi | Drift | **True** | RuntimeMismatch | roster runtime pi, pane runs stub (python3 dogfood-agent.py \\| tee \\`log\\`) |",
    );
    expect(text).toContain("| dogfood-coder | Stale | _Unknown_ | NoHeartbeat |");
    expect(text).not.toMatch(/\| PaneAlive \|/); // False conditions are not listed
  });

  it("numbers the fix plan, as shell lines, with the disruptive step marked", () => {
    const text = render(reportInput(fixtureStatus()));
    expect(text).toContain("1. `systemctl --user enable mosaic-agent@canary-pi.service`  \n");
    expect(text).toContain(
      "2. `systemctl --user restart mosaic-agent@canary-pi.service` **disruptive: restarts the agent**",
    );
  });

  it("keeps every table row's cell count when names and messages hold pipes and backticks", () => {
    const text = render(reportInput(hostileStatus()));
    const rows = text.split("\n").filter((line) => line.startsWith("|"));
    expect(rows.length).toBeGreaterThan(4);
    const widths = rows.map((row) => cells(row).length);
    // Summary 6 columns, agents 8, conditions 5: each table's rows agree with its header.
    expect(widths).toEqual([6, 6, 6, 8, 8, 8, 5, 5, 5]);
  });

  it("never lets terminal escapes or raw HTML through", () => {
    const text = render(reportInput(hostileStatus()));
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).toContain("evil\\\\x1b\\]52;c;cm0gLXJmIH4=\\\\x07\\<script\\>");
    // Raw `<` is allowed only inside code spans, where CommonMark never reads it as HTML.
    const outsideCode = text.replace(/(`+).*?\1/g, "");
    expect(outsideCode).not.toMatch(/(?<!\\)</);
    expect(outsideCode).not.toMatch(/(?<!\\)`/);
  });

  it("makes code spans that an embedded backtick cannot close", () => {
    expect(markdownCode("a`b")).toBe("``a`b``");
    expect(markdownCode("`x`")).toBe("`` `x` ``");
    expect(markdownCode("\x1b]0;t\x07")).toBe("`\\x1b]0;t\\x07`");
    expect(markdownText("a|b`c*d_e<f>")).toBe("a\\|b\\`c\\*d\\_e\\<f\\>");
    expect(markdownText(HOSTILE_NAME)).not.toMatch(RAW_CONTROL);
  });

  it("says UNKNOWN for a roster with no agents", () => {
    const text = render(reportInput(emptyStatus()));
    expectGolden("report-empty.md", text);
    expect(text.split("\n")[0]).toMatch(/: UNKNOWN$/);
    expect(text).toContain("The roster lists no agents");
    expect(text).not.toMatch(/100 ?%|(?<!NON)COMPLIANT/);
  });
});
