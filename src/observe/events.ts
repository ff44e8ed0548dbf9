import { basename } from "node:path";
import { agentOfHeartbeatFile, isHeartbeatPath } from "../heartbeat/index.js";
import { log } from "../log.js";
import { controlClient, WatchedProcess, type ControlClient } from "../system/index.js";

// What tells `fleet ps --watch` to look again (docs/commands.md, Watch): heartbeat files
// changing (chokidar: which file), tmux control-mode notifications (which server), and
// pane or heartbeat-writer processes leaving /proc (which pid). The watch loop reads
// again only what an event names, and re-observes everything on a timer as a safety net.

export interface EventSource {
  close(): Promise<void>;
}

/**
 * Call `onChange` with the agent whose heartbeat file changed, or null when the run
 * directory itself did (removed, replaced, unreadable): then only a full pass will do.
 * inotify through chokidar, never polling (usePolling stays off): no CPU while idle.
 */
export async function watchHeartbeatDir(
  runDir: string,
  onChange: (agent: string | null) => void,
): Promise<EventSource> {
  const { watch } = await import("chokidar");
  const watcher = watch(runDir, {
    ignoreInitial: true,
    depth: 0,
    atomic: false,
    usePolling: false,
    ignorePermissionErrors: true,
  });
  watcher.on("all", (event, path) => {
    if (path === runDir || event === "addDir" || event === "unlinkDir") onChange(null);
    else if (isHeartbeatPath(path)) {
      const agent = agentOfHeartbeatFile(basename(path));
      if (agent !== null) onChange(agent);
    }
  });
  watcher.on("error", (error) => {
    log("info", { step: "watch.heartbeat", error: String(error) }, "heartbeat watch error");
    onChange(null);
  });
  return { close: () => watcher.close() };
}

/**
 * Which watched processes exited. tmux tells control clients nothing when a pane's
 * process exits under remain-on-exit (tmux 3.3a has no such notification; a pane-died
 * hook would change a server we do not own), and nothing at all tells of a heartbeat's
 * writer exiting: so every `periodMs` each watched process is checked with kill(pid, 0)
 * (gone once reaped), and a twentieth of them in turn also by their stat (a zombie the tmux
 * server has not reaped yet): no signal delivered, no file opened, no subprocess. A
 * process is reported once, then forgotten until `watch` is called with it again.
 */
export class ProcessWatch {
  private watched = new Map<number, { process: WatchedProcess; agents: string[] }>();
  private readonly timer: NodeJS.Timeout;
  private turn = 0;

  constructor(periodMs: number, onGone: (agents: string[]) => void) {
    this.timer = setInterval(() => {
      let gone: string[] | null = null;
      let i = 0;
      this.turn = (this.turn + 1) % STAT_EVERY;
      for (const [pid, entry] of this.watched) {
        const exited = !entry.process.exists() || (i++ % STAT_EVERY === this.turn && entry.process.exited());
        if (!exited) continue;
        entry.process.close();
        this.watched.delete(pid);
        (gone ??= []).push(...entry.agents);
      }
      if (gone !== null) onGone(gone);
    }, periodMs);
    this.timer.unref();
  }

  /** Watch exactly these pids (pid → the agents it is the pane or heartbeat writer of). */
  watch(pids: Map<number, string[]>): void {
    const next = new Map<number, { process: WatchedProcess; agents: string[] }>();
    for (const [pid, agents] of pids)
      next.set(pid, { process: this.watched.get(pid)?.process ?? new WatchedProcess(pid), agents });
    for (const [pid, entry] of this.watched) if (!next.has(pid)) entry.process.close();
    this.watched = next;
  }

  close(): void {
    clearInterval(this.timer);
    for (const entry of this.watched.values()) entry.process.close();
    this.watched.clear();
  }
}

/** Each watched process's stat is read every this many periods (kill(pid, 0) every period): once a second. */
const STAT_EVERY = 20;

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
