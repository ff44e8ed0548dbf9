import { existsSync } from "node:fs";
import { join } from "node:path";
import type { AgentSpec, FleetSpec } from "../spec/index.js";
import { clockMs, log, timed } from "../log.js";
import { observeHeartbeats } from "./heartbeat.js";
import { observeLinger } from "./linger.js";
import { processFromTable, scanProcessTable, treesFrom, zombieInTable, type ProcessTable } from "./proc.js";
import { readProcess, asOwnerSync } from "../system/index.js";
import { observeSystemd } from "./systemd.js";
import { lookupTenants, tenantAccess, type TenantAccess, type TenantAccount } from "./tenants.js";
import { observeTmux } from "./tmux.js";
import type { HostFailureReason } from "./remote.js";
import type {
  HeartbeatObservation,
  ProcessInfo,
  ProcessTree,
  SourceUnavailable,
  SystemdObservation,
  TmuxObservation,
} from "./types.js";

// The observe stage's front file (docs/architecture.md): other folders import it only
// from here. The wire format (zod) and the remote observer are reached through
// observationWire() and remoteObserver(), loaded only when a remote host is involved.
export { ProcessWatch, watchHeartbeatDir, watchTmux } from "./events.js";
export { addChanges, IncrementalObserver, noChanges } from "./incremental.js";
export type { Changes } from "./incremental.js";
export type { EventSource } from "./events.js";
export type { HostFailure, SshHost } from "./remote.js";
export { userManagerEnv } from "./systemd.js";
export { lookupTenants } from "./tenants.js";
export { PANE_DETAIL_FORMAT, parsePaneDetails } from "./tmux.js";
export type {
  HeartbeatObservation,
  PaneDetail,
  ProcessInfo,
  ProcessTree,
  SourceUnavailable,
  TmuxObservation,
  TmuxPane,
  UnitRestarts,
  UnitState,
} from "./types.js";

/** `encodeObservation` / `decodeObservation`: the FleetObservation wire format, loaded on first use. */
export const observationWire = () => import("./wire.js");
/** `observeRemoteHost`: one host over ssh, loaded on first use. */
export const remoteObserver = () => import("./remote.js");

// Builds the actual state of the fleet: per tenant, one batched call per source (one
// tmux call per socket, one or two systemd calls, heartbeat reads), one /proc scan for all,
// run concurrently. Observers report facts; the diff engine decides what is wrong.

export interface ObserveContext {
  env: NodeJS.ProcessEnv;
  uid: number;
  user: string;
  hostname: string;
  /** `$MOSAIC_HOME/fleet/run`: where the invoking user's heartbeats live. */
  runDir: string;
  now: () => number;
  timeoutMs: number;
  /** `--socket` / MOSAIC_FLEET_SOCKET: beats the roster. */
  socketOverride?: string;
  /** `--host-timeout`: the bound on one remote host's whole answer (default 5 s). */
  hostTimeoutMs?: number;
  /** $XDG_CACHE_HOME/mosaic (null: MOSAIC_NO_CACHE): where facts fixed for a manager's life are kept. */
  cacheDir?: string | null;
}

/** One tenant's part of the observation, read through that tenant's own instances. */
export interface TenantObservation {
  tenant: string;
  access: TenantAccess;
  tmux: Map<string, TmuxObservation | SourceUnavailable>;
  systemd: SystemdObservation | SourceUnavailable | null;
  heartbeats: Map<string, HeartbeatObservation>;
  heartbeatProcesses: Map<number, ProcessInfo | null>;
  /** Whether the tenant's manager starts at boot without a login; null: not judged here. */
  linger?: boolean | null;
}

export interface FleetObservation {
  observedAtMs: number;
  host: string;
  user: string;
  tenants: Map<string, TenantObservation>;
  trees: Map<number, ProcessTree | null>;
  /** False when /proc could not be read: process trees are then unknown, not empty. */
  procReadable: boolean;
  /** Pane roots that exited but were never reaped (zombies) at the scan. */
  zombies?: ReadonlySet<number>;
  /** Set when this (remote) host could not be observed at all: why, in ssh's words. */
  unreachable?: { reason: HostFailureReason; message: string };
}

/** Whether this host is the agent's host (other hosts are observed there, not here). */
function onThisHost(agent: AgentSpec, ctx: Pick<ObserveContext, "hostname">): boolean {
  return agent.host === ctx.hostname;
}

/** Whether this process is the agent's own tenant on its host. */
export function isLocal(agent: AgentSpec, ctx: Pick<ObserveContext, "hostname" | "user">): boolean {
  return onThisHost(agent, ctx) && agent.tenant === ctx.user;
}

/** The socket an agent is observed on, after overrides. */
function effectiveSocket(agent: AgentSpec, ctx: Pick<ObserveContext, "socketOverride">): string {
  return ctx.socketOverride ?? agent.socket;
}

const unavailable = (o: { ok: boolean; message?: string } | null) => (o && !o.ok ? (o.message ?? "unavailable") : null);

/** Start one tenant's subprocess calls (they run while the caller scans /proc). */
function startTenant(
  tenant: string,
  agents: AgentSpec[],
  access: TenantAccess,
  ctx: ObserveContext,
): Promise<TenantObservation> {
  const empty: TenantObservation = {
    tenant,
    access,
    tmux: new Map(),
    systemd: null,
    heartbeats: new Map(),
    heartbeatProcesses: new Map(),
  };
  if (!access.visible) return Promise.resolve(empty);
  const uid = access.account.uid;
  const sockets = [...new Set(agents.map((agent) => effectiveSocket(agent, ctx)))];
  const units = [...new Set(agents.map((agent) => agent.unit))];
  const runtimeDir = access.env["XDG_RUNTIME_DIR"];
  const managerMissing =
    access.delegated && (runtimeDir === undefined || !existsSync(join(runtimeDir, "systemd", "private")));

  // Spawned now, synchronously; awaited below.
  const tmuxResults = Promise.all(
    sockets.map(async (socket) => {
      const observed = await timed(
        "observe.tmux",
        { tenant_id: tenant, host: ctx.hostname, socket },
        () =>
          observeTmux(socket, {
            env: access.env,
            uid,
            timeoutMs: ctx.timeoutMs,
            as: access.delegated ? access.account : null,
          }),
        unavailable,
      );
      return [socket, observed] as const;
    }),
  );
  const systemd =
    units.length === 0
      ? Promise.resolve(null)
      : managerMissing
        ? Promise.resolve<SourceUnavailable>({
            ok: false,
            reason: "SystemdUnavailable",
            message: `no running systemd user manager (${runtimeDir ?? "/run/user/UID"})`,
          })
        : timed(
            "observe.systemd",
            { tenant_id: tenant, host: ctx.hostname, units: units.length },
            () =>
              observeSystemd(units, {
                env: access.env,
                uid,
                timeoutMs: ctx.timeoutMs,
                as: access.delegated ? access.account : null,
                cache: ctx.cacheDir ? { dir: ctx.cacheDir, uid: ctx.uid } : null,
              }),
            unavailable,
          );

  // Heartbeats need no subprocess: read them while tmux and systemctl answer.
  // Read with the tenant's own rights: root's reading cannot be aimed at root-only files.
  const heartbeats = asOwnerSync(access.delegated ? access.account : null, () =>
    observeHeartbeats(
      { tenant, host: ctx.hostname },
      access.runDir,
      agents.filter((a) => a.heartbeat.expected).map((a) => a.name),
      uid,
    ),
  );

  // Only worth a look when a unit is expected to start at boot.
  const linger = agents.some((a) => a.lifecycle === "core" && a.boot === "enabled")
    ? observeLinger(access.account.name, uid, ctx.env, runtimeDir)
    : null;

  return Promise.all([tmuxResults, systemd]).then(([tmux, unitStates]) => ({
    tenant,
    access,
    tmux: new Map(tmux),
    systemd: unitStates,
    heartbeats,
    heartbeatProcesses: new Map(),
    linger,
  }));
}

/** Observe every agent on this host, each through its own tenant. */
export async function observeFleet(fleet: FleetSpec, ctx: ObserveContext): Promise<FleetObservation> {
  const here = fleet.agents.filter((agent) => onThisHost(agent, ctx));
  const byTenant = new Map<string, AgentSpec[]>();
  for (const agent of here) {
    const list = byTenant.get(agent.tenant);
    if (list) list.push(agent);
    else byTenant.set(agent.tenant, [agent]);
  }
  const others = [...byTenant.keys()].filter((tenant) => tenant !== ctx.user);
  const accounts: Map<string, TenantAccount | null> =
    others.length > 0 ? await lookupTenants(others, ctx.env, ctx.timeoutMs) : new Map<string, TenantAccount | null>();
  const invoker = { uid: ctx.uid, user: ctx.user, env: ctx.env, runDir: ctx.runDir };

  const pending = Promise.all(
    [...byTenant].map(([tenant, agents]) =>
      startTenant(tenant, agents, tenantAccess(tenant, accounts.get(tenant), invoker), ctx),
    ),
  );

  // The /proc scan runs while the subprocesses do; only building trees needs tmux's pids.
  const procStarted = clockMs();
  let table: ProcessTable | null = null;
  if (here.length > 0) {
    try {
      table = scanProcessTable();
    } catch (error) {
      log("warn", { step: "observe.proc", error: (error as Error).message }, "cannot read /proc");
    }
  }
  const observed = await pending;

  const rootPids: number[] = [];
  for (const observation of observed) {
    for (const tmux of observation.tmux.values()) {
      if (!tmux.ok) continue;
      for (const pane of tmux.sessions.values()) if (!pane.dead && pane.pid > 0) rootPids.push(pane.pid);
    }
  }
  const trees = table ? treesFrom(table, rootPids) : new Map<number, ProcessTree | null>();
  const zombies = new Set(table ? rootPids.filter((pid) => trees.get(pid) == null && zombieInTable(table, pid)) : []);
  log(
    "debug",
    { step: "observe.proc", roots: rootPids.length, ms: Math.round(clockMs() - procStarted) },
    "observe.proc done",
  );

  // A heartbeat's writer is usually in its pane's tree, already read; else from the table.
  const known = new Map<number, ProcessInfo>();
  for (const tree of trees.values()) for (const process of tree?.processes ?? []) known.set(process.pid, process);
  for (const observation of observed) {
    for (const hb of observation.heartbeats.values()) {
      if (hb.state !== "present" || observation.heartbeatProcesses.has(hb.record.pid)) continue;
      const pid = hb.record.pid;
      observation.heartbeatProcesses.set(
        pid,
        known.get(pid) ?? (table ? processFromTable(table, pid) : readProcess(pid)),
      );
    }
  }

  return {
    observedAtMs: ctx.now(),
    host: ctx.hostname,
    user: ctx.user,
    tenants: new Map(observed.map((o) => [o.tenant, o])),
    trees,
    procReadable: table !== null || rootPids.length === 0,
    zombies,
  };
}
