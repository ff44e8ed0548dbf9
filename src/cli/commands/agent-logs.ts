import { followPaneLog, readPaneLog, findPane } from "../../agent/index.js";
import { safeText } from "../../terminal-text.js";
import { resolveAgentTarget } from "../agent-target.js";
import { EXIT_OK, EXIT_PANE_GONE, UserError } from "../exit-codes.js";
import { loadFleetOrExit, observeContext } from "../fleet-context.js";
import { onStdoutClosed, type Io } from "../io.js";
import { agentOnSshHost, runOnAgentHost } from "../remote-agent.js";
import type { RosterOptions, SocketOption } from "../options.js";

/** `agent logs`'s flags (`-f` is --follow here; the roster is --roster only). */
export type LogsOptions = Pick<RosterOptions, "roster" | "tenant"> &
  SocketOption & {
    lines?: string | undefined;
    follow?: boolean | undefined;
  };

// `mosaic agent logs NAME [-n LINES] [-f]`: the pane's recent output, escaped, as
// `kubectl logs` prints a container's. Exit codes as `agent watch` (docs/commands.md).

/** `-n LINES`: a whole number of lines, or undefined for all of them. */
function tailOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,7}$/.test(text)) throw new UserError(`invalid -n "${safeText(text)}": a whole number of lines, e.g. 100`);
  return Number(text);
}

function deadNote(name: string, paneId: string, status: number | null): string {
  const how = status === null ? "" : ` (exit status ${status})`;
  return `mosaic: the pane ${paneId} of ${name} is dead${how}: above is its last output\n`;
}

/** `mosaic agent logs NAME`: print (and with -f follow) the pane's output; 0, 2 unknown agent, 3 pane missing. */
export async function run(options: LogsOptions, args: string[], io: Io): Promise<number> {
  const tail = tailOption(options.lines);
  const fleet = await loadFleetOrExit(options, io);
  const ctx = observeContext(options, io);
  const remote = agentOnSshHost(fleet, args[0], ctx);
  if (remote)
    return runOnAgentHost("logs", remote, fleet, ctx, io, {
      ...(tail !== undefined ? { lines: String(tail) } : {}),
      follow: options.follow === true,
    });
  const target = resolveAgentTarget(fleet, args[0], ctx);
  const client = { socketPath: target.socketPath, env: io.env, timeoutMs: ctx.timeoutMs };
  const name = target.agent.name;
  const pane = await findPane(client, name);
  const gone = () => new UserError(`no tmux session "${name}" on socket ${target.socket}`, EXIT_PANE_GONE);
  if (!pane) throw gone();

  if (options.follow !== true) {
    const log = await readPaneLog(client, pane.paneId, tail);
    if (!log) throw gone();
    if (log.lines.length > 0) io.stdout(`${log.lines.join("\n")}\n`);
    if (log.state.dead) io.stderr(deadNote(name, pane.paneId, log.state.deadStatus));
    return EXIT_OK;
  }

  let stop: () => void = () => undefined;
  const until = new Promise<void>((resolve) => {
    stop = resolve;
  });
  // `on` (not `once`): a library's signal-exit handler must never find itself alone and re-raise.
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const unsubscribe = onStdoutClosed(() => stop()); // `agent logs -f NAME | head`: stop with the reader
  try {
    const end = await followPaneLog({
      client,
      paneId: pane.paneId,
      tail,
      until,
      // A reader that is behind (`… | slow-consumer`) is waited for before the pane is read again.
      write: (lines) => {
        io.stdout(`${lines.join("\n")}\n`);
        const onDrain = io.onStdoutDrain;
        if (io.stdoutBlocked?.() !== true || onDrain === undefined) return;
        // (followPaneLog stops waiting when the operator stops following.)
        return new Promise<void>((resolve) => void onDrain(resolve));
      },
    });
    switch (end.kind) {
      case "stopped":
        return EXIT_OK;
      case "dead":
        io.stderr(deadNote(name, pane.paneId, end.status));
        return EXIT_OK;
      case "gone":
        throw new UserError(`the pane ${pane.paneId} of ${name} is gone`, EXIT_PANE_GONE);
    }
  } finally {
    unsubscribe();
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}
