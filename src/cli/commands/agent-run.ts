import { superviseAgent, type SuperviseOutcome } from "../../agent/index.js";
import { checkTmuxSocket } from "../../system/index.js";
import { AGENT_NAME_RE, SOCKET_RE } from "../../spec/index.js";
import { safeText } from "../../report/index.js";
import { EXIT_USAGE, UserError } from "../exit-codes.js";
import type { Io } from "../io.js";
import type { SocketOption } from "../options.js";

/** The status a unit's main process reports for how the agent ended (a shell's convention for signals). */
export function exitCodeOf(outcome: SuperviseOutcome): number {
  switch (outcome.kind) {
    case "exited":
      return Math.min(255, Math.max(0, outcome.status));
    case "killed":
      return Math.min(255, 128 + outcome.signal);
    case "gone":
      return 1;
    case "stopped":
      return 0;
    case "refused":
      return EXIT_USAGE;
    default: {
      const unreachable: never = outcome;
      return unreachable;
    }
  }
}

/** The session environment: every MOSAIC_* variable of the unit, and the agent's name. */
function sessionEnv(name: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && /^MOSAIC_[A-Z0-9_]+$/.test(key) && !/[\0\n]/.test(value)) vars[key] = value;
  }
  vars["MOSAIC_AGENT_NAME"] = name;
  return vars;
}

/**
 * `mosaic agent run NAME [--socket S] -- COMMAND…`: the foreground of a supervised unit.
 * Exit status: the agent's own (128+N when killed by signal N), 0 when the unit is
 * stopped, 1 when the session vanished, 2 for bad input or a session it will not take over.
 */
export async function run(options: SocketOption, args: string[], io: Io): Promise<number> {
  const [name, ...argv] = args;
  if (!name || !AGENT_NAME_RE.test(name)) {
    throw new UserError(`invalid agent name "${safeText(name ?? "")}": letters, digits, _ and -, up to 64`);
  }
  if (argv.length === 0) throw new UserError("missing COMMAND: mosaic agent run NAME -- COMMAND [ARG…]");
  if (argv.some((arg) => arg.includes("\0"))) throw new UserError("COMMAND arguments cannot contain NUL bytes");
  const socket = options.socket || io.env["MOSAIC_FLEET_SOCKET"] || "";
  if (!socket) throw new UserError("no tmux socket: pass --socket NAME or set MOSAIC_FLEET_SOCKET");
  if (!SOCKET_RE.test(socket))
    throw new UserError(`invalid tmux socket name "${safeText(socket)}": use letters, digits, _ . -`);
  // The server must already be there (mosaic-fleet-holder.service): a server started by
  // this unit would live in its cgroup and take every agent's pane with it when it stops.
  const check = checkTmuxSocket(socket, io.env, process.getuid?.() ?? 0);
  // An unsafe socket is a configuration error (2: not retried by the unit); a missing server may come back (1).
  if (!check.ok)
    throw check.reason === "SocketUnsafe"
      ? new UserError(check.message, EXIT_USAGE)
      : new UserError(`${check.message}; start mosaic-fleet-holder.service first`, 1);

  let onStop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    onStop = resolve;
  });
  const signals = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
  for (const signal of signals) process.on(signal, onStop);
  try {
    const timeout = Number(io.env["MOSAIC_TIMEOUT_MS"] ?? "");
    const outcome = await superviseAgent({
      name,
      socketPath: check.path,
      argv,
      sessionEnv: sessionEnv(name, io.env),
      env: io.env,
      timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : 5_000,
      stopped,
      say: (line) => io.stderr(`${line}\n`),
    });
    const code = exitCodeOf(outcome);
    switch (outcome.kind) {
      case "refused":
        throw new UserError(outcome.message, code);
      case "gone":
        io.stderr(`mosaic: ${outcome.message}\n`);
        break;
      case "exited":
        io.stderr(`mosaic agent run: ${name}'s process exited with status ${outcome.status}\n`);
        break;
      case "killed":
        io.stderr(`mosaic agent run: ${name}'s process was killed by signal ${outcome.signal}\n`);
        break;
      case "stopped":
        io.stderr(`mosaic agent run: stopped; session ${name} killed\n`);
        break;
    }
    return code;
  } finally {
    for (const signal of signals) process.off(signal, onStop);
  }
}
