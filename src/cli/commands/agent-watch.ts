import { execa } from "execa";
import { findPane } from "../../agent/pane.js";
import { tmuxClientEnv } from "../../observe/tmux-socket.js";
import { resolveAgentTarget } from "../agent-target.js";
import { EXIT_OK, EXIT_PANE_GONE, UserError } from "../exit-codes.js";
import { loadFleetOrExit, observeContext } from "../fleet-context.js";
import type { Io } from "../io.js";

// `agent watch` and `agent attach`: both attach a tmux client to exactly the agent's
// session on the fleet socket with `ignore-size`, so the agent's window never resizes
// to the viewer's terminal. `watch` adds `read-only`: tmux then passes no key to the
// pane and runs no command but detach, so the viewer cannot type, press C-c, or put the
// pane into copy mode. The client is the only thing created; it is gone on detach.

/** Attach to the agent's session: read-only for `watch`, interactive for `attach`. */
export async function attach(mode: "watch" | "attach", options: Record<string, unknown>, args: string[], io: Io): Promise<number> {
  if (!io.stdinIsTTY || !io.stdoutIsTTY) {
    throw new UserError(`agent ${mode} needs a terminal (stdin and stdout must be a TTY)`);
  }
  const fleet = loadFleetOrExit(options, io);
  const ctx = observeContext(options, io);
  const target = resolveAgentTarget(fleet, args[0], ctx);
  const pane = await findPane({ socketPath: target.socketPath, env: io.env, timeoutMs: ctx.timeoutMs }, target.agent.name);
  if (!pane) throw new UserError(`no tmux session "${target.agent.name}" on socket ${target.socket}`, EXIT_PANE_GONE);

  const flags = mode === "watch" ? "read-only,ignore-size" : "ignore-size";
  if (mode === "watch") {
    io.stderr(`Watching ${target.agent.name} READ-ONLY on socket ${target.socket}: keys are not sent to the agent. Leave with C-b d (or close this terminal).\n`);
  } else {
    io.stderr(`Taking over ${target.agent.name} on socket ${target.socket}: everything you type goes to the agent, C-c included. Detach with C-b d.\n`);
  }
  const result = await execa("tmux", ["-S", target.socketPath, "attach-session", "-f", flags, "-t", `=${target.agent.name}:`], {
    env: tmuxClientEnv(io.env),
    extendEnv: false,
    stdio: "inherit",
    reject: false,
  });
  if (result.exitCode !== 0 && result.exitCode !== undefined) {
    throw new UserError(`tmux attach failed (exit ${result.exitCode})`, EXIT_PANE_GONE);
  }
  return EXIT_OK;
}

/** `mosaic agent watch NAME`: read-only, never resizes. */
export async function run(options: Record<string, unknown>, args: string[], io: Io): Promise<number> {
  return attach("watch", options, args, io);
}
