import type { ConditionType } from "../types.js";
import { awaitingInput } from "./awaiting-input.js";
import { bootDisabled } from "./boot-disabled.js";
import type { ConditionCheck } from "./check.js";
import { drift } from "./drift.js";
import { noProgress } from "./no-progress.js";
import { paneDead } from "./pane-dead.js";
import { stale } from "./stale.js";
import { unitDown } from "./unit-down.js";

// Every condition check, in the order docs/conditions.md lists them. Adding a condition is
// one file here plus one line.
export const CONDITION_CHECKS: ReadonlyArray<readonly [ConditionType, ConditionCheck]> = [
  ["PaneDead", paneDead],
  ["Stale", stale],
  ["Drift", drift],
  ["BootDisabled", bootDisabled],
  ["UnitDown", unitDown],
  ["AwaitingInput", awaitingInput],
  ["NoProgress", noProgress],
];

export type { CheckContext, ConditionCheck } from "./check.js";
export { checkContext } from "./check.js";
