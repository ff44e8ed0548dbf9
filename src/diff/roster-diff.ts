import { atomizeChangeset, diff } from "json-diff-ts";
import type { AgentStatus, FleetStatus } from "./types.js";
import { findCondition } from "./verdict.js";

// `fleet diff`'s field-level view: for each agent, what the roster implies each layer
// should be against what the host has, diffed with json-diff-ts.

interface FieldChange {
  path: string;
  desired: unknown;
  actual: unknown;
}

export interface AgentDiff {
  agent: string;
  tenant_id: string;
  host: string;
  changes: FieldChange[];
}

interface LayerView {
  runtime?: string | null;
  pane?: string;
  unit?: { active?: string; enabled?: string };
  heartbeat?: string;
}

function isNotScheduled(agent: AgentStatus): boolean {
  return findCondition(agent, "PaneDead")?.reason === "NotScheduled";
}

/** What the roster says each observed layer should read. */
function desiredView(agent: AgentStatus): LayerView {
  if (isNotScheduled(agent)) return {};
  const view: LayerView = { runtime: agent.runtime.desired, pane: "alive" };
  if (agent.lifecycle === "core") {
    view.unit = { active: "active" };
    const bootRequired = findCondition(agent, "BootDisabled")?.reason !== "BootNotRequired";
    if (bootRequired) view.unit.enabled = "enabled";
  }
  if (agent.heartbeat.expected) view.heartbeat = "healthy";
  return view;
}

/** The same layers as observed. */
function actualView(agent: AgentStatus): LayerView {
  if (isNotScheduled(agent)) return {};
  const desired = desiredView(agent);
  const view: LayerView = { runtime: agent.runtime.actual ?? "none", pane: agent.pane.state };
  if (desired.unit) {
    view.unit = { active: agent.unit.active };
    if (desired.unit.enabled !== undefined) view.unit.enabled = agent.unit.enabled;
  }
  if (desired.heartbeat !== undefined) view.heartbeat = agent.heartbeat.state;
  return view;
}

/** Per agent, every field where the host differs from the roster. */
export function rosterDiff(status: FleetStatus): AgentDiff[] {
  return status.agents.map((agent) => {
    const changes = atomizeChangeset(diff(desiredView(agent), actualView(agent))).map((change) => ({
      path: change.path.replace(/^\$\./, ""),
      // json-diff-ts types the values `any`; they are JSON values of the two views.
      desired: (change.oldValue as unknown) ?? null,
      actual: (change.value as unknown) ?? null,
    }));
    return { agent: agent.name, tenant_id: agent.tenant_id, host: agent.host, changes };
  });
}
