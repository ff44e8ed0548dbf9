import { join } from "node:path";
import type { AgentSpec, FleetSpec } from "../spec/resolve.js";
import { log, timed } from "../log.js";
import { readHeartbeats } from "./heartbeat.js";
import { observeProcessTrees, readProcess } from "./proc.js";
import { observeSystemd } from "./systemd.js";
import { observeTmux } from "./tmux.js";
import type {
  HeartbeatObservation, ProcessInfo, ProcessTree, SourceUnavailable, SystemdObservation, TmuxObservation,
} from "./types.js";

// Builds the actual state of the fleet: one batched call per source (one tmux call per
// socket, two systemd calls, direct /proc and heartbeat reads), run concurrently.
// Observers report facts; the diff engine decides what is wrong.

export interface ObserveContext {
  env: NodeJS.ProcessEnv;
  uid: number;
  user: string;
  hostname: string;
  /** `$MOSAIC_HOME/fleet/run`: where heartbeats live. */
  runDir: string;
  now: () => number;
  timeoutMs: number;
  /** `--socket` / MOSAIC_FLEET_SOCKET: beats the roster. */
  socketOverride?: string;
}

export interface FleetObservation {
  observedAtMs: number;
  host: string;
  user: string;
  tmux: Map<string, TmuxObservation | SourceUnavailable>;
  systemd: SystemdObservation | SourceUnavailable | null;
  trees: Map<number, ProcessTree | null>;
  heartbeats: Map<string, HeartbeatObservation>;
  heartbeatProcesses: Map<number, ProcessInfo | null>;
}

/** Whether this process can observe `agent` at all (same host, same tenant). */
export function isLocal(agent: AgentSpec, ctx: Pick<ObserveContext, "hostname" | "user">): boolean {
  return agent.host === ctx.hostname && agent.tenant === ctx.user;
}

/** The socket an agent is observed on, after overrides. */
export function effectiveSocket(agent: AgentSpec, ctx: Pick<ObserveContext, "socketOverride">): string {
  return ctx.socketOverride ?? agent.socket;
}

/** Observe every local agent of the fleet. */
export async function observeFleet(fleet: FleetSpec, ctx: ObserveContext): Promise<FleetObservation> {
  const local = fleet.agents.filter((agent) => isLocal(agent, ctx));
  const sockets = [...new Set(local.map((agent) => effectiveSocket(agent, ctx)))];
  const units = [...new Set(local.map((agent) => agent.unit))];

  const unavailable = (o: { ok: boolean; message?: string } | null) => (o && !o.ok ? (o.message ?? "unavailable") : null);
  const [tmuxResults, systemd] = await Promise.all([
    Promise.all(sockets.map(async (socket) => {
      const observed = await timed("observe.tmux", { socket }, () => observeTmux(socket, { env: ctx.env, uid: ctx.uid, timeoutMs: ctx.timeoutMs }), unavailable);
      return [socket, observed] as const;
    })),
    units.length > 0
      ? timed("observe.systemd", { units: units.length }, () => observeSystemd(units, { env: ctx.env, uid: ctx.uid, timeoutMs: ctx.timeoutMs }), unavailable)
      : Promise.resolve(null),
  ]);
  const tmux = new Map(tmuxResults);

  const rootPids: number[] = [];
  for (const observation of tmux.values()) {
    if (!observation.ok) continue;
    for (const pane of observation.sessions.values()) if (!pane.dead && pane.pid > 0) rootPids.push(pane.pid);
  }
  const procStarted = performance.now();
  let trees = new Map<number, ProcessTree | null>();
  try {
    trees = rootPids.length > 0 ? observeProcessTrees(rootPids) : trees;
  } catch (error) {
    // No readable /proc: every pane's process reads as gone would be a lie; leave trees
    // empty and say so. (Panes then show dead; the log says why.)
    log("warn", { step: "observe.proc", error: (error as Error).message }, "cannot read /proc");
  }
  log("debug", { step: "observe.proc", roots: rootPids.length, ms: Math.round(performance.now() - procStarted) }, "observe.proc done");

  const hbStarted = performance.now();
  const heartbeats = readHeartbeats(ctx.runDir, local.filter((a) => a.heartbeat.expected).map((a) => a.name), { uid: ctx.uid });
  log("debug", { step: "observe.heartbeat", files: heartbeats.size, ms: Math.round(performance.now() - hbStarted) }, "observe.heartbeat done");
  const heartbeatProcesses = new Map<number, ProcessInfo | null>();
  for (const hb of heartbeats.values()) {
    if (hb.state === "present" && !heartbeatProcesses.has(hb.record.pid)) {
      heartbeatProcesses.set(hb.record.pid, readProcess(hb.record.pid));
    }
  }

  return {
    observedAtMs: ctx.now(),
    host: ctx.hostname,
    user: ctx.user,
    tmux,
    systemd,
    trees,
    heartbeats,
    heartbeatProcesses,
  };
}

/** `$MOSAIC_HOME/fleet/run`. */
export function runDirOf(mosaicHome: string): string {
  return join(mosaicHome, "fleet", "run");
}
