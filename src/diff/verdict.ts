import type { AgentStatus, Condition, ConditionType } from "./types.js";

// Questions every consumer of the status asks of an agent's conditions — answered here
// once, so compliance, reports, the fix plan and the watch loop never re-derive them.

/** The agent's condition of `type` (every agent carries every type). */
export function findCondition(agent: Pick<AgentStatus, "conditions">, type: ConditionType): Condition | undefined {
  return agent.conditions.find((c) => c.type === type);
}

/** Whether the agent's `type` condition is True (something is wrong). */
export function isTrue(agent: Pick<AgentStatus, "conditions">, type: ConditionType): boolean {
  return findCondition(agent, type)?.status === "True";
}

/** An agent's worst condition: any True is failing; else any Unknown is unknown; else ok. */
export type AgentVerdict = "ok" | "failing" | "unknown";

export function agentVerdict(agent: Pick<AgentStatus, "conditions">): AgentVerdict {
  if (agent.conditions.some((c) => c.status === "True")) return "failing";
  if (agent.conditions.some((c) => c.status === "Unknown")) return "unknown";
  return "ok";
}

/** The conditions that are not False, in order: what a human format shows. */
export function notFalse(agent: Pick<AgentStatus, "conditions">): Condition[] {
  return agent.conditions.filter((c) => c.status !== "False");
}
