import type { FleetObservation, SourceUnavailable, TmuxObservation, TmuxPane } from "../observe/index.js";
import type { AgentSpec, FleetSpec } from "../spec/index.js";
import { CONDITION_CHECKS } from "./conditions/index.js";
import { assessAgent } from "./assess.js";
import { leftSession, paneCommand, shortCommand } from "./runtime-match.js";
import { describeExit } from "./exit-status.js";
import { safeText } from "../terminal-text.js";
import type { AgentFacts, AgentStatus, FleetStatus, GroupedSession, UnmanagedSession } from "./types.js";

// Desired (roster) + actual (observation) → the one status object every format renders.
// Pure: the clock comes in as `nowMs`.

interface StatusOptions {
  nowMs: number;
  socketOverride?: string;
  /** Probe round trips by agent name (`fleet ps --probe`). */
  probes?: Map<string, { rttMs: number | null }>;
}

/** What the observation says of one agent (judged by buildAgentStatus; the watch also asks clock-deadline.ts of it). */
export function factsFor(agent: AgentSpec, socket: string, observation: FleetObservation): AgentFacts {
  const tenantObservation = observation.tenants.get(agent.tenant);
  const access = tenantObservation?.access;
  const hidden: AgentFacts["hidden"] =
    agent.host !== observation.host
      ? { reason: "RemoteHost", message: `agent runs on host ${agent.host}; this is ${observation.host}` }
      : observation.unreachable
        ? observation.unreachable
        : access === undefined
          ? { reason: "TenantNotVisible", message: `tenant ${agent.tenant} was not observed` }
          : access.visible
            ? null
            : { reason: access.reason, message: access.message };
  const tmuxObservation: TmuxObservation | SourceUnavailable | undefined = tenantObservation?.tmux.get(socket);
  const tmux: AgentFacts["tmux"] =
    tmuxObservation === undefined
      ? { ok: false, reason: "TmuxUnavailable", message: "tmux was not observed" }
      : tmuxObservation.ok
        ? { ok: true, pane: tmuxObservation.sessions.get(agent.name) ?? null }
        : tmuxObservation;
  const systemdObservation = tenantObservation?.systemd ?? null;
  const systemd: AgentFacts["systemd"] =
    systemdObservation === null
      ? { ok: false, reason: "SystemdUnavailable", message: "systemd was not observed" }
      : systemdObservation.ok
        ? {
            ok: true,
            unit: systemdObservation.units.get(agent.unit) ?? {
              name: agent.unit,
              load: "unknown",
              active: "unknown",
              sub: "unknown",
              enabled: "unknown",
            },
          }
        : systemdObservation;
  const pane = tmux.ok ? tmux.pane : null;
  const tree = pane && !pane.dead ? (observation.trees.get(pane.pid) ?? null) : null;
  const heartbeat = tenantObservation?.heartbeats.get(agent.name) ?? { state: "missing" as const };
  const heartbeatProcess =
    heartbeat.state === "present" ? (tenantObservation?.heartbeatProcesses.get(heartbeat.record.pid) ?? null) : null;
  const rootZombie = pane !== null && !pane.dead && tree === null && (observation.zombies?.has(pane.pid) ?? false);
  return {
    hidden,
    tmux,
    systemd,
    tree,
    treeKnown: observation.procReadable,
    ...(rootZombie ? { rootZombie } : {}),
    heartbeat,
    heartbeatProcess,
    tenant: tenantObservation ?? null,
  };
}

function agentStatus(
  agent: AgentSpec,
  socket: string,
  facts: AgentFacts,
  fleet: FleetSpec,
  options: StatusOptions,
): AgentStatus {
  const nowMs = options.nowMs;
  const probe = options.probes?.get(agent.name);
  const assessment = assessAgent(agent, facts, nowMs, fleet.runtimes);
  const conditions = CONDITION_CHECKS.map(([, check]) =>
    check({ agent, socket, facts, assessment, nowMs, catalog: fleet.runtimes }),
  );
  const pane = assessment.tmuxPane;
  const paneState = assessment.pane;
  const found = assessment.runtime;
  const unit = assessment.unit;
  const helpers = facts.tree ? leftSession(facts.tree).map((p) => shortCommand(p) ?? p.comm) : [];
  const hbRecord = facts.heartbeat.state === "present" ? facts.heartbeat.record : null;
  const health = assessment.heartbeat;

  return {
    name: agent.name,
    tenant_id: agent.tenant,
    host: agent.host,
    lifecycle: agent.lifecycle,
    socket,
    runtime: {
      desired: agent.runtime.name,
      actual: found ? (found.runtime ?? "unknown") : null,
      command: found ? shortCommand(found.process) : null,
      ...(helpers.length > 0 ? { helpers_left_session: helpers } : {}),
    },
    unit: {
      name: agent.unit,
      active: unit?.active ?? "unknown",
      sub: unit?.sub ?? "unknown",
      enabled: unit ? unit.enabled || "not-found" : "unknown",
      load: unit?.load ?? "unknown",
      ...(unit?.restarts
        ? { n_restarts: unit.restarts.count, result: unit.restarts.result, last_exit: unit.restarts.lastExit }
        : {}),
      ...(unit?.fileType !== undefined ? { file_type: unit.fileType } : {}),
    },
    pane: {
      state: paneState,
      target: pane?.paneId ?? null,
      pid: pane?.pid ?? null,
      command: pane?.currentCommand || (facts.tree ? paneCommand(facts.tree) : null),
      idle_s: pane ? Math.max(0, Math.round(nowMs / 1000 - pane.activity)) : null,
      ...(pane?.dead ? { exit_status: pane.deadStatus, exit: paneExit(pane) } : {}),
    },
    heartbeat: {
      state: health?.state ?? "unknown",
      age_s: health?.ageS ?? null,
      pid: hbRecord?.pid ?? null,
      status: hbRecord?.status ?? null,
      interval_s: agent.heartbeat.intervalS,
      expected: agent.heartbeat.expected,
      ...(hbRecord?.seq !== undefined ? { seq: hbRecord.seq } : {}),
      ...(hbRecord?.ack !== undefined ? { ack: hbRecord.ack } : {}),
      ...(hbRecord?.since !== undefined ? { since: hbRecord.since } : {}),
      ...(hbRecord?.note !== undefined ? { note: safeText(hbRecord.note) } : {}),
      ...(probe !== undefined ? { probe: { answered: probe.rttMs !== null, rtt_ms: probe.rttMs } } : {}),
    },
    conditions,
  };
}

/** A dead pane's `pane.exit` (docs/json.md). */
function paneExit(pane: TmuxPane): NonNullable<AgentStatus["pane"]["exit"]> {
  const exit = describeExit(pane.deadStatus, pane.deadSignal);
  return { status: exit.status, signal: exit.signal, lastLines: pane.lastLines ?? [] };
}

/**
 * Sessions on an observed socket that no roster agent of that tenant (and host) claims.
 * A session grouped with an agent's (`new-session -t`: grouped sessions share windows, so
 * `list-panes -a` lists the agent's pane under each member) is a view of that agent, not
 * an agent of its own: it is reported as grouped, never as unmanaged (docs/json.md).
 */
function unclaimedSessions(
  fleet: FleetSpec,
  observation: FleetObservation,
  socketOf: (a: AgentSpec) => string,
): { unmanaged: UnmanagedSession[]; grouped: GroupedSession[] } {
  const unmanaged: UnmanagedSession[] = [];
  const grouped: GroupedSession[] = [];
  for (const [tenant, tenantObservation] of observation.tenants) {
    // socket → the session names the roster claims there (for this tenant and host).
    const claimed = new Map<string, Set<string>>();
    for (const agent of fleet.agents) {
      if (agent.host !== observation.host || agent.tenant !== tenant) continue;
      const socket = socketOf(agent);
      const names = claimed.get(socket);
      if (names) names.add(agent.name);
      else claimed.set(socket, new Set([agent.name]));
    }
    for (const [socket, tmux] of tenantObservation.tmux) {
      if (!tmux.ok) continue;
      const names = claimed.get(socket);
      // The pane (a server-wide id) each claimed session shows → the agent it belongs to.
      const agentByPane = new Map<string, string>();
      for (const name of [...(names ?? [])].sort()) {
        const pane = tmux.sessions.get(name);
        if (pane && !agentByPane.has(pane.paneId)) agentByPane.set(pane.paneId, name);
      }
      const unclaimed = [...tmux.sessions.keys()].filter((session) => !names?.has(session)).sort();
      for (const session of unclaimed) {
        const where = { session, socket, tenant_id: tenant, host: observation.host };
        const agent = agentByPane.get(tmux.sessions.get(session)?.paneId ?? "");
        if (agent !== undefined) grouped.push({ ...where, agent });
        else unmanaged.push(where);
      }
    }
  }
  return { unmanaged, grouped };
}

/** One agent's row, judged exactly as buildFleetStatus judges it (`fleet ps --watch` re-judges one agent). */
export function buildAgentStatus(
  fleet: FleetSpec,
  observation: FleetObservation,
  agent: AgentSpec,
  options: StatusOptions,
): AgentStatus {
  const socket = options.socketOverride ?? agent.socket;
  return agentStatus(agent, socket, factsFor(agent, socket, observation), fleet, options);
}

/**
 * The fleet status object (docs/json.md), without the fix plan. `reuse` may hand back a
 * row already judged from the same facts (the watch's agents no event named).
 */
export function buildFleetStatus(
  fleet: FleetSpec,
  observation: FleetObservation,
  options: StatusOptions,
  reuse?: (agent: AgentSpec, index: number) => AgentStatus | undefined,
): FleetStatus {
  const socketOf = (agent: AgentSpec) => options.socketOverride ?? agent.socket;
  const agents = fleet.agents.map(
    (agent, index) => reuse?.(agent, index) ?? buildAgentStatus(fleet, observation, agent, options),
  );
  const sources: FleetStatus["sources"] = [];
  const tenants: FleetStatus["tenants"] = [];
  for (const [tenant, tenantObservation] of observation.tenants) {
    const access = tenantObservation.access;
    tenants.push({
      tenant_id: tenant,
      host: observation.host,
      observed: access.visible,
      ...(access.visible
        ? { uid: access.account.uid, delegated: access.delegated }
        : { reason: access.reason, message: access.message }),
    });
    const who = tenant === observation.user ? "" : ` (tenant ${tenant})`;
    for (const [socket, tmux] of tenantObservation.tmux) {
      if (!tmux.ok)
        sources.push({
          source: `tmux:${socket}`,
          tenant_id: tenant,
          host: observation.host,
          reason: tmux.reason,
          message: `${tmux.message}${who}`,
        });
    }
    const systemd = tenantObservation.systemd;
    if (systemd && !systemd.ok)
      sources.push({
        source: "systemd",
        tenant_id: tenant,
        host: observation.host,
        reason: systemd.reason,
        message: `${systemd.message}${who}`,
      });
  }
  if (observation.unreachable)
    sources.push({
      source: `host:${observation.host}`,
      tenant_id: observation.user,
      host: observation.host,
      reason: observation.unreachable.reason,
      message: observation.unreachable.message,
    });
  if (!observation.procReadable)
    sources.push({
      source: "proc",
      tenant_id: observation.user,
      host: observation.host,
      reason: "ProcUnavailable",
      message: "/proc could not be read; process trees are unknown",
    });
  const unclaimed = unclaimedSessions(fleet, observation, socketOf);
  return {
    apiVersion: "mosaic.fleet/v1",
    kind: "FleetStatus",
    fleet: fleet.fleet,
    roster: fleet.file,
    observedAt: new Date(options.nowMs).toISOString(),
    host: observation.host,
    tenant_id: observation.user,
    agents,
    unmanaged: unclaimed.unmanaged,
    ...(unclaimed.grouped.length > 0 ? { grouped: unclaimed.grouped } : {}),
    tenants,
    sources,
  };
}
