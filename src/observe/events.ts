import { isHeartbeatPath } from "../heartbeat/index.js";
import { log } from "../log.js";
import { controlClient, type ControlClient } from "../system/index.js";

// What tells `fleet ps --watch` to look again: heartbeat files changing (chokidar) and
// tmux control-mode notifications (sessions and windows coming and going). Both are
// only hints — the watch loop re-observes everything, level-based, and also on a timer.

export interface EventSource {
  close(): Promise<void>;
}

/** Call `onChange` when anything in the run directory changes. */
export async function watchHeartbeatDir(runDir: string, onChange: (why: string) => void): Promise<EventSource> {
  const { watch } = await import("chokidar");
  const watcher = watch(runDir, { ignoreInitial: true, depth: 0, atomic: false, ignorePermissionErrors: true });
  watcher.on("all", (event, path) => {
    if (isHeartbeatPath(path)) onChange(`heartbeat ${event}`);
  });
  watcher.on("error", (error) =>
    log("info", { step: "watch.heartbeat", error: String(error) }, "heartbeat watch error"),
  );
  return { close: () => watcher.close() };
}

// Notifications that mean a session, window or pane came or went.
const TMUX_CHANGES =
  /^%(sessions-changed|session-changed|window-add|window-close|unlinked-window-add|unlinked-window-close|layout-change|pane-mode-changed|window-pane-changed|exit)\b/;

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
