import { existsSync } from "node:fs";
import {
  addChanges,
  IncrementalObserver,
  noChanges,
  observeFleet,
  ProcessWatch,
  watchHeartbeatDir,
  watchTmux,
  type Changes,
  type EventSource,
  type FleetObservation,
  type ObserveContext,
} from "../observe/index.js";
import { checkTmuxSocket } from "../system/index.js";
import { fixPlan, type AgentStatus, type FleetStatus } from "../diff/index.js";
import { thisMachineNames, type FleetSpec } from "../spec/index.js";
import { fleetStatus, sshDestinations } from "./fleet-context.js";
import { onStdoutClosed } from "./io.js";
import { clockMs, log } from "../log.js";
import { WatchJudge } from "./watch-judge.js";

// `fleet ps --watch` (docs/commands.md, Watch). One full observation first; then each
// event re-observes only what it names (src/observe/incremental.ts) and re-judges only
// those agents; every `floorMs` the held facts are judged again against the clock
// (heartbeat ages, staleness: no I/O); every `resyncMs` the whole fleet is observed again
// from scratch, the safety net for what no event reports (unit states, processes inside
// a pane). On the clock only the agents whose verdict a clock can have changed by then are
// judged again (src/diff/clock-deadline.ts: a heartbeat expires at ts + 3 × interval, …);
// the others keep their rows, and with them the ages they were judged with. A fleet with agents on other hosts is observed whole on every event and every
// `floorMs`, as other tenants' agents are at every `floorMs`: no event reaches us from
// there. Renders only when the status changed. Ends cleanly on SIGINT/SIGTERM.

/** The safety net's period when `--interval` is shorter. */
export const RESYNC_MS = 30_000;
/** How long heartbeat events are gathered before they are read (one round for a burst). */
const HEARTBEAT_BATCH_MS = 5;
/** How often the process index is brought up to date between events (one readdir of /proc). */
const TRACK_MS = 15_000;
/**
 * While some pane is dead (remain-on-exit) or its tmux server could not be read, how
 * often that server's pane list is read again: `respawn-pane` brings a dead pane back,
 * and a server that exited (or starts again) tells nobody, with no notification and no
 * process of ours to watch.
 */
export const RECHECK_MS = 1_000;
/**
 * How often watched pane and heartbeat-writer pids are looked at, for `count` of them.
 * The aim is a pane's death redrawn within ~100 ms: a few hundred agents' document is
 * judged and written in ~10 ms, so looking every 100 ms does (and each look costs a
 * wake-up, ~0.2 ms of CPU on a busy 2-core VM: 0.2 % of a core at 100 agents); a
 * thousand agents' document takes tens of ms, so their pids are looked at every 50 ms
 * (BENCHMARKS.md, Round 3 watch).
 */
export function processPollMs(count: number): number {
  return count <= 250 ? 100 : 50;
}
/** A pane whose process is gone but whose death tmux has not recorded yet is asked again this often… */
const SETTLE_MS = 50;
/** …this many times at most (the safety net takes over after). */
const SETTLE_TRIES = 20;

const rowPrints = new WeakMap<AgentStatus, string>();

/** The parts of one row that matter for "did anything change" (not ages or clocks), computed once per row. */
function rowPrint(a: AgentStatus): string {
  let print = rowPrints.get(a);
  if (print === undefined) {
    print = JSON.stringify({
      name: a.name,
      runtime: a.runtime,
      unit: a.unit,
      pane: { ...a.pane, idle_s: null },
      // The agent's own state (status, and the note saying why) redraws; its age does not.
      heartbeat: {
        state: a.heartbeat.state,
        pid: a.heartbeat.pid,
        status: a.heartbeat.status,
        note: a.heartbeat.note,
        ack: a.heartbeat.ack,
      },
      conditions: a.conditions.map((c) => [c.type, c.status, c.reason]),
    });
    rowPrints.set(a, print);
  }
  return print;
}

/** What, beyond the rows, matters for "did anything change". */
function tailPrint(status: FleetStatus): string {
  return JSON.stringify({ unmanaged: status.unmanaged, sources: status.sources.map((s) => s.reason) });
}

/** The parts of a status that matter for "did anything change" (not ages or clocks). */
export function fingerprint(status: FleetStatus): string {
  // One JSON line per row (JSON has no raw newline): rows judged again are printed again.
  return `${status.agents.map(rowPrint).join("\n")}\n${tailPrint(status)}`;
}

/**
 * Whether `status`'s fingerprint differs from `shown`'s, without making either: a row
 * handed on from one round to the next is the same object, and only rows judged again
 * are compared by their print (a 1 000-agent fingerprint is ~300 kB, every round).
 */
export function changedSince(shown: FleetStatus | null, status: FleetStatus): boolean {
  if (shown === null || shown.agents.length !== status.agents.length) return true;
  for (let i = 0; i < status.agents.length; i += 1) {
    const row = status.agents[i] as AgentStatus;
    const was = shown.agents[i] as AgentStatus;
    if (row !== was && rowPrint(row) !== rowPrint(was)) return true;
  }
  return tailPrint(status) !== tailPrint(shown);
}

interface WatchOptions {
  fleet: FleetSpec;
  ctx: ObserveContext;
  withPlan: boolean;
  /** `--interval`: judge again (and re-observe what no event reports) at least this often. */
  floorMs: number;
  /** The full pass's period; default the larger of `floorMs` and RESYNC_MS. */
  resyncMs?: number;
  render: (status: FleetStatus, why: string) => void | Promise<void>;
  /** Resolves when the watch should end (SIGINT by default). */
  until?: Promise<void>;
  /**
   * Judge every row again just before rendering, so that every age shown is the
   * moment's (a table redraws every row anyway); without it, rows no event or clock
   * named are rendered as last judged (`-o json`: their text is kept, report/watch-json.ts).
   */
  freshRows?: boolean;
}

/** What the next round must do. */
interface Work {
  full: boolean;
  /** Re-judge everything against the clock (and re-observe other tenants' agents). */
  tick: boolean;
  changes: Changes;
  why: string | null;
}

const noWork = (): Work => ({ full: false, tick: false, changes: noChanges(), why: null });

function hasOtherChanges(changes: Changes): boolean {
  return changes.agents.size + changes.exited.size + changes.sockets.size > 0;
}

function hasChanges(changes: Changes): boolean {
  return changes.agents.size + changes.exited.size + changes.heartbeats.size + changes.sockets.size > 0;
}

/** Run the watch loop until `until` resolves. */
export async function watchFleet(options: WatchOptions): Promise<void> {
  const { fleet, ctx } = options;
  // Only a fleet of this host alone is observed piecemeal; other hosts answer whole, over ssh.
  const incremental = fleet.agents.every((a) => a.host === ctx.hostname) ? new IncrementalObserver(fleet, ctx) : null;
  const otherTenants = fleet.agents.some((a) => a.host === ctx.hostname && a.tenant !== ctx.user);
  const destinations = sshDestinations(fleet, ctx.hostname);
  const here = thisMachineNames(fleet, ctx.hostname);
  const agentsByName = new Map(fleet.agents.map((agent) => [agent.name, agent]));
  let observation: FleetObservation | null = null;
  let latest: FleetStatus | null = null;
  /** The status last rendered. */
  let shown: FleetStatus | null = null;
  let stopped = false;
  let running = false;
  let pending: Work = noWork();
  /** Agents whose pane's death tmux has yet to record → tries left. */
  const settling = new Map<string, number>();
  let settleTimer: NodeJS.Timeout | undefined;
  let tracked = 0;
  const judging = new WatchJudge(fleet, ctx.socketOverride);
  /** This host's agents that no event names (other tenants'): observed and judged again on every tick. */
  const unowned = new Set(fleet.agents.filter((a) => !incremental?.owns(a.name)).map((a) => a.name));

  /** Judge the held facts at `nowMs`: every agent, or only those in `only` (the others keep their rows). */
  const judge = (nowMs: number, only?: Set<string>): FleetStatus => {
    const status = judging.judge(observation as FleetObservation, nowMs, latest, only);
    return options.withPlan ? { ...status, fixPlan: fixPlan(status, destinations) } : status;
  };

  const fullPass = async (): Promise<FleetStatus> => {
    if (incremental === null) {
      observation = null;
      return fleetStatus(fleet, ctx, options.withPlan);
    }
    observation = await observeFleet(fleet, ctx);
    incremental.track();
    return judge(observation.observedAtMs);
  };

  /** Other tenants' agents observed again (their servers and run directories send us nothing). */
  const reobserveTenants = async (held: FleetObservation): Promise<void> => {
    const theirs: FleetSpec = {
      ...fleet,
      agents: fleet.agents.filter((a) => a.host === ctx.hostname && a.tenant !== ctx.user),
    };
    const fresh = await observeFleet(theirs, ctx);
    for (const [tenant, part] of fresh.tenants) held.tenants.set(tenant, part);
    for (const [pid, tree] of fresh.trees) held.trees.set(pid, tree);
    const zombies = new Set([...(held.zombies ?? [])].filter((pid) => !fresh.trees.has(pid)));
    for (const pid of fresh.zombies ?? []) zombies.add(pid);
    held.zombies = zombies;
    held.procReadable = held.procReadable && fresh.procReadable;
  };

  const round = async (work: Work): Promise<FleetStatus> => {
    if (work.full || incremental === null || observation === null) return fullPass();
    const held: FleetObservation = observation;
    let read = new Set<string>();
    if (hasChanges(work.changes)) {
      const refreshed = await incremental.refresh(held, work.changes);
      if (refreshed === null) return fullPass();
      settle(held, refreshed.judge);
      // Only the agents whose facts were read again are judged again.
      if (!work.tick) return judge(held.observedAtMs, refreshed.judge);
      read = refreshed.judge;
    }
    if (ctx.now() - tracked >= TRACK_MS) {
      tracked = ctx.now();
      incremental.track();
    }
    if (otherTenants) await reobserveTenants(held);
    const nowMs = ctx.now();
    // Judged again: what this round read, other tenants' agents (observed again), and the
    // agents whose verdict the clock may have changed by now. None, and nothing read: the
    // status is the one held (only its clock would differ, and it is not drawn for that).
    const due = judging.due(nowMs, [...read, ...unowned]);
    if (due.size === 0 && !hasChanges(work.changes) && latest !== null) return latest;
    return judge(nowMs, due);
  };

  /** Ask again about panes whose process is gone before tmux recorded how it ended. */
  const settle = (held: FleetObservation, judged: Set<string>) => {
    const own = held.tenants.get(ctx.user);
    for (const name of judged) {
      const agent = agentsByName.get(name);
      const tmux = agent ? own?.tmux.get(ctx.socketOverride ?? agent.socket) : undefined;
      const pane = tmux?.ok ? tmux.sessions.get(name) : undefined;
      const unsettled =
        pane !== undefined &&
        (pane.dead ? pane.deadStatus === null && pane.deadSignal == null : held.trees.get(pane.pid) == null);
      if (!unsettled) settling.delete(name);
      else settling.set(name, (settling.get(name) ?? SETTLE_TRIES + 1) - 1);
    }
    for (const [name, tries] of settling) if (tries <= 0) settling.delete(name);
    if (settling.size > 0 && settleTimer === undefined && !stopped) {
      settleTimer = setTimeout(() => {
        settleTimer = undefined;
        const changes = noChanges();
        for (const name of settling.keys()) changes.agents.add(name);
        request({ ...noWork(), changes, why: "pane exited" });
      }, SETTLE_MS);
    }
  };

  let batch: NodeJS.Timeout | undefined;
  const request = (work: Work) => {
    if (stopped) return;
    pending.full ||= work.full;
    pending.tick ||= work.tick;
    addChanges(pending.changes, work.changes);
    pending.why ??= work.why;
    if (running || batch !== undefined) return;
    // Heartbeats come in bursts (every agent rewrites its file every few seconds, the
    // watcher is told file by file): a few ms gathers a burst into one round.
    const onlyHeartbeats =
      !pending.full && !pending.tick && pending.changes.heartbeats.size > 0 && !hasOtherChanges(pending.changes);
    if (!onlyHeartbeats) return void drain();
    batch = setTimeout(() => {
      batch = undefined;
      if (!running) void drain();
    }, HEARTBEAT_BATCH_MS);
  };

  const drain = async () => {
    running = true;
    try {
      while (!stopped && (pending.full || pending.tick || hasChanges(pending.changes))) {
        const work = pending;
        pending = noWork();
        const began = clockMs();
        let status = await round(work);
        if (stopped) break;
        const judged = clockMs();
        const previous = latest;
        latest = status;
        // The pids to watch change only with a row judged again.
        if (previous === null || status.agents.some((row, i) => row !== previous.agents[i])) watchProcesses();
        const changed = changedSince(shown, status);
        if (changed) {
          if (options.freshRows === true && observation !== null && incremental !== null)
            status = latest = judge(ctx.now());
          shown = status;
          await options.render(status, work.why ?? "periodic");
        }
        log(
          "debug",
          {
            step: "watch.round",
            why: work.why ?? "periodic",
            full: work.full,
            agents: [...work.changes.agents, ...work.changes.exited, ...work.changes.heartbeats].slice(0, 20),
            sockets: [...work.changes.sockets],
            observe_ms: Math.round(judged - began),
            total_ms: Math.round(clockMs() - began),
            rendered: changed,
          },
          "watch round",
        );
      }
    } catch (error) {
      // An observation that throws ends the watch with that error, as `fleet ps` would.
      failure = { error };
      fail();
    } finally {
      running = false;
      started();
    }
  };

  let started: () => void = () => undefined;
  const first = new Promise<void>((resolve) => (started = resolve));
  let failure: { error: unknown } | null = null;
  let fail: () => void = () => undefined;
  const failed = new Promise<void>((resolve) => (fail = resolve));

  // Pane processes and heartbeat writers of this host's agents, each pid once.
  const processes = new ProcessWatch(processPollMs, (agents) => {
    const changes = noChanges();
    let full = false;
    for (const name of agents) {
      if (incremental?.owns(name) && observation !== null) changes.exited.add(name);
      else full = true;
    }
    request({ ...noWork(), full, changes, why: "process exited" });
  });
  const watchProcesses = () => {
    const pids = new Map<number, string[]>();
    const add = (pid: number | null, name: string) => {
      if (pid === null || pid <= 0) return;
      const names = pids.get(pid);
      if (names) names.push(name);
      else pids.set(pid, [name]);
    };
    for (const agent of latest?.agents ?? []) {
      if (!here.has(agent.host)) continue;
      if (agent.pane.state === "alive") add(agent.pane.pid, agent.name);
      // A healthy heartbeat's writer is alive: when it exits, healthy must go at once.
      if (agent.heartbeat.state === "healthy") add(agent.heartbeat.pid, agent.name);
    }
    processes.watch(pids);
  };

  const sources = new Map<string, EventSource>();
  let sourcesReady = Promise.resolve();
  // One at a time (the start and the safety net both call it); a source that fails to start is tried again later.
  const watchSources = () =>
    (sourcesReady = sourcesReady.then(() =>
      stopped
        ? undefined
        : startSources().catch((error: unknown) =>
            log("info", { step: "watch.sources", error: String(error) }, "watch source failed to start"),
          ),
    ));
  const startSources = async () => {
    if (!sources.has("heartbeats") && existsSync(ctx.runDir)) {
      sources.set(
        "heartbeats",
        await watchHeartbeatDir(ctx.runDir, (agent) => {
          if (agent === null || incremental === null || !incremental.owns(agent))
            request({ ...noWork(), full: agent === null || incremental === null, why: "heartbeat changed" });
          else {
            const changes = noChanges();
            changes.heartbeats.add(agent);
            request({ ...noWork(), changes, why: "heartbeat changed" });
          }
        }),
      );
    }
    const sockets = [
      ...new Set(
        fleet.agents
          .filter((a) => here.has(a.host) && a.tenant === ctx.user)
          .map((a) => ctx.socketOverride ?? a.socket),
      ),
    ];
    for (const socket of sockets) {
      if (sources.has(`tmux:${socket}`)) continue;
      const check = checkTmuxSocket(socket, ctx.env, ctx.uid);
      if (!check.ok) continue;
      // Attach the control client to any session known to exist on that socket.
      const attachTo = () =>
        latest?.agents.find(
          (a) =>
            a.socket === socket && a.tenant_id === ctx.user && a.pane.state !== "missing" && a.pane.state !== "unknown",
        )?.name ??
        latest?.unmanaged.find((u) => u.socket === socket && u.tenant_id === ctx.user)?.session ??
        null;
      sources.set(
        `tmux:${socket}`,
        await watchTmux(check.path, ctx.env, attachTo, (why) => {
          const changes = noChanges();
          changes.sockets.add(socket);
          request({ ...noWork(), full: incremental === null, changes, why });
        }),
      );
    }
  };

  // `on`, not `once`, held until the loop is done: the process runner's signal-exit re-raises a signal
  // that no other listener is registered for while it runs, which made Ctrl-C exit 130
  // instead of 0 (docs/commands.md: --watch exits 0 on Ctrl-C).
  let stop: () => void = () => undefined;
  const until =
    options.until ??
    new Promise<void>((resolve) => {
      stop = resolve;
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
  // Nobody reads any more (`… -o json | head -1`): stop as on Ctrl-C.
  const unsubscribe = options.until ? () => undefined : onStdoutClosed(() => stop());

  const deadPanes = setInterval(() => {
    if (incremental === null || observation === null) return;
    const changes = noChanges();
    for (const agent of latest?.agents ?? [])
      if ((agent.pane.state === "dead" || agent.pane.state === "unknown") && incremental.owns(agent.name))
        changes.sockets.add(agent.socket);
    if (hasChanges(changes)) request({ ...noWork(), changes, why: "rechecked" });
  }, RECHECK_MS);
  deadPanes.unref();
  const resyncMs = options.resyncMs ?? Math.max(options.floorMs, RESYNC_MS);
  const clock = setInterval(() => request({ ...noWork(), tick: true, full: incremental === null }), options.floorMs);
  const resync = setInterval(() => {
    request({ ...noWork(), full: true });
    // A run directory or tmux server that appeared since is watched from now on.
    void watchSources();
  }, resyncMs);
  request({ ...noWork(), full: true, why: "start" });
  await Promise.race([first, until]);
  if (failure === null) await watchSources();
  await Promise.race([until, failed]);
  unsubscribe();
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  stopped = true;
  clearInterval(clock);
  clearInterval(resync);
  clearInterval(deadPanes);
  if (settleTimer) clearTimeout(settleTimer);
  if (batch) clearTimeout(batch);
  processes.close();
  await sourcesReady;
  await Promise.all([...sources.values()].map((source) => source.close()));
  if (failure !== null) throw (failure as { error: unknown }).error;
}
