// Issue 13 class 8, "Unknown never looks healthy": for random condition sets with at
// least one Unknown, every human format renders the agent differently from the same
// agent with every condition False (docs/conditions.md), and neither `fleet diff` nor
// `fleet report` calls such a fleet compliant. One mechanism: src/report/condition-set.ts.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isCompliant } from "../../src/diff/compliance.js";
import { rosterDiff } from "../../src/diff/roster-diff.js";
import type { AgentStatus, FleetStatus } from "../../src/diff/types.js";
import { conditionMarks, unobservedLines } from "../../src/report/condition-set.js";
import { renderDiff } from "../../src/report/diff-text.js";
import { renderFixPlan } from "../../src/report/fix-plan.js";
import { reportInput } from "../../src/report/formats.js";
import { render as renderHtml } from "../../src/report/html.js";
import { render as renderJunit } from "../../src/report/junit.js";
import { render as renderMarkdown } from "../../src/report/markdown.js";
import { painter } from "../../src/report/style.js";
import { renderTable, type TableLayout } from "../../src/report/table.js";
import { allFalse, arbAgent, arbConditions, statusOf } from "./arbitrary-fleet.js";

const plain = painter(false);
const colour = painter(true);

/** Each human rendering of a one-agent fleet, by name. */
const HUMAN: Record<string, (status: FleetStatus) => string> = {
  table: (s) => renderTable(s, plain),
  "table (colour)": (s) => renderTable(s, colour),
  wide: (s) => renderTable(s, plain, { kind: "wide" }),
  ...Object.fromEntries(
    [40, 60, 80, 120].map((width) => {
      const layout: TableLayout = { kind: "fit", width };
      return [`table fitted to ${width}`, (s: FleetStatus) => renderTable(s, plain, layout)];
    }),
  ),
  markdown: (s) => renderMarkdown(reportInput(s)),
  html: (s) => renderHtml(reportInput(s)),
  junit: (s) => renderJunit(reportInput(s)),
  "diff text": (s) => renderDiff(s, rosterDiff(s), plain),
  "fix-plan text": (s) => renderFixPlan(s.fixPlan ?? [], plain, s.agents),
};

/** An agent with at least one Unknown condition, and the same agent with every condition False. */
const arbPair = fc
  .tuple(arbAgent, arbConditions, fc.nat({ max: 4 }))
  .map(([agent, conditions, forced]): [AgentStatus, AgentStatus] => {
    const withUnknown = conditions.map((c, i) =>
      i === forced && c.status !== "Unknown"
        ? { ...c, status: "Unknown" as const, reason: "TmuxUnavailable" as const }
        : c,
    );
    return [
      { ...agent, conditions: withUnknown },
      { ...agent, conditions: allFalse() },
    ];
  });

/** The agent's own line(s) in a table rendering: the row after the header. */
function agentRow(text: string): string {
  const lines = text.split("\n");
  const header = lines.findIndex((line) => line.startsWith("NAME"));
  return lines[header + 1] ?? "";
}

describe("an agent with any Unknown condition never renders like a healthy one", () => {
  it.each(Object.keys(HUMAN))("%s", (format) => {
    const render = HUMAN[format]!;
    fc.assert(
      fc.property(arbPair, ([unknown, healthy]) => {
        const seen = render(statusOf([unknown]));
        const fine = render(statusOf([healthy]));
        expect(seen).not.toBe(fine);
        if (format.startsWith("table") || format === "wide") {
          // Not only somewhere in the output: the agent's own row differs.
          expect(agentRow(seen)).not.toBe(agentRow(fine));
          expect(seen).toMatch(/not fully observed/);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("Unknown is marked ?Name and never shrinks to the healthy `-`", () => {
    fc.assert(
      fc.property(arbPair, ([unknown]) => {
        const marks = conditionMarks(unknown.conditions);
        expect(marks.some((m) => m.label.startsWith("?") && m.status === "Unknown")).toBe(true);
        expect(unobservedLines([unknown])[0]).toMatch(/^1 agent not fully observed/);
      }),
    );
  });

  it("fleet diff and fleet report are never compliant with an Unknown condition", () => {
    fc.assert(
      fc.property(fc.array(arbAgent, { maxLength: 6 }), arbPair, (others, [unknown]) => {
        const status = statusOf([...others, unknown]);
        expect(isCompliant(status)).toBe(false);
        expect(reportInput(status).summary.verdict).not.toBe("COMPLIANT");
      }),
    );
  });
});
