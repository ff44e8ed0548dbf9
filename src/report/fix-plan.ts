import type { FixStep } from "../diff/types.js";
import { safeText, shellLine, type Paint } from "./style.js";

// The fix plan rendered like `terraform plan`: numbered steps, disruptive ones marked,
// a summary line. Nothing is executed.

/** Human-readable plan. */
export function renderFixPlan(steps: readonly FixStep[], paint: Paint): string {
  if (steps.length === 0) return "Fix plan: nothing to do; no condition has a remedy to run.\n";
  const disruptive = steps.filter((s) => s.disruptive).length;
  const lines = [paint("bold", `Fix plan: ${steps.length} step${steps.length === 1 ? "" : "s"}, in order`), ""];
  steps.forEach((step, index) => {
    const mark = step.disruptive ? paint("red", "  [disruptive: restarts the agent]") : "";
    lines.push(`  ${String(index + 1).padStart(2)}. ${safeText(shellLine(step.argv))}${mark}`);
    lines.push(paint("dim", `      # ${safeText(step.agent)} ${step.condition}: ${safeText(step.why)}`));
  });
  lines.push("");
  lines.push(
    `Plan: ${steps.length - disruptive} safe, ${disruptive} disruptive. Nothing was changed; run the steps yourself.`,
  );
  return `${lines.join("\n")}\n`;
}
