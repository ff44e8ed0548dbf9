import type { AgentStatus, Condition, Reason } from "../diff/index.js";
import { safeText } from "./style.js";

// How a condition set reads to a human, in every human format (docs/conditions.md): a
// True condition by its name, an Unknown one as `?Name`, an all-False set as `-`. An
// Unknown condition must never read like a healthy one, so the agents that were not
// fully observed are also named once, grouped by why, under every human rendering.

/** What marks an Unknown condition's name (`?Stale`). */
export const UNKNOWN_MARK = "?";

/** One abnormal condition as a human sees it. */
export interface ConditionMark {
  label: string;
  status: "True" | "Unknown";
  condition: Condition;
}

/** The abnormal conditions, True (the problems) first, then Unknown, each in roster order. */
export function conditionMarks(conditions: readonly Condition[]): ConditionMark[] {
  const marks: ConditionMark[] = [];
  for (const status of ["True", "Unknown"] as const) {
    for (const condition of conditions) {
      if (condition.status !== status) continue;
      marks.push({
        label: status === "Unknown" ? `${UNKNOWN_MARK}${condition.type}` : condition.type,
        status,
        condition,
      });
    }
  }
  return marks;
}

/** Whether any condition of the agent is Unknown: it was not fully observed. */
export function notFullyObserved(agent: AgentStatus): boolean {
  return agent.conditions.some((c) => c.status === "Unknown");
}

/** Agents with an Unknown condition for one reason, and what the first of them says. */
export interface UnobservedGroup {
  reason: Reason;
  agents: string[];
  message: string;
}

/** The agents not fully observed, and why, grouped by reason (the most agents first). */
export interface Unobserved {
  count: number;
  groups: UnobservedGroup[];
}

/** Group the agents with any Unknown condition by the reasons of those conditions. */
export function unobserved(agents: readonly AgentStatus[]): Unobserved {
  const groups = new Map<Reason, UnobservedGroup>();
  let count = 0;
  for (const agent of agents) {
    const unknown = agent.conditions.filter((c) => c.status === "Unknown");
    if (unknown.length === 0) continue;
    count += 1;
    for (const condition of unknown) {
      const group = groups.get(condition.reason);
      if (group === undefined)
        groups.set(condition.reason, { reason: condition.reason, agents: [agent.name], message: condition.message });
      else if (!group.agents.includes(agent.name)) group.agents.push(agent.name);
    }
  }
  const ordered = [...groups.values()].sort((a, b) => b.agents.length - a.agents.length);
  return { count, groups: ordered };
}

/** "1 agent" / "3 agents". */
export function agentCount(n: number): string {
  return `${n} agent${n === 1 ? "" : "s"}`;
}

/** The headline of the unobserved footer: "2 agents not fully observed (?Name: Unknown)". */
export function unobservedHeadline(u: Unobserved): string {
  return `${agentCount(u.count)} not fully observed (a ${UNKNOWN_MARK}Name condition is Unknown):`;
}

const NAMED_AGENTS = 3;

/** One group as plain text, terminal-safe: `RemoteHost: far-away: agent runs on host …` (the first agent's message). */
export function unobservedGroupText(group: UnobservedGroup): string {
  const shown = group.agents.slice(0, NAMED_AGENTS).map(safeText).join(", ");
  const more = group.agents.length > NAMED_AGENTS ? ` and ${group.agents.length - NAMED_AGENTS} more` : "";
  return `${group.reason}: ${shown}${more}: ${safeText(group.message)}`;
}

/** The footer as plain, terminal-safe lines (none when every agent was fully observed). */
export function unobservedLines(agents: readonly AgentStatus[]): string[] {
  const u = unobserved(agents);
  if (u.count === 0) return [];
  return [unobservedHeadline(u), ...u.groups.map((g) => `  ${unobservedGroupText(g)}`)];
}
