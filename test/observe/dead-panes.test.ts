// Splitting the one chained tmux answer about dead panes back into each pane's evidence
// (src/observe/dead-panes.ts): a pane cannot forge another pane's marker (the nonce is
// fresh per run), its text is escaped and bounded, tmux's own "Pane is dead" line is left
// out. Pure parsing: the real tmux round trip is in test/integration/agent-state-tmux.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEAD_LINE_CHARS, DEAD_PANE_LINES, deadPaneCommands, parseDeadPanes } from "../../src/observe/dead-panes.js";

const NONCE = "mosaic-dead-0123456789abcdef";

describe("dead pane evidence", () => {
  it("one chained command for every dead pane, a marker before each capture", () => {
    const argv = deadPaneCommands([{ paneId: "%3" }, { paneId: "%9" }], NONCE);
    expect(argv.filter((a) => a === "capture-pane")).toHaveLength(2);
    expect(argv.filter((a) => a === ";")).toHaveLength(3);
    expect(argv).toContain(`${NONCE} #{pane_id} #{pane_dead_signal}`);
  });

  it("splits the answer; keeps the last lines, escaped and cut; drops tmux's own line", () => {
    const long = "x".repeat(500);
    const out = [
      `${NONCE} %3 `,
      "one",
      "two \x1b]52;c;AAAA\x07",
      "",
      "Pane is dead (status 1, Sun Dec  6 15:16:06 2026)",
      `${NONCE} %9 15`,
      ...Array.from({ length: 12 }, (_, i) => `line ${i}`),
      long,
      "",
    ].join("\n");
    const found = parseDeadPanes(out, NONCE);
    expect(found.get("%3")).toEqual({ signal: null, lastLines: ["one", "two \\x1b]52;c;AAAA\\x07"] });
    const nine = found.get("%9");
    expect(nine?.signal).toBe(15);
    expect(nine?.lastLines).toHaveLength(DEAD_PANE_LINES);
    expect(nine?.lastLines.at(-1)).toHaveLength(DEAD_LINE_CHARS);
  });

  it("a pane's text can never open evidence for another pane (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary", maxLength: 80 }), { maxLength: 30 }), (lines) => {
        const out = [`${NONCE} %1 `, ...lines.map((l) => l.replaceAll("\n", " ")), ""].join("\n");
        const found = parseDeadPanes(out, NONCE);
        expect([...found.keys()]).toEqual(["%1"]);
        for (const line of found.get("%1")?.lastLines ?? []) {
          // eslint-disable-next-line no-control-regex -- the test looks for raw control bytes
          expect(line).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
          expect(line.length).toBeLessThanOrEqual(DEAD_LINE_CHARS);
        }
      }),
      { numRuns: 300 },
    );
  });
});
