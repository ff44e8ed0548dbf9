import { describe, expect, it } from "vitest";
import { formatSeconds, parseDuration } from "../../src/spec/duration.js";

describe("parseDuration", () => {
  const good: Array<[unknown, number]> = [
    ["15s", 15],
    ["2m", 120],
    ["1h", 3600],
    ["500ms", 0.5],
    ["1.5s", 1.5],
    [90, 90],
    ["90", 90],
    [1, 1],
    [" 15s ", 15], // a flag or an environment variable may carry blanks
    ["999999999999999", 999999999999999],
    ["0.000000001s", 1e-9],
  ];
  for (const [input, seconds] of good) {
    it(`${JSON.stringify(input)} → ${seconds}s`, () => expect(parseDuration(input)).toBe(seconds));
  }

  const bad: unknown[] = [
    -5,
    0,
    "0",
    "0s",
    "-5",
    "10x",
    "",
    "s",
    "1.5",
    1.5,
    "1e3",
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 60,
    "1d",
    true,
    false,
    null,
    undefined,
    {},
    [],
    "15 s ms",
    // The grammar's bounds (DURATION_RE), shared with the roster's JSON Schema:
    "1234567890123456", // 16 digits
    "0.0000000001s", // a 10-digit fraction
    "00",
    "0.0ms",
    ".5s",
    "1.s",
  ];
  for (const input of bad) {
    it(`${String(typeof input === "string" ? JSON.stringify(input) : input)} is not a duration`, () => {
      expect(parseDuration(input)).toBeNull();
    });
  }
});

describe("formatSeconds", () => {
  it("renders compactly", () => {
    expect(formatSeconds(0.4)).toBe("0s");
    expect(formatSeconds(15)).toBe("15s");
    expect(formatSeconds(180)).toBe("3m");
    expect(formatSeconds(7200)).toBe("2h");
    expect(formatSeconds(3 * 86_400)).toBe("3d");
  });
});
