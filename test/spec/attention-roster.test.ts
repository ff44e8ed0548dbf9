// Roster `attention` (docs/roster.md): waiting_after (a delay, zero allowed, default 0s)
// and progress_timeout (a positive duration, default 30m), in defaults and per agent;
// bad values are positioned problems with a did-you-mean for a mistyped key.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDelay, parseDuration } from "../../src/spec/duration.js";
import { scratchDir, validateText } from "../cli/run-cli.js";

describe("roster attention", () => {
  it("positions each bad value and a mistyped key, all in one run", () => {
    const { dir, cleanup } = scratchDir();
    try {
      const run = validateText(
        dir,
        "version: 1\ndefaults:\n  attention:\n    waiting_after: -1s\n    progres_timeout: 5m\nagents:\n  - name: a\n    runtime: stub\n    attention:\n      progress_timeout: 0s\n",
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^roster\.yaml:4:20: defaults\.attention\.waiting_after: must be a duration/m);
      expect(run.stderr).toMatch(
        /^roster\.yaml:5:5: unknown key "progres_timeout" in defaults\.attention; did you mean "progress_timeout"\?/m,
      );
      expect(run.stderr).toMatch(
        /^roster\.yaml:10:25: agents\[0\]\.attention\.progress_timeout: must be a positive duration/m,
      );
      const ok = validateText(
        dir,
        "version: 1\nagents:\n  - name: a\n    runtime: stub\n    attention: {waiting_after: 0s, progress_timeout: 90s}\n",
      );
      expect(ok.code, ok.stderr).toBe(0);
    } finally {
      cleanup();
    }
  });

  it("a delay is a duration or zero, never negative, never anything else (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer(), fc.double(), fc.constantFrom("0", "0s", "0.0m", "00ms")), (v) => {
        const d = parseDelay(v);
        const positive = parseDuration(v);
        if (positive !== null) expect(d).toBe(positive);
        else if (d !== null) expect(d).toBe(0);
        if (d !== null) expect(d).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 500 },
    );
    expect(parseDelay("0s")).toBe(0);
    expect(parseDelay("-1s")).toBeNull();
    expect(parseDelay("1e3")).toBeNull();
  });
});
