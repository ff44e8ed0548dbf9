import { CONDITION_TYPES, type ConditionType } from "../types.js";
import { awaitingInput } from "./awaiting-input.js";
import { bootDisabled } from "./boot-disabled.js";
import type { ConditionCheck } from "./check.js";
import { crashLoop } from "./crash-loop.js";
import { drift } from "./drift.js";
import { noProgress } from "./no-progress.js";
import { paneDead } from "./pane-dead.js";
import { stale } from "./stale.js";
import { unitDown } from "./unit-down.js";

// Which check decides each condition. An exhaustive switch (no default: tsc and the
// lint rule switch-exhaustiveness-check both refuse a missing case), so a type added to
// CONDITION_TYPES cannot go unchecked: it must name its check here.
function checkFor(type: ConditionType): ConditionCheck {
  switch (type) {
    case "PaneDead":
      return paneDead;
    case "Stale":
      return stale;
    case "Drift":
      return drift;
    case "BootDisabled":
      return bootDisabled;
    case "UnitDown":
      return unitDown;
    case "CrashLoop":
      return crashLoop;
    case "AwaitingInput":
      return awaitingInput;
    case "NoProgress":
      return noProgress;
  }
}

/** Every condition check, in the order of CONDITION_TYPES (the order docs/conditions.md lists them). Adding a condition is one file here plus one case. */
export const CONDITION_CHECKS: ReadonlyArray<readonly [ConditionType, ConditionCheck]> = CONDITION_TYPES.map(
  (type) => [type, checkFor(type)] as const,
);

export type { CheckContext, ConditionCheck } from "./check.js";
export { checkContext } from "./check.js";
