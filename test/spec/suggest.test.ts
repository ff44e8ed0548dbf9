// The one did-you-mean rule (src/spec/suggest.ts) shared by roster keys and agent names
// on the command line: a one-edit typo of a known name always gets a suggestion at
// least as close as the name meant; an exact name never gets one; a word far from every
// name gets none.

import { distance } from "fastest-levenshtein";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { didYouMean } from "../../src/spec/suggest.js";

const name = fc.stringMatching(/^[a-z][a-z0-9_-]{3,20}$/);

/** `word` with one character inserted, deleted or replaced at `at`. */
function oneEdit(word: string, at: number, kind: number, char: string): string {
  const i = at % word.length;
  if (kind === 0) return word.slice(0, i) + char + word.slice(i);
  if (kind === 1) return word.slice(0, i) + word.slice(i + 1);
  return word.slice(0, i) + char + word.slice(i + 1);
}

describe("didYouMean", () => {
  it("property: a one-edit typo gets a known name no farther than the one meant", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { minLength: 1, maxLength: 12 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 2 }),
        fc.constantFrom("x", "-", "0", "q"),
        (known, pick, at, kind, char) => {
          const meant = known[pick % known.length] as string;
          const typed = oneEdit(meant, at, kind, char);
          fc.pre(!known.includes(typed));
          const hint = didYouMean(typed, known);
          expect(hint).toBeDefined();
          expect(known).toContain(hint);
          expect(distance(typed, hint as string)).toBeLessThanOrEqual(distance(typed, meant));
        },
      ),
    );
  });

  it("property: an exact name never gets a suggestion", () => {
    fc.assert(
      fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 12 }), fc.nat(), (known, pick) => {
        expect(didYouMean(known[pick % known.length] as string, known)).toBeUndefined();
      }),
    );
  });

  it("a word unlike every name gets none", () => {
    expect(didYouMean("zzzzzzzz", ["canary-pi", "dogfood-coder"])).toBeUndefined();
    expect(didYouMean("anything", [])).toBeUndefined();
  });
});
