// The diff stage's front file (docs/architecture.md): other folders import it only from
// here. The roster diff (json-diff-ts) is reached through rosterDiffer(), loaded by
// `fleet diff` alone.

export { isCompliant, summarize } from "./compliance.js";
export type { ComplianceSummary } from "./compliance.js";
export { fixPlan } from "./fix-plan.js";
export { buildFleetStatus, factsFor } from "./status.js";
export { nextClockChangeMs } from "./clock-deadline.js";
export { CONDITION_TYPES } from "./types.js";
export type {
  AgentStatus,
  Condition,
  ConditionStatus,
  FixAction,
  FixStep,
  FleetDiffDocument,
  FleetStatus,
  Reason,
} from "./types.js";
export type { AgentDiff } from "./roster-diff.js";

/** `rosterDiff(status)`: the roster against live state, field by field; loaded on first use. */
export const rosterDiffer = () => import("./roster-diff.js");
