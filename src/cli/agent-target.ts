import { type AgentSpec, type FleetSpec, didYouMean, thisMachineNames } from "../spec/index.js";
import { checkTmuxSocket } from "../system/index.js";
import type { ObserveContext } from "../observe/index.js";
import { safeText } from "../terminal-text.js";
import { EXIT_PANE_GONE, EXIT_USAGE, UserError } from "./exit-codes.js";

// Resolving `agent … NAME` to exactly one roster agent and its socket: exact names only
// (`agent1` never means `agent10`), local agents only, a socket that passed the safety
// checks.

interface AgentTarget {
  agent: AgentSpec;
  socket: string;
  socketPath: string;
}

/** The roster agent named exactly `name`, on a safe socket; else a UserError with the documented code. */
export function resolveAgentTarget(fleet: FleetSpec, name: string | undefined, ctx: ObserveContext): AgentTarget {
  if (!name) throw new UserError("missing agent NAME");
  const matches = fleet.agents.filter((a) => a.name === name);
  const here = thisMachineNames(fleet, ctx.hostname);
  const agent = matches.find((a) => here.has(a.host) && a.tenant === ctx.user) ?? matches[0];
  if (!agent) {
    const hint = didYouMean(name, [...new Set(fleet.agents.map((a) => a.name))]);
    const near = hint !== undefined ? `; did you mean "${hint}"?` : " (names must match exactly)";
    throw new UserError(`no such agent "${safeText(name)}" in ${safeText(fleet.file)}${near}`, EXIT_USAGE);
  }
  if (!here.has(agent.host)) {
    throw new UserError(`agent "${name}" runs on host ${agent.host}, not on this host (${ctx.hostname})`, EXIT_USAGE);
  }
  if (agent.tenant !== ctx.user) {
    throw new UserError(`agent "${name}" belongs to tenant ${agent.tenant}; run this as that user`, EXIT_USAGE);
  }
  const socket = ctx.socketOverride ?? agent.socket;
  const check = checkTmuxSocket(socket, ctx.env, ctx.uid);
  if (!check.ok) {
    throw new UserError(check.message, check.reason === "SocketUnsafe" ? EXIT_USAGE : EXIT_PANE_GONE);
  }
  return { agent, socket, socketPath: check.path };
}
