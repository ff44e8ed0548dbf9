// programNames is worked out with indexOf and slice (it runs once per tree process on
// `fleet ps`'s hot path); these properties pin it to the plain definition it replaced:
// argv[0] up to its first space, one leading "-" dropped, its basename, and the script
// of an interpreter (docs/roster.md, Runtimes).

import { basename } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { programNames, withoutVersion } from "../../src/diff/runtime-match.js";
import { INTERPRETERS } from "../../src/spec/runtimes.js";
import { proc } from "./facts.js";

/** The definition, as first written (split and regular expressions). */
function reference(argv: string[], comm: string): string[] {
  const [first, ...rest] = argv;
  if (first === undefined) return comm ? [comm] : [];
  const program = (first.split(" ")[0] ?? first).replace(/^-/, "");
  const head = basename(program);
  const names = [head];
  if (INTERPRETERS.has(head.replace(/[\d.]+$/, "")) || INTERPRETERS.has(head)) {
    const script = rest.find((arg) => !arg.startsWith("-"));
    if (script !== undefined) names.push(basename(script));
  }
  return names;
}

// Words made of the characters that matter here, plus interpreter names, so that the
// interesting branches (paths, versions, dashes, spaces) come up often.
const piece = fc.oneof(
  fc.constantFrom(...INTERPRETERS, "sleep", "pi", "claude", "-", "/", " ", ".", "3", "11", "-u", "//", "a b"),
  fc.string({ maxLength: 6 }),
);
const word = fc.array(piece, { maxLength: 5 }).map((parts) => parts.join(""));

describe("programNames", () => {
  it("names what the plain definition names, for any argv", () => {
    fc.assert(
      fc.property(fc.array(word, { maxLength: 4 }), fc.string({ maxLength: 8 }), (argv, comm) => {
        expect(programNames(proc(argv, { comm }))).toEqual(reference(argv, comm));
      }),
      { numRuns: 2000 },
    );
  });

  it("withoutVersion drops trailing digits and dots, as /[\\d.]+$/ does", () => {
    fc.assert(
      fc.property(word, (name) => {
        expect(withoutVersion(name)).toBe(name.replace(/[\d.]+$/, ""));
      }),
      { numRuns: 2000 },
    );
  });
});
