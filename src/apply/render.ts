import type { FixStep } from "../diff/index.js";
import { safeText, type Paint, shellLine } from "../report/index.js";

// What `fleet apply` prints: the plan (terraform style: what, why, safe or disruptive,
// and what will happen to it in this run), then one line per step as it runs.

export type Disposition = "run" | "skip-disruptive" | "manual" | "refused";

export interface PlannedStep {
  step: FixStep;
  disposition: Disposition;
  /** Why a step will not run (manual, refused). */
  note?: string;
}

const LABEL: Record<Disposition, string> = {
  run: "will run",
  "skip-disruptive": "skipped: disruptive, needs --allow-disruptive",
  manual: "manual: not run by apply",
  refused: "refused",
};

/** The numbered plan. */
export function renderApplyPlan(planned: readonly PlannedStep[], paint: Paint): string {
  if (planned.length === 0) return "Plan: nothing to do; the fleet matches its roster as far as apply can tell.\n";
  const lines = [paint("bold", `Plan: ${planned.length} step${planned.length === 1 ? "" : "s"}, in order`), ""];
  planned.forEach(({ step, disposition, note }, index) => {
    const kind = step.disruptive ? paint("red", "disruptive") : paint("green", "safe");
    const label = disposition === "run" ? LABEL.run : paint("yellow", LABEL[disposition]);
    lines.push(`  ${String(index + 1).padStart(2)}. ${safeText(shellLine(step.argv))}`);
    lines.push(`      ${kind}; ${label}${note ? ` (${safeText(note)})` : ""}`);
    lines.push(paint("dim", `      # ${safeText(step.agent)} ${step.condition}: ${safeText(step.why)}`));
  });
  const count = (d: Disposition) => planned.filter((p) => p.disposition === d).length;
  lines.push("");
  lines.push(
    `Plan: ${count("run")} to run, ${count("skip-disruptive")} disruptive skipped, ${count("manual")} manual, ${count("refused")} refused.`,
  );
  return `${lines.join("\n")}\n`;
}

/** One step's outcome line. */
export function renderStepResult(
  index: number,
  total: number,
  step: FixStep,
  outcome: "ok" | "failed" | "skipped",
  detail: string,
  paint: Paint,
): string {
  const mark =
    outcome === "ok"
      ? paint("green", "ok")
      : outcome === "failed"
        ? paint("red", "FAILED")
        : paint("yellow", "skipped");
  return `  [${index}/${total}] ${safeText(shellLine(step.argv))}: ${mark}${detail ? ` (${safeText(detail)})` : ""}\n`;
}
