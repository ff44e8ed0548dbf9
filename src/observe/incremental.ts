import { observeHeartbeats } from "./heartbeat.js";
import { isLocal, type FleetObservation, type ObserveContext, type TenantObservation } from "./index.js";
import { processFromTable, treesFrom, zombieInTable, type ProcessTable } from "./proc.js";
import { observeTmux } from "./tmux.js";
import { bootTimeSec, DEFAULT_PROC_ROOT, ProcessIndexCache, readProcess } from "../system/index.js";
import type { AgentSpec, FleetSpec } from "../spec/index.js";
import type { HeartbeatObservation, ProcessTree, SourceUnavailable, TmuxObservation } from "./types.js";

// `fleet ps --watch` between full passes (docs/commands.md, Watch): an event names what
// changed — a heartbeat file (inotify), a tmux server (control mode), a pane's or a
// heartbeat writer's process (gone from /proc) — and only those facts are read again,
// through the very observers a full pass uses, into the observation the watch holds.
// Only the invoking user's own agents on this host are refreshed this way: other
// tenants' and other hosts' facts come from full passes.

/** What the events since the last refresh named. */
export interface Changes {
  /** Agents whose heartbeat file changed. */
  heartbeats: Set<string>;
  /** Agents everything about is read again (their tmux server's pane list too). */
  agents: Set<string>;
  /**
   * Agents whose pane or heartbeat writer process exited: their processes and heartbeat
   * are read again at once; tmux, which learns of it a moment later, is asked next
   * (the watch loop's follow-up), so the death shows without waiting for tmux.
   */
  exited: Set<string>;
  /** tmux sockets whose server said something changed: their pane list is read again. */
  sockets: Set<string>;
}

export function noChanges(): Changes {
  return { heartbeats: new Set(), agents: new Set(), exited: new Set(), sockets: new Set() };
}

/** Merge `more` into `into`. */
export function addChanges(into: Changes, more: Changes): void {
  for (const name of more.heartbeats) into.heartbeats.add(name);
  for (const name of more.agents) into.agents.add(name);
  for (const name of more.exited) into.exited.add(name);
  for (const socket of more.sockets) into.sockets.add(socket);
}

/** What one refresh read again: the agents to judge again (null: do a full pass instead). */
export type Refreshed = { judge: Set<string> } | null;

/** Everything tmux says of one agent's pane (not its activity, which a clock tick re-judges). */
function paneKey(tmux: TmuxObservation | SourceUnavailable | undefined, name: string): string {
  if (tmux === undefined) return "unobserved";
  if (!tmux.ok) return `unavailable ${tmux.reason} ${tmux.message}`;
  const pane = tmux.sessions.get(name);
  if (pane === undefined) return "missing";
  return JSON.stringify([
    pane.paneId,
    pane.pid,
    pane.dead,
    pane.deadStatus,
    pane.deadSignal ?? null,
    pane.windowIndex,
    pane.paneIndex,
    pane.lastLines ?? [],
  ]);
}

/** Holds what the incremental refreshes need between calls: the process index. */
export class IncrementalObserver {
  private readonly processes = new ProcessIndexCache(DEFAULT_PROC_ROOT);
  private readonly own: AgentSpec[];
  private readonly byName: Map<string, AgentSpec>;

  constructor(
    private readonly fleet: FleetSpec,
    private readonly ctx: ObserveContext,
  ) {
    this.own = fleet.agents.filter((agent) => isLocal(agent, ctx));
    this.byName = new Map(this.own.map((agent) => [agent.name, agent]));
  }

  /** Whether `name` is an agent this observer refreshes (the invoking user's, on this host). */
  owns(name: string): boolean {
    return this.byName.has(name);
  }

  private socketOf(agent: AgentSpec): string {
    return this.ctx.socketOverride ?? agent.socket;
  }

  /**
   * Keep the process index current between events: the first call scans /proc fully,
   * later ones list it (one readdir) and read only new pids. Called every clock tick.
   */
  track(): void {
    try {
      this.processes.rescan([], []);
    } catch {
      // /proc cannot be listed: the next refresh says so (a full pass).
    }
  }

  /**
   * Read again what `changes` names into `observation` (in place), and say which agents
   * must be judged again; null when only a full pass can answer (our own tenant was not
   * observed, or /proc cannot be listed).
   */
  async refresh(observation: FleetObservation, changes: Changes): Promise<Refreshed> {
    const own = observation.tenants.get(this.ctx.user);
    if (own === undefined || !own.access.visible || observation.unreachable) return null;
    const access = own.access;
    const judge = new Set<string>();
    const agents = new Set([...changes.agents].filter((name) => this.byName.has(name)));
    const sockets = new Set(changes.sockets);
    // A pane that went away is first tmux's news: read its server's pane list too.
    for (const name of agents) sockets.add(this.socketOf(this.byName.get(name) as AgentSpec));
    for (const name of changes.exited) if (this.byName.has(name)) agents.add(name);

    // tmux: one `list-panes -a` per socket named (the call a full pass makes), and every
    // agent whose pane changed is read again. Notifications about other sessions name a
    // window (@N) or nothing (%sessions-changed), so the list is what says whose.
    const listed = await Promise.all(
      [...sockets]
        .filter((socket) => this.own.some((agent) => this.socketOf(agent) === socket))
        .map(
          async (socket) =>
            [
              socket,
              await observeTmux(socket, { env: access.env, uid: access.account.uid, timeoutMs: this.ctx.timeoutMs }),
            ] as const,
        ),
    );
    for (const [socket, tmux] of listed) {
      const before = own.tmux.get(socket);
      own.tmux.set(socket, tmux);
      for (const agent of this.own) {
        if (this.socketOf(agent) !== socket) continue;
        if (paneKey(before, agent.name) !== paneKey(tmux, agent.name)) agents.add(agent.name);
      }
    }

    // Heartbeats: read again for every agent named; a writer that is a new process (not
    // in the pane's tree as last read) means the tree may have changed too.
    const heartbeatNames = new Set([...changes.heartbeats, ...agents].filter((name) => this.byName.has(name)));
    const expected = [...heartbeatNames].filter((name) => this.byName.get(name)?.heartbeat.expected);
    const heartbeats =
      expected.length === 0
        ? new Map<string, HeartbeatObservation>()
        : observeHeartbeats(
            { tenant: this.ctx.user, host: this.ctx.hostname },
            access.runDir,
            expected,
            access.account.uid,
          );
    for (const [name, heartbeat] of heartbeats) {
      own.heartbeats.set(name, heartbeat);
      judge.add(name);
      if (heartbeat.state !== "present" || agents.has(name)) continue;
      const tree = this.treeOf(observation, own, name);
      if (!tree?.processes.some((process) => process.pid === heartbeat.record.pid)) agents.add(name);
    }
    for (const name of heartbeatNames) judge.add(name);

    // Process trees of every agent read again, from the index brought up to date.
    const roots: number[] = [];
    for (const name of agents) {
      const pane = this.paneOf(own, name);
      if (pane !== null) roots.push(pane);
    }
    const writers = [...heartbeatNames].flatMap((name) => {
      const heartbeat = own.heartbeats.get(name);
      return heartbeat?.state === "present" ? [heartbeat.record.pid] : [];
    });
    // A heartbeat alone (its writer already in its pane's tree, as in the steady state of
    // an agent beating every few seconds) needs no look at /proc beyond its writer.
    let table: ProcessTable | null = null;
    if (agents.size > 0) {
      try {
        table = {
          procRoot: DEFAULT_PROC_ROOT,
          bootSec: bootTimeSec(DEFAULT_PROC_ROOT),
          index: this.processes.rescan(roots, writers),
        };
      } catch {
        return null;
      }
    }
    if (table !== null) {
      const zombies = new Set(observation.zombies ?? []);
      for (const [pid, tree] of treesFrom(table, roots)) {
        observation.trees.set(pid, tree);
        zombies.delete(pid);
        if (tree === null && zombieInTable(table, pid)) zombies.add(pid);
      }
      observation.zombies = zombies;
      this.pruneTrees(observation);
    }

    // A heartbeat's writer: from its pane's tree when there, else from the index — as a full pass.
    for (const name of heartbeatNames) {
      const heartbeat = own.heartbeats.get(name);
      if (heartbeat?.state !== "present") continue;
      const pid = heartbeat.record.pid;
      const tree = this.treeOf(observation, own, name);
      own.heartbeatProcesses.set(
        pid,
        tree?.processes.find((process) => process.pid === pid) ??
          (table !== null ? processFromTable(table, pid) : readProcess(pid)),
      );
    }
    for (const name of agents) judge.add(name);
    observation.observedAtMs = this.ctx.now();
    return { judge };
  }

  /** The pid of an agent's live pane, as tmux listed it. */
  private paneOf(own: TenantObservation, name: string): number | null {
    const agent = this.byName.get(name);
    const tmux = agent === undefined ? undefined : own.tmux.get(this.socketOf(agent));
    const pane = tmux?.ok ? tmux.sessions.get(name) : undefined;
    return pane !== undefined && !pane.dead && pane.pid > 0 ? pane.pid : null;
  }

  private treeOf(observation: FleetObservation, own: TenantObservation, name: string): ProcessTree | null {
    const pid = this.paneOf(own, name);
    return pid === null ? null : (observation.trees.get(pid) ?? null);
  }

  /** Trees of panes no session shows any more are dropped (the watch runs for days). */
  private pruneTrees(observation: FleetObservation): void {
    const live = new Set<number>();
    for (const tenant of observation.tenants.values())
      for (const tmux of tenant.tmux.values())
        if (tmux.ok) for (const pane of tmux.sessions.values()) if (!pane.dead && pane.pid > 0) live.add(pane.pid);
    for (const pid of [...observation.trees.keys()]) if (!live.has(pid)) observation.trees.delete(pid);
  }
}
