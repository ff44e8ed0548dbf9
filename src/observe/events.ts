import { watch, type FSWatcher } from "node:fs";
import { basename } from "node:path";
import { agentOfHeartbeatFile, isHeartbeatPath } from "../heartbeat/index.js";
import { log } from "../log.js";
import { controlClient, WatchedProcess, type ControlClient } from "../system/index.js";

// What tells `fleet ps --watch` to look again (docs/commands.md, Watch): heartbeat files
// changing (inotify: which file), tmux control-mode notifications (which server), and
// pane or heartbeat-writer processes leaving /proc (which pid). The watch loop reads
// again only what an event names, and re-observes everything on a timer as a safety net.

export interface EventSource {
  close(): Promise<void>;
}

/**
 * Call `onChange` with the agent whose heartbeat file changed, or null when the run
 * directory itself did (removed, replaced, unreadable): then only a full pass will do.
 * One inotify watch on the directory (fs.watch, never polling: no CPU while idle), which
 * names the file of each event. Not chokidar: for every change in a directory it lists
 * the directory again and lstat()s each entry, and it holds one watch per file — at
 * 1 000 agents that is 1 000 lstat calls per heartbeat written (BENCHMARKS.md, Round 3
 * watch). Events about the directory itself re-arm the watch on its path (a run
 * directory replaced is watched again); the watch loop's full pass covers the moment
 * between.
 */
export async function watchHeartbeatDir(
  runDir: string,
  onChange: (agent: string | null) => void,
): Promise<EventSource> {
  const self = basename(runDir);
  let watcher: FSWatcher | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const rearm = () => {
    watcher?.close();
    watcher = null;
    onChange(null);
    if (!closed && retry === undefined)
      retry = setTimeout(() => {
        retry = undefined;
        arm();
      }, REARM_MS);
  };
  const arm = () => {
    if (closed) return;
    try {
      watcher = watch(runDir, (_event, file) => {
        const name = file === null ? null : String(file);
        if (name === null || name === self) return rearm();
        const agent = isHeartbeatPath(name) ? agentOfHeartbeatFile(name) : null;
        if (agent !== null) onChange(agent);
      });
    } catch (error) {
      log("info", { step: "watch.heartbeat", error: String(error) }, "heartbeat watch error");
      return rearm();
    }
    watcher.on("error", (error) => {
      log("info", { step: "watch.heartbeat", error: String(error) }, "heartbeat watch error");
      rearm();
    });
  };
  arm();
  await Promise.resolve();
  return {
    close: () => {
      closed = true;
      if (retry) clearTimeout(retry);
      watcher?.close();
      return Promise.resolve();
    },
  };
}

/** How soon a heartbeat watch whose directory went away is set up again. */
const REARM_MS = 1_000;

/**
 * Which watched processes exited. tmux tells control clients nothing when a pane's
 * process exits under remain-on-exit (tmux 3.3a has no such notification; a pane-died
 * hook would change a server we do not own), and nothing at all tells of a heartbeat's
 * writer exiting: so each watched process is checked in turn (WatchedProcess.exited():
 * one pread of its /proc/PID/statm, which also sees a zombie its tmux server has not
 * reaped), every period (`periodFor` the number of pids), up to PIDS_PER_MS × the period
 * of them: no signal delivered, no file opened per check (each is opened once), no
 * subprocess. Up to 1 000 pids are all checked every period; more take longer rounds, so
 * the cost stays under about 3 % of a core (docs/commands.md, Watch). A process is reported once, then forgotten until
 * `watch` is called with it again.
 */
export class ProcessWatch {
  private watched = new Map<number, WatchedEntry>();
  /** The watched pids in the order they are checked; `next` is where the next tick starts. */
  private order: number[] = [];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The period now (0: nothing watched, no timer). */
  private periodMs = 0;

  /** `periodFor(n)`: how often to look when `n` pids are watched. */
  constructor(
    private readonly periodFor: (count: number) => number,
    private readonly onGone: (agents: string[]) => void,
  ) {}

  /** A timer at the period for the pids watched now; none while there are none. */
  private schedule(): void {
    const period = this.order.length === 0 ? 0 : this.periodFor(this.order.length);
    if (period === this.periodMs) return;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.periodMs = period;
    if (period <= 0) return;
    this.timer = setInterval(() => {
      const gone = this.check();
      if (gone !== null) this.onGone(gone);
    }, period);
    this.timer.unref();
  }

  /** How many pids one period checks: all of them, up to the budget. */
  get slice(): number {
    return Math.min(this.order.length, Math.max(1, Math.floor(PIDS_PER_MS * this.periodMs)));
  }

  /** One period's checks: the agents of the processes found gone, or null. */
  check(): string[] | null {
    let gone: string[] | null = null;
    const count = this.slice;
    for (let k = 0; k < count; k += 1) {
      if (this.next >= this.order.length) this.next = 0;
      const pid = this.order[this.next++] as number;
      const entry = this.watched.get(pid);
      if (entry === undefined) continue;
      if (!entry.process.exited()) continue;
      entry.process.close();
      this.watched.delete(pid);
      (gone ??= []).push(...entry.agents);
    }
    return gone;
  }

  /** Watch exactly these pids (pid → the agents it is the pane or heartbeat writer of). */
  watch(pids: Map<number, string[]>): void {
    const next = new Map<number, WatchedEntry>();
    for (const [pid, agents] of pids) {
      const entry = this.watched.get(pid);
      next.set(pid, { process: entry?.process ?? new WatchedProcess(pid), agents });
    }
    for (const [pid, entry] of this.watched) if (!next.has(pid)) entry.process.close();
    this.watched = next;
    // The turn goes on where it was (the pids not checked yet this lap first), new pids
    // last: no pid waits more than a lap, however often the set changes.
    const order = [...this.order.slice(this.next), ...this.order.slice(0, this.next)].filter((pid) => next.has(pid));
    const placed = new Set(order);
    for (const pid of next.keys()) if (!placed.has(pid)) order.push(pid);
    this.order = order;
    this.next = 0;
    this.schedule();
  }

  close(): void {
    for (const entry of this.watched.values()) entry.process.close();
    this.watched.clear();
    this.order = [];
    this.schedule();
  }
}

interface WatchedEntry {
  process: WatchedProcess;
  agents: string[];
}

/**
 * Checks per ms of the period at most: ~1.4 µs each, so ~3 % of a core. 50 ms
 * checks 1 000 pids; 2 000 pids are each checked every 100 ms. (Half that budget — 1 000
 * pids every 100 ms — made a pane's death at 1 000 agents redrawn in 161 ms instead of
 * ~100: BENCHMARKS.md, Round 3 watch.)
 */
const PIDS_PER_MS = 20;

// Notifications that mean a session, window or pane came or went.
// (tmux 3.3a, `man tmux` CONTROL MODE: %output is off with no-output, and the rest —
// renames of windows, paste buffers, subscriptions — changes nothing `fleet ps` shows.)
const TMUX_CHANGES =
  /^%(sessions-changed|session-changed|session-renamed|client-session-changed|window-add|window-close|unlinked-window-add|unlinked-window-close|layout-change|pane-mode-changed|window-pane-changed|exit)\b/;

/**
 * A read-only, ignore-size, no-output control-mode client on the fleet socket: it types
 * nothing, resizes nothing, and is gone when closed. `attachTo` picks a session to attach
 * to (any will do: session and window notifications are server-wide).
 */
export async function watchTmux(
  socketPath: string,
  env: NodeJS.ProcessEnv,
  attachTo: () => string | null,
  onChange: (why: string) => void,
): Promise<EventSource> {
  let client: ControlClient | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const start = async () => {
    if (closed) return;
    const session = attachTo();
    if (session === null) {
      retry = setTimeout(() => void start(), 1_000);
      return;
    }
    const started = await controlClient(
      { socketPath, env, timeoutMs: 0 },
      "read-only,ignore-size,no-output",
      `=${session}:`,
    );
    client = started;
    started.onLine((line) => {
      const match = TMUX_CHANGES.exec(line);
      if (match) onChange(`tmux ${match[1]}`);
    });
    void started.exited.then(() => {
      client = null;
      // The attached session went away, or the server did: attach again shortly.
      if (!closed) retry = setTimeout(() => void start(), 250);
    });
  };
  await start();
  return {
    close: async () => {
      closed = true;
      if (retry) clearTimeout(retry);
      await client?.close();
    },
  };
}
