import { UserError } from "./exit-codes.js";

// One meaning per flag: a flag that only shapes another one is an error without it,
// never silently ignored (docs/commands.md). Each rule names both flags as typed.

export interface FlagRule<Options extends object> {
  /** The option's key in the command's options, and the flag as the operator types it. */
  flag: readonly [key: keyof Options & string, spelled: string];
  /** It only applies together with this one… */
  requires?: readonly [key: keyof Options & string, spelled: string];
  /** …or never together with this one. */
  conflicts?: readonly [key: keyof Options & string, spelled: string];
}

/** Throw the first broken rule as a usage error (exit 2). */
export function checkFlagRules<Options extends object>(options: Options, rules: readonly FlagRule<Options>[]): void {
  const given = (key: keyof Options) => options[key] !== undefined && options[key] !== false;
  for (const { flag, requires, conflicts } of rules) {
    if (!given(flag[0])) continue;
    if (requires && !given(requires[0]))
      throw new UserError(`${flag[1]} only applies with ${requires[1]}: add ${requires[1]}, or drop ${flag[1]}`);
    if (conflicts && given(conflicts[0]))
      throw new UserError(`${flag[1]} does not apply with ${conflicts[1]}: use one or the other`);
  }
}
