import type { FixAction, FixStep, FleetStatus } from "../diff/index.js";
import { thisMachineNames, type AgentSpec, type FleetSpec } from "../spec/index.js";

// Before `fleet apply` runs a step, the step is checked against the roster itself, not
// trusted because the plan produced it (docs/commands.md): it must touch exactly the
// unit or session the roster names for that agent, run exactly the command its kind
// allows, and run as the agent's own tenant. Anything else is refused, never run.

export interface Invoking {
  user: string;
  uid: number;
  hostname: string;
  /** --socket / MOSAIC_FLEET_SOCKET, which beats the roster's socket. */
  socketOverride?: string;
}

/** A step that passed the checks: the command to run, and the tenant account to run it as (null: ourselves). */
export interface CheckedStep {
  step: FixStep;
  agent: AgentSpec;
  action: FixAction;
  runAs: { name: string; uid: number } | null;
}

export type StepCheck = { ok: true; checked: CheckedStep } | { ok: false; manual: boolean; why: string };

const SYSTEMCTL: Record<Exclude<FixAction["kind"], "kill-session" | "advice">, string[]> = {
  enable: ["enable"],
  start: ["start"],
  "enable-now": ["enable", "--now"],
  restart: ["restart"],
};

function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((word, i) => word === b[i]);
}

/** The one command each kind of action may run against `agent`. */
export function expectedCommand(kind: FixAction["kind"], agent: AgentSpec, socket: string): string[] | null {
  switch (kind) {
    case "enable":
    case "start":
    case "enable-now":
    case "restart":
      return ["systemctl", "--user", ...SYSTEMCTL[kind], agent.unit];
    case "kill-session":
      return ["tmux", "-L", socket, "kill-session", "-t", `=${agent.name}`];
    case "advice":
      return null;
    default: {
      const unreachable: never = kind;
      return unreachable;
    }
  }
}

/** Check one plan step against the roster and the invoking user; refuse anything the roster does not name. */
export function checkStep(step: FixStep, fleet: FleetSpec, status: FleetStatus, me: Invoking): StepCheck {
  const action = step.action;
  if (action === undefined) return { ok: false, manual: true, why: "the step carries no action to run" };
  if (action.kind === "advice") return { ok: false, manual: true, why: "a check for a human, not an action" };
  const matches = fleet.agents.filter(
    (a) => a.name === step.agent && a.tenant === step.tenant_id && a.host === step.host,
  );
  const agent = matches[0];
  if (agent === undefined || matches.length !== 1)
    return {
      ok: false,
      manual: false,
      why: `the roster names no agent ${step.agent} of ${step.tenant_id}@${step.host}`,
    };
  if (!thisMachineNames(fleet, me.hostname).has(agent.host))
    return { ok: false, manual: false, why: `agent ${agent.name} runs on ${agent.host}, not on this host` };
  const socket = me.socketOverride ?? agent.socket;
  const target = action.target;
  if ("unit" in target ? target.unit !== agent.unit : target.session !== agent.name || target.socket !== socket)
    return { ok: false, manual: false, why: `the step's target is not what the roster names for ${agent.name}` };
  const expected = expectedCommand(action.kind, agent, socket);
  if (expected === null || !sameArgv(action.command, expected))
    return {
      ok: false,
      manual: false,
      why: `the step's command is not the ${action.kind} of ${agent.name}'s unit or session`,
    };
  if (agent.tenant === me.user) {
    if (action.run_as !== null) return { ok: false, manual: false, why: "the step would run as another user" };
    return { ok: true, checked: { step, agent, action, runAs: null } };
  }
  // Another tenant's agent: only root, only as that tenant, only through its observed account.
  const tenant = status.tenants?.find((t) => t.tenant_id === agent.tenant && t.host === agent.host);
  if (me.uid !== 0 || action.run_as !== agent.tenant || !tenant?.delegated || tenant.uid === undefined)
    return {
      ok: false,
      manual: false,
      why: `agent ${agent.name} belongs to tenant ${agent.tenant}: only that user, or root acting as it, may change it`,
    };
  return { ok: true, checked: { step, agent, action, runAs: { name: agent.tenant, uid: tenant.uid } } };
}
