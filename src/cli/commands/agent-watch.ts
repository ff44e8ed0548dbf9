import { findPane, tmux, runViewer } from "../../agent/index.js";
import { attachTmux } from "../../system/index.js";
import { resolveAgentTarget } from "../agent-target.js";
import { EXIT_OK, EXIT_PANE_GONE, UserError } from "../exit-codes.js";
import { loadFleetOrExit, observeContext } from "../fleet-context.js";
import type { Io } from "../io.js";
import { agentOnSshHost, runOnAgentHost } from "../remote-agent.js";
import type { RosterOptions, SocketOption } from "../options.js";

/** `agent watch`'s and `agent attach`'s flags. */
export type WatchOptions = RosterOptions & SocketOption;

// `agent watch` and `agent attach`. Watch attaches no tmux client at all: it draws the
// pane from capture-pane (src/agent/viewer.ts), so it cannot type and cannot resize.
// Attach is a real tmux client (the only verb that can type), with the agent's windows
// held at their size (`window-size manual`) for the takeover and restored afterwards —
// `ignore-size` alone does not stop a lone client from resizing a window.

/** Attach to the agent's session: the read-only viewer for `watch`, a tmux client for `attach`. */
export async function attach(mode: "watch" | "attach", options: WatchOptions, args: string[], io: Io): Promise<number> {
  if (!io.stdinIsTTY || !io.stdoutIsTTY) {
    throw new UserError(`agent ${mode} needs a terminal (stdin and stdout must be a TTY)`);
  }
  const fleet = await loadFleetOrExit(options, io);
  const ctx = observeContext(options, io);
  const remote = agentOnSshHost(fleet, args[0], ctx);
  if (remote) return runOnAgentHost(mode, remote, fleet, ctx, io);
  const target = resolveAgentTarget(fleet, args[0], ctx);
  const client = { socketPath: target.socketPath, env: io.env, timeoutMs: ctx.timeoutMs };
  const pane = await findPane(client, target.agent.name);
  if (!pane) throw new UserError(`no tmux session "${target.agent.name}" on socket ${target.socket}`, EXIT_PANE_GONE);

  if (mode === "watch") {
    const code = await runViewer(
      { client, paneId: pane.paneId, name: target.agent.name, socket: target.socket },
      { input: process.stdin, output: process.stdout },
    );
    if (code === EXIT_PANE_GONE) io.stderr(`mosaic: pane ${pane.paneId} of ${target.agent.name} is gone\n`);
    return code;
  }

  io.stderr(
    `Taking over ${target.agent.name} on socket ${target.socket}: everything you type goes to the agent, C-c included. Detach with C-b d.\n`,
  );
  const held = await holdWindowSizes(client, target.agent.name);
  try {
    const exitCode = await attachTmux(client, ["attach-session", "-f", "ignore-size", "-t", `=${target.agent.name}:`]);
    if (exitCode !== 0 && exitCode !== undefined) {
      throw new UserError(`tmux attach failed (exit ${exitCode})`, EXIT_PANE_GONE);
    }
  } finally {
    await held.restore();
  }
  return EXIT_OK;
}

/** Set `window-size manual` on the session's windows; `restore` puts each window's own value back. */
async function holdWindowSizes(
  client: Parameters<typeof tmux>[0],
  session: string,
): Promise<{ restore: () => Promise<void> }> {
  const listed = await tmux(client, ["list-windows", "-t", `=${session}:`, "-F", "#{window_id}"]);
  const windows = listed.ok ? listed.stdout.split("\n").filter(Boolean) : [];
  const saved = new Map<string, string>();
  for (const id of windows) {
    const shown = await tmux(client, ["show-options", "-w", "-q", "-v", "-t", id, "window-size"]);
    saved.set(id, shown.ok ? shown.stdout.trim() : "");
    await tmux(client, ["set-option", "-w", "-t", id, "window-size", "manual"]);
  }
  return {
    restore: async () => {
      for (const [id, value] of saved) {
        await tmux(
          client,
          value === ""
            ? ["set-option", "-w", "-u", "-t", id, "window-size"]
            : ["set-option", "-w", "-t", id, "window-size", value],
        );
      }
    },
  };
}

/** `mosaic agent watch NAME`: read-only, never resizes. */
export async function run(options: WatchOptions, args: string[], io: Io): Promise<number> {
  return attach("watch", options, args, io);
}
