import type { FleetStatus } from "./types.js";
import { agentVerdict } from "./verdict.js";

// Compliance is strict: any True or Unknown condition, or zero agents observed, is not
// compliant — a cron job that saw nothing must never report "all good".

export interface ComplianceSummary {
  agents: number;
  compliant: number;
  nonCompliant: number;
  unknown: number;
  /** "Compliant" only when every agent is observed and every condition is False. */
  verdict: "COMPLIANT" | "NONCOMPLIANT" | "UNKNOWN";
}

/** Count agents by their worst condition status. */
export function summarize(status: FleetStatus): ComplianceSummary {
  let compliant = 0;
  let nonCompliant = 0;
  let unknown = 0;
  for (const agent of status.agents) {
    const verdict = agentVerdict(agent);
    if (verdict === "failing") nonCompliant += 1;
    else if (verdict === "unknown") unknown += 1;
    else compliant += 1;
  }
  const agents = status.agents.length;
  // A session the roster does not list is a difference too (renamed or removed agents keep running).
  const verdict =
    nonCompliant > 0 || (status.unmanaged.length > 0 && unknown === 0 && agents > 0)
      ? "NONCOMPLIANT"
      : unknown > 0 || agents === 0
        ? "UNKNOWN"
        : "COMPLIANT";
  return { agents, compliant, nonCompliant, unknown, verdict };
}

/** The exit-code question of `fleet diff` and `fleet report`: everything observed, nothing wrong, nothing unmanaged. */
export function isCompliant(status: FleetStatus): boolean {
  return summarize(status).verdict === "COMPLIANT";
}
