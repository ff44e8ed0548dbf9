import { decodeRequest, type AgentRequest } from "../remote-request.js";
import { EXIT_OK, UserError } from "../exit-codes.js";
import type { InlineRoster } from "../fleet-context.js";
import type { Io } from "../io.js";
import type { SocketOption } from "../options.js";
import type { LogsOptions } from "./agent-logs.js";
import type { SendOptions } from "./agent-send.js";

// The far half of `agent send/logs/watch/attach` on another host (docs/commands.md, Many
// hosts): `mosaic agent over-ssh --request=WORD`, run by the operator's ssh. The request
// is decoded and checked, then the very same command runs here, with the roster entry it
// carries, so every refusal and exit code is the local command's.

/**
 * Without a terminal sshd sends the command no signal when the operator's ssh goes
 * away; its stdin reaching EOF is the sign. `agent logs -f` then stops as on Ctrl-C.
 */
function stopWhenInputEnds(): void {
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    process.emit("SIGINT", "SIGINT");
    // Before the follow loop listens, nothing hears that: leave anyway (read-only, nothing to undo).
    setTimeout(() => process.exit(EXIT_OK), 2_000).unref();
  };
  process.stdin.on("error", end);
  process.stdin.on("end", end);
  process.stdin.on("close", end);
  process.stdin.resume();
}

/** Run the request's verb here, exactly as that command runs for a local agent. */
async function runRequest(request: AgentRequest, io: Io): Promise<number> {
  const common: InlineRoster & SocketOption = {
    rosterText: request.roster,
    ...(request.socket !== undefined ? { socket: request.socket } : {}),
  };
  switch (request.verb) {
    case "send": {
      const options: SendOptions & InlineRoster = {
        ...common,
        verify: request.verify === true,
        ...(request.timeout !== undefined ? { timeout: request.timeout } : {}),
        ...(request.output !== undefined ? { output: request.output } : {}),
      };
      return (await import("./agent-send.js")).run(options, [request.name, request.message ?? ""], io);
    }
    case "logs": {
      if (request.follow === true) stopWhenInputEnds();
      const options: LogsOptions & InlineRoster = {
        ...common,
        follow: request.follow === true,
        ...(request.lines !== undefined ? { lines: request.lines } : {}),
      };
      return (await import("./agent-logs.js")).run(options, [request.name], io);
    }
    case "watch":
      return (await import("./agent-watch.js")).run(common, [request.name], io);
    case "attach":
      return (await import("./agent-attach.js")).run(common, [request.name], io);
  }
}

/** `agent over-ssh`'s one flag. */
export interface OverSshOptions {
  request: string;
}

/** `mosaic agent over-ssh --request=WORD` (hidden): one agent command on this host, for another host's mosaic. */
export async function run(options: OverSshOptions, _args: string[], io: Io): Promise<number> {
  const decoded = decodeRequest(options.request);
  if (!decoded.ok) throw new UserError(`agent over-ssh: ${decoded.message}`);
  return runRequest(decoded.request, io);
}
