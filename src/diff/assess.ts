import type { TmuxPane, UnitState } from "../observe/index.js";
import type { RuntimeSpec, AgentSpec } from "../spec/index.js";
import { heartbeatHealth, type HeartbeatHealth } from "./heartbeat-health.js";
import { identifyRuntime, type RuntimeMatch } from "./runtime-match.js";
import type { AgentFacts, PaneState } from "./types.js";

// One agent's facts judged once: the pane's state, the runtime it runs, its heartbeat's
// health. The status row and every condition read this, so the table and the
// conditions can never disagree (e.g. /proc unreadable: PANE and PaneDead both say what
// tmux knows, and Drift — which needs the process tree — is Unknown).

export interface Assessment {
  /** False when the agent cannot be observed from here (another host, tenant …). */
  visible: boolean;
  pane: PaneState;
  /** The agent's pane as tmux reports it, when tmux answered and the session exists. */
  tmuxPane: TmuxPane | null;
  /** Whether the process tree is known: false when /proc could not be read. */
  treeKnown: boolean;
  /** What the pane's process tree runs; null without a running process (or tree). */
  runtime: RuntimeMatch | null;
  /** The heartbeat's health; null when not expected or not visible. */
  heartbeat: HeartbeatHealth | null;
  unit: UnitState | null;
}

/** Judge `facts` for `agent` at `nowMs`. Pure. */
export function assessAgent(
  agent: AgentSpec,
  facts: AgentFacts,
  nowMs: number,
  catalog: Map<string, RuntimeSpec>,
): Assessment {
  const visible = facts.hidden === null;
  const tmuxPane = visible && facts.tmux.ok ? facts.tmux.pane : null;
  return {
    visible,
    pane: paneState(facts, visible),
    tmuxPane,
    treeKnown: facts.treeKnown,
    runtime: visible && facts.tree ? identifyRuntime(facts.tree, agent.runtime, catalog) : null,
    heartbeat: visible && agent.heartbeat.expected ? heartbeatHealth(agent, facts, nowMs) : null,
    unit: visible && facts.systemd.ok ? facts.systemd.unit : null,
  };
}

/**
 * The pane, in one rule: tmux decides whether the session exists and whether its
 * process exited; /proc, when readable, also catches a pane process that is gone
 * before tmux noticed. With /proc unreadable, tmux's word stands.
 */
function paneState(facts: AgentFacts, visible: boolean): PaneState {
  if (!visible || !facts.tmux.ok) return "unknown";
  const pane = facts.tmux.pane;
  if (pane === null) return "missing";
  if (pane.dead) return "dead";
  if (facts.tree === null && facts.treeKnown) return "dead";
  return "alive";
}
