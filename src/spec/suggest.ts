import { closest, distance } from "fastest-levenshtein";

// One did-you-mean rule for every name an operator types: roster keys, runtimes, agent
// names on the command line. Only a plausible typo is suggested (a few edits relative to
// the word's length), never an arbitrary nearest word.

/** The known word `typed` is plausibly a typo of, or undefined. */
export function didYouMean(typed: string, known: readonly string[]): string | undefined {
  if (known.length === 0 || typed === "") return undefined;
  const hint = closest(typed, [...known]);
  if (hint === typed) return undefined;
  return distance(typed.toLowerCase(), hint.toLowerCase()) <= Math.max(2, Math.floor(hint.length / 3))
    ? hint
    : undefined;
}
