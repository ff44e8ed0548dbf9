import { buildFleetStatus, type FleetStatus } from "../diff/index.js";
import { observeFleet, type ObserveContext, remoteObserver, type SshHost } from "../observe/index.js";
import { thisMachineNames, type AgentSpec, type FleetSpec } from "../spec/index.js";
import { persistOptions } from "./ssh-control.js";

// One fleet status across hosts (docs/commands.md, Many hosts): this machine's agents
// (and those of hosts described `local: true`) observed here; each ssh host's agents
// observed there, all hosts in parallel; each host judged here with the roster we hold,
// against its own clock; the rows merged back in roster order.

/**
 * How to observe, plus the ssh options of a `--watch`'s multiplexed connections
 * (src/cli/ssh-multiplex.ts); without them, a one-shot run's (src/cli/ssh-control.ts).
 */
export type HostsContext = ObserveContext & { sshOptions?: readonly string[] };

interface StatusOptions {
  probes?: Map<string, { rttMs: number | null }>;
}

/** Which agents each described ssh host holds; everything else is observed here. */
function partition(fleet: FleetSpec, hostname: string) {
  const ssh = new Map<string, { host: SshHost; indices: number[] }>();
  const localNames = thisMachineNames(fleet, hostname);
  for (const host of fleet.hosts) {
    // This machine is always observed here, whatever the roster says to reach it by.
    if (host.name !== hostname && host.via === "ssh") ssh.set(host.name, { host, indices: [] });
  }
  const local: number[] = [];
  fleet.agents.forEach((agent, index) => {
    const group = ssh.get(agent.host);
    if (group) group.indices.push(index);
    else local.push(index);
  });
  return { ssh: [...ssh.values()].filter((g) => g.indices.length > 0), local, localNames };
}

/** Judge what was observed, with (local) probe results when there are any. */
export type JudgeFleet = (options?: StatusOptions) => FleetStatus;

/** Observe every agent of the fleet, each on its own host, once; judging is left to the caller. */
export async function observeAcrossHosts(fleet: FleetSpec, ctx: HostsContext): Promise<JudgeFleet> {
  const socket = ctx.socketOverride !== undefined ? { socketOverride: ctx.socketOverride } : {};
  const { ssh, local, localNames } = partition(fleet, ctx.hostname);
  const aliased = fleet.agents.some((a) => a.host !== ctx.hostname && localNames.has(a.host));
  if (ssh.length === 0 && !aliased) {
    // One host: exactly the single-host path.
    const observation = await observeFleet(fleet, ctx);
    return (options = {}) =>
      buildFleetStatus(fleet, observation, { nowMs: observation.observedAtMs, ...options, ...socket });
  }

  // A `local: true` host is this machine under another name: observed as this host.
  const localAgents = local.map((i) => fleet.agents[i] as AgentSpec);
  const localFleet: FleetSpec = {
    ...fleet,
    agents: localAgents.map((a) => (localNames.has(a.host) ? { ...a, host: ctx.hostname } : a)),
  };
  const { observeRemoteHost } = await remoteObserver();
  // A one-shot run reuses (or leaves up) a connection per host for the persist window.
  const remoteCtx = {
    env: ctx.env,
    timeoutMs: ctx.hostTimeoutMs ?? 5_000,
    sshOptions: ctx.sshOptions ?? persistOptions(ctx.env),
  };
  const [observation, ...remotes] = await Promise.all([
    observeFleet(localFleet, ctx),
    ...ssh.map(({ host, indices }) =>
      observeRemoteHost(
        host,
        fleet,
        indices.map((i) => fleet.agents[i] as AgentSpec),
        remoteCtx,
      ),
    ),
  ]);

  return (options = {}) => {
    const localStatus = buildFleetStatus(localFleet, observation, {
      nowMs: observation.observedAtMs,
      ...options,
      ...socket,
    });
    const rows = new Array<FleetStatus["agents"][number]>(fleet.agents.length);
    local.forEach((index, k) => {
      const row = localStatus.agents[k];
      if (row) rows[index] = { ...row, host: (fleet.agents[index] as AgentSpec).host };
    });
    const merged: FleetStatus = { ...localStatus, agents: [], unmanaged: [...localStatus.unmanaged] };
    const grouped = [...(localStatus.grouped ?? [])];
    const tenants = [...(localStatus.tenants ?? [])];
    const sources = [...localStatus.sources];

    ssh.forEach(({ host, indices }, k) => {
      const remote = remotes[k];
      if (remote === undefined) return;
      const hostFleet: FleetSpec = { ...fleet, agents: indices.map((i) => fleet.agents[i] as AgentSpec) };
      // Named as the roster names it, whatever the machine calls itself; judged by its own clock.
      const hostObservation = remote.ok
        ? { ...remote.observation, host: host.name }
        : {
            observedAtMs: observation.observedAtMs,
            host: host.name,
            user: ctx.user,
            tenants: new Map(),
            trees: new Map(),
            procReadable: true,
            unreachable: { reason: remote.reason, message: remote.message },
          };
      const status = buildFleetStatus(hostFleet, hostObservation, { nowMs: hostObservation.observedAtMs, ...socket });
      indices.forEach((index, j) => {
        const row = status.agents[j];
        if (row) rows[index] = row;
      });
      merged.unmanaged.push(...status.unmanaged);
      grouped.push(...(status.grouped ?? []));
      tenants.push(...(status.tenants ?? []));
      sources.push(...status.sources);
    });
    return { ...merged, agents: rows, tenants, sources, ...(grouped.length > 0 ? { grouped } : {}) };
  };
}
