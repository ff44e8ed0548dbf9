// The apply stage's front file (docs/architecture.md): checking and running fix-plan
// steps for `fleet apply`. Other folders import it only from here.

export { checkStep } from "./check-step.js";
export type { CheckedStep, Invoking } from "./check-step.js";
export { renderApplyPlan, renderStepResult } from "./render.js";
export type { PlannedStep } from "./render.js";
export { runStep } from "./run-step.js";
