// The watcher's window onto a larger pane (src/agent/viewer-layout.ts), as properties
// over every pane and terminal size: the cursor is always in view, the newest text is in
// view whenever it fits with the cursor, nothing past the pane is shown, and the banner
// fits the terminal's width with the way out ("q") in it.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { banner, viewWindow } from "../../src/agent/viewer-layout.js";

const pane = fc
  .record({ paneWidth: fc.integer({ min: 1, max: 400 }), paneHeight: fc.integer({ min: 1, max: 200 }) })
  .chain((size) =>
    fc.record({
      paneWidth: fc.constant(size.paneWidth),
      paneHeight: fc.constant(size.paneHeight),
      cursorX: fc.integer({ min: 0, max: size.paneWidth - 1 }),
      cursorY: fc.integer({ min: 0, max: size.paneHeight - 1 }),
      lastRow: fc.integer({ min: -1, max: size.paneHeight - 1 }),
    }),
  );

describe("viewWindow", () => {
  it("property: the cursor is in view; the newest text too when both fit; never past the pane", () => {
    fc.assert(
      fc.property(pane, fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 300 }), (p, rows, columns) => {
        const { top, left } = viewWindow(p, rows, columns);
        expect(top).toBeGreaterThanOrEqual(0);
        expect(left).toBeGreaterThanOrEqual(0);
        expect(p.cursorY >= top && p.cursorY < top + rows).toBe(true);
        expect(p.cursorX >= left && p.cursorX < left + columns).toBe(true);
        if (p.lastRow - p.cursorY < rows) expect(p.lastRow < top + rows).toBe(true);
        if (p.paneHeight >= rows) expect(top + rows).toBeLessThanOrEqual(p.paneHeight);
        if (p.paneHeight <= rows) expect(top).toBe(0);
        if (p.paneWidth <= columns) expect(left).toBe(0);
      }),
    );
  });

  it("a 40-row pane whose output reached its bottom, in 9 rows: the last 9 rows", () => {
    expect(viewWindow({ paneWidth: 80, paneHeight: 40, cursorX: 0, cursorY: 39, lastRow: 38 }, 9, 40)).toEqual({
      top: 31,
      left: 0,
    });
  });
});

describe("banner", () => {
  it("property: fits the width and always says how to leave (q) when there is room for it", () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/);
    fc.assert(
      fc.property(name, name, fc.boolean(), fc.integer({ min: 0, max: 300 }), (agent, socket, dead, columns) => {
        const text = banner(
          { name: agent, socket, paneId: "%12", size: "200x50", dead, scrolled: "rows 11-19 of 50", note: "" },
          columns,
        );
        expect(text.length).toBeLessThanOrEqual(columns);
        if (columns >= 1) expect(text).toMatch(/\bq\b/);
        if (columns >= 60 + agent.length) expect(text).toContain(agent);
      }),
    );
  });
});
