// Hostile rosters through the real CLI (docs/threat-model.md "Roster": "clear error" = one
// sentence per problem on stderr at FILE:LINE:COL, exit 2, no stack trace). Inputs found
// by test/property/roster.property.test.ts, pinned here as the operator meets them:
// `mosaic fleet validate` and `mosaic fleet diff` (which often reads a roster proposed by
// someone else, so its bytes must be treated as hostile).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectNoCrash,
  lines,
  problemLines,
  runCli,
  scratchDir,
  strayStderrLines,
  validateText,
} from "../cli/run-cli.js";

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = scratchDir("mf-fault-roster-"));
});
afterAll(() => cleanup());

let counter = 0;
function validate(text: string) {
  counter += 1;
  const file = `f${counter}.yaml`;
  return { result: validateText(dir, text, file), file };
}

describe("rosters whose values are mappings with Object.prototype keys", () => {
  for (const [what, text, line] of [
    [
      "defaults.host: {toString: false}",
      "version: 1\ndefaults:\n  host:\n    toString: false\nagents:\n  - name: a\n    runtime: pi\n",
      4,
    ],
    [
      "tenant: {valueOf: 1, toString: 2}",
      "version: 1\nagents:\n  - name: a\n    runtime: pi\n    tenant: {valueOf: 1, toString: 2}\n",
      5,
    ],
  ] as const) {
    it(`${what}: exit 2 with a positioned type error, not exit 70 "internal error"`, () => {
      const { result, file } = validate(text);
      expect(expectNoCrash(result), result.stderr).toEqual([]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stdout).toBe("");
      expect(
        problemLines(result.stderr, file).map((p) => p.line),
        result.stderr,
      ).toContain(line);
      expect(strayStderrLines(result.stderr, file), result.stderr).toEqual([]);
    });
  }
});

describe("problem lines never carry raw control bytes from the roster to the terminal", () => {
  for (const [what, text] of [
    [
      "an unknown key holding OSC 52 (clipboard write) and OSC 0 (title change)",
      "version: 1\n\u001b]52;c;aGk=\u0007\u001b]0;pwned\u0007: 1\nagents: []\n",
    ],
    ["a lone CR in the file (YAML syntax error quoting the rest of the file)", "version: >\rfleet: x\rdefaults:\n"],
    ["an unknown key holding NUL, TAB and C1 CSI", "version: 1\nbad\u0000key\t\u009b31m: 1\nagents: []\n"],
  ] as const) {
    it(`${what}: exit 2, no ESC/CR/NUL/C1 on stderr, every line a FILE:LINE:COL problem`, () => {
      const { result, file } = validate(text);
      expect(expectNoCrash(result), result.stderr).toEqual([]);
      expect(result.code, result.stderr).toBe(2);
      expect(JSON.stringify(result.stderr)).not.toMatch(/\\u001b|\\r|\\u0000|\\u0007/);
      expect(result.stderr).not.toMatch(/[\u0080-\u009f]/);
      expect(problemLines(result.stderr, file).length, result.stderr).toBeGreaterThan(0);
      expect(strayStderrLines(result.stderr, file), JSON.stringify(result.stderr)).toEqual([]);
    });
  }

  it("fleet diff of a proposed roster with an escape sequence in a key: exit 2, no ESC on stderr", () => {
    validateText(
      dir,
      "version: 1\nagents:\n  - name: a\n    runtime: pi\n    \u001b]0;pwned\u0007: 1\n",
      "proposed.yaml",
    );
    const result = runCli(["fleet", "diff", "-f", "proposed.yaml"], {
      cwd: dir,
      env: { XDG_RUNTIME_DIR: dir, TMUX_TMPDIR: dir },
    });
    expect(expectNoCrash(result), result.stderr).toEqual([]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).not.toContain("\u001b");
    expect(result.stderr).not.toContain("\u0007");
  });
});

describe("problems that are one line each", () => {
  it("a name written as a block scalar: one FILE:LINE:COL line, not the scalar's source lines", () => {
    const { result, file } = validate("version: 1\nagents:\n  - name: |\n      a b\n    runtime: pi\n");
    expect(result.code, result.stderr).toBe(2);
    expect(strayStderrLines(result.stderr, file), result.stderr).toEqual([]);
    expect(problemLines(result.stderr, file).map((p) => `${p.line}:${p.col}`)).toEqual(["3:11"]);
  });

  it("a complex (collection) mapping key: one line at the key's line, no Node warning on stderr", () => {
    const { result, file } = validate("version: 1\n? [a, b]\n: 1\nagents: []\n");
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).not.toMatch(/Warning|--trace-warnings/);
    expect(lines(result.stderr), result.stderr).toHaveLength(1);
    expect(problemLines(result.stderr, file)[0]?.line, result.stderr).toBe(2);
  });
});
