import { summarize, type ComplianceSummary, type FleetStatus } from "../diff/index.js";
import type { HistoryEntry } from "./history.js";

// What every report format renders, and the one verdict sentence they all say.

export type Verdict = ComplianceSummary["verdict"];
type ReportSummary = ComplianceSummary & { unmanaged: number };

/** What every report format renders: the `fleet ps` status, its summary, and past runs. */
export interface ReportInput {
  status: FleetStatus;
  summary: ReportSummary;
  history?: HistoryEntry[];
}

/** One sentence every format uses, so UNKNOWN is never worded as "all compliant". */
export function verdictSentence(summary: ComplianceSummary): string {
  if (summary.agents === 0)
    return "UNKNOWN: the roster lists no agents, so nothing was checked; this is not compliance.";
  if (summary.verdict === "NONCOMPLIANT") {
    return `NONCOMPLIANT: ${summary.nonCompliant} of ${summary.agents} agent${summary.agents === 1 ? "" : "s"} ${summary.nonCompliant === 1 ? "has" : "have"} a True condition.`;
  }
  if (summary.verdict === "UNKNOWN") {
    return `UNKNOWN: ${summary.unknown} of ${summary.agents} agent${summary.agents === 1 ? "" : "s"} could not be fully observed; unknown is not compliant.`;
  }
  return `COMPLIANT: all ${summary.agents} agent${summary.agents === 1 ? "" : "s"} observed, every condition False.`;
}

/** The report input for a status: the same summary `fleet diff` uses, plus unmanaged. */
export function reportInput(status: FleetStatus, history?: HistoryEntry[]): ReportInput {
  const summary = { ...summarize(status), unmanaged: status.unmanaged.length };
  return history === undefined ? { status, summary } : { status, summary, history };
}
