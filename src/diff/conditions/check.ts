import type { HeartbeatRecord } from "../../heartbeat/index.js";
import type { RuntimeSpec, AgentSpec } from "../../spec/index.js";
import { assessAgent, type Assessment } from "../assess.js";
import type { AgentFacts, Condition, ConditionType } from "../types.js";

/** What every condition check gets: the agent as desired, as observed, and the clock. */
export interface CheckContext {
  agent: AgentSpec;
  /** The socket actually observed (after --socket / MOSAIC_FLEET_SOCKET). */
  socket: string;
  facts: AgentFacts;
  /** The facts judged once (pane state, runtime, heartbeat health): read this, do not re-derive. */
  assessment: Assessment;
  nowMs: number;
  catalog: Map<string, RuntimeSpec>;
}

export type ConditionCheck = (ctx: CheckContext) => Condition;

/** The Unknown every check returns for an agent that cannot be seen from here. */
export function hiddenCondition(type: ConditionType, ctx: CheckContext): Condition | null {
  const hidden = ctx.facts.hidden;
  return hidden ? { type, status: "Unknown", reason: hidden.reason, message: hidden.message } : null;
}

/** True when an ephemeral agent is simply not running (not a problem). */
export function notScheduled(ctx: CheckContext): boolean {
  const { tmux } = ctx.facts;
  return ctx.agent.lifecycle === "ephemeral" && tmux.ok && tmux.pane === null;
}

/**
 * The agent's own word on its state, for the checks that read it (AwaitingInput,
 * NoProgress): the heartbeat record when it was judged healthy, else the Unknown that
 * says why it cannot tell.
 */
export function freshHeartbeat(
  type: ConditionType,
  ctx: CheckContext,
): { record: HeartbeatRecord } | { unknown: Condition } {
  const health = ctx.assessment.heartbeat;
  const hb = ctx.facts.heartbeat;
  if (health === null)
    return { unknown: { type, status: "Unknown", reason: "NoHeartbeat", message: "no heartbeat was judged" } };
  if (health.state !== "healthy" || hb.state !== "present") {
    const message = `no fresh heartbeat to tell: ${health.message}`;
    return { unknown: { type, status: "Unknown", reason: health.reason, message } };
  }
  return { record: hb.record };
}

/** A check's context with its assessment made from the facts (what status.ts does per agent). */
export function checkContext(
  agent: AgentSpec,
  socket: string,
  facts: AgentFacts,
  nowMs: number,
  catalog: Map<string, RuntimeSpec>,
): CheckContext {
  return { agent, socket, facts, assessment: assessAgent(agent, facts, nowMs, catalog), nowMs, catalog };
}
