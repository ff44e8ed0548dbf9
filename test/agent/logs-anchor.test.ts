// The pure parts of `agent logs` (src/agent/logs.ts): finding where the last printed rows
// went after tmux trimmed its history (a property over random trims and new output), and
// a dead pane's rows without tmux's own notice.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findAnchor, withoutDeadNotice, type PaneLogState } from "../../src/agent/logs.js";

describe("findAnchor", () => {
  it("property: after dropping any number of the oldest rows and appending output, the anchor is found where it went", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 300 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 100 }),
        (total, printedSeed, droppedSeed, appended) => {
          const rows = Array.from({ length: total }, (_, i) => `row ${i}`);
          const printed = 3 + (printedSeed % (total - 2)); // rows [0, printed) were printed
          const anchor = rows.slice(printed - 3, printed);
          const dropped = droppedSeed % (printed - 2); // the anchor itself survives
          const now = [...rows.slice(dropped), ...Array.from({ length: appended }, (_, i) => `new ${i}`)];
          const end = findAnchor(now, anchor, printed - 1);
          expect(end).toBe(printed - 1 - dropped);
          expect(now[end + 1] ?? null).toBe(printed < total ? `row ${printed}` : appended > 0 ? "new 0" : null);
        },
      ),
    );
  });

  it("a cleared screen (the anchor is gone) is -1: the caller starts again from the screen's top", () => {
    expect(findAnchor(["a", "b", "", ""], ["x", "y", "z"], 3)).toBe(-1);
    expect(findAnchor(["a"], [], 0)).toBe(-1);
  });
});

describe("withoutDeadNotice", () => {
  const dead: PaneLogState = {
    dead: true,
    deadStatus: 1,
    historySize: 0,
    cursorY: 0,
    deadNotice: "Pane is dead (status 1)",
  };
  it("drops tmux's notice and the blank rows around it, and only on a dead pane", () => {
    expect(withoutDeadNotice(["out", "", "", "Pane is dead (status 1)", ""], dead)).toEqual(["out"]);
    expect(withoutDeadNotice(["out", "Pane is dead (status 1)"], { ...dead, dead: false })).toEqual([
      "out",
      "Pane is dead (status 1)",
    ]);
    // The agent's own last line is kept even if it looks alike but is not the notice.
    expect(withoutDeadNotice(["Pane is dead (status 2)"], dead)).toEqual(["Pane is dead (status 2)"]);
  });
});
