import type { AgentStatus, FixStep } from "../diff/index.js";
import { agentCount, unobserved } from "./condition-set.js";
import { safeText, UNKNOWN_STYLE, type Paint } from "./style.js";
import { shellLine } from "./shell-line.js";

// The fix plan rendered like `terraform plan`: numbered steps, disruptive ones marked,
// a summary line. Nothing is executed.

/** What the plan cannot cover: an Unknown condition has no remedy until it can be observed. */
function unplanned(agents: readonly AgentStatus[], paint: Paint): string[] {
  const u = unobserved(agents);
  if (u.count === 0) return [];
  const why = u.groups.map((g) => g.reason).join(", ");
  return [
    paint(
      UNKNOWN_STYLE,
      `Not planned: ${agentCount(u.count)} not fully observed (${why}); their Unknown conditions get no step until they can be observed.`,
    ),
  ];
}

/** Human-readable plan; with the agents, it also says what it could not plan for. */
export function renderFixPlan(steps: readonly FixStep[], paint: Paint, agents: readonly AgentStatus[] = []): string {
  const notPlanned = unplanned(agents, paint);
  if (steps.length === 0)
    return `${["Fix plan: nothing to do; no condition has a remedy to run.", ...notPlanned].join("\n")}\n`;
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
    ...notPlanned,
  );
  return `${lines.join("\n")}\n`;
}
