import { existsSync } from "node:fs";
import { watchHeartbeatDir, watchTmux, type EventSource, type ObserveContext } from "../observe/index.js";
import { processAlive, checkTmuxSocket } from "../system/index.js";
import type { FleetSpec } from "../spec/index.js";
import type { FleetStatus } from "../diff/index.js";
import { fleetStatus } from "./fleet-context.js";
import { onStdoutClosed } from "./io.js";

// `fleet ps --watch`: re-observe the whole fleet (level-based, like a controller) when a
// heartbeat file or the tmux server changes, and at least every `floorMs`; render only
// when the status changed. Ends cleanly on SIGINT/SIGTERM.

/** The parts of a status that matter for "did anything change" (not ages or clocks). */
export function fingerprint(status: FleetStatus): string {
  return JSON.stringify({
    agents: status.agents.map((a) => ({
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
    })),
    unmanaged: status.unmanaged,
    sources: status.sources.map((s) => s.reason),
  });
}

interface WatchOptions {
  fleet: FleetSpec;
  ctx: ObserveContext;
  withPlan: boolean;
  floorMs: number;
  render: (status: FleetStatus, why: string) => void | Promise<void>;
  /** Resolves when the watch should end (SIGINT by default). */
  until?: Promise<void>;
}

/** Run the watch loop until `until` resolves. */
export async function watchFleet(options: WatchOptions): Promise<void> {
  const { fleet, ctx } = options;
  let last = "";
  let latest: FleetStatus | null = null;
  let stopped = false;
  let running = false;
  let again: string | null = null;
  let timer: NodeJS.Timeout | undefined;

  const observe = async (why: string) => {
    if (stopped) return;
    if (running) {
      again = why;
      return;
    }
    running = true;
    try {
      const status = await fleetStatus(fleet, ctx, options.withPlan);
      latest = status;
      const print = fingerprint(status);
      if (print !== last) {
        last = print;
        await options.render(status, why);
      }
    } finally {
      running = false;
      if (timer) clearTimeout(timer);
      if (!stopped) timer = setTimeout(() => void observe("periodic"), options.floorMs);
      if (again !== null && !stopped) {
        const next = again;
        again = null;
        void observe(next);
      }
    }
  };

  const sources: EventSource[] = [];
  if (existsSync(ctx.runDir)) {
    // (A run directory that appears later is still re-read on the timer.)
    sources.push(await watchHeartbeatDir(ctx.runDir, (why) => void observe(why)));
  }
  const sockets = [...new Set(fleet.agents.map((a) => ctx.socketOverride ?? a.socket))];
  for (const socket of sockets) {
    const check = checkTmuxSocket(socket, ctx.env, ctx.uid);
    // Attach the control client to any session known to exist on that socket.
    const attachTo = () =>
      latest?.agents.find((a) => a.socket === socket && a.pane.state !== "missing" && a.pane.state !== "unknown")
        ?.name ??
      latest?.unmanaged.find((u) => u.socket === socket)?.session ??
      null;
    if (check.ok) sources.push(await watchTmux(check.path, ctx.env, attachTo, (why) => void observe(why)));
  }

  // tmux sends no notification when a pane dies under remain-on-exit: watch the pane
  // processes themselves (a stat of /proc/PID each, no subprocess) a few times a second.
  const liveness = setInterval(() => {
    const alive = latest?.agents.filter((a) => a.pane.state === "alive" && a.pane.pid !== null) ?? [];
    if (alive.some((a) => !processAlive(a.pane.pid as number))) void observe("pane process exited");
  }, 200);
  liveness.unref();

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
  await observe("start");
  await until;
  unsubscribe();
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  stopped = true;
  clearInterval(liveness);
  if (timer) clearTimeout(timer);
  await Promise.all(sources.map((source) => source.close()));
}
