import { describe, expectTypeOf, it } from "vitest";
import type { OptionsFit } from "../../src/cli/main.js";
import type { PsOptions } from "../../src/cli/commands/fleet-ps.js";

// Each command's run() declares its options; src/cli/main.ts checks them against the
// options commander parses from that command's flags (@commander-js/extra-typings).
// These are compile-time checks: `tsc --noEmit` (part of `npm test`) fails if the check
// stops telling a fitting declaration from a wrong one.

describe("typed command options", () => {
  it("a declaration that reads only flags of the command, at their types, fits", () => {
    expectTypeOf<OptionsFit<{ roster?: string; color: boolean }, { roster?: string }>>().toEqualTypeOf<unknown>();
    expectTypeOf<OptionsFit<{ timeout: string }, { timeout?: string }>>().toEqualTypeOf<unknown>();
    expectTypeOf<OptionsFit<{ verify?: true }, { verify?: boolean }>>().toEqualTypeOf<unknown>();
  });

  it("an option the command reads but has no flag for does not fit (a typo, or a flag removed)", () => {
    expectTypeOf<OptionsFit<{ probeTimeout?: string }, { probeTimout?: string }>>().toBeNever();
    expectTypeOf<OptionsFit<{ roster?: string }, { roster?: string; socket?: string }>>().toBeNever();
  });

  it("an option read at another type than its flag gives does not fit", () => {
    expectTypeOf<OptionsFit<{ fixPlan?: true }, { fixPlan?: string }>>().toBeNever();
    expectTypeOf<OptionsFit<{ output?: "table" | "csv" }, { output?: "table" | "json" }>>().toBeNever();
  });

  it("fleet ps's declaration fits what its flags parse to, and a wrong one does not", () => {
    type PsParsed = {
      roster?: string;
      tenant?: string;
      color: boolean;
      host?: string;
      hostTimeout: string;
      output?: "table" | "wide" | "json" | "yaml";
      json?: true;
      socket?: string;
      fixPlan?: true;
      probe?: true;
      probeTimeout?: string;
      watch?: true;
      interval?: string;
    };
    expectTypeOf<OptionsFit<PsParsed, PsOptions>>().toEqualTypeOf<unknown>();
    expectTypeOf<OptionsFit<Omit<PsParsed, "interval">, PsOptions>>().toBeNever();
  });
});
