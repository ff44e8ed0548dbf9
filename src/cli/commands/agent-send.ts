import { jsonSafe } from "../../terminal-text.js";
import { messageProblem, sendMessage } from "../../agent/index.js";
import { heartbeatPath as heartbeatFile } from "../../heartbeat/index.js";
import { durationOption } from "../duration-option.js";
import { resolveAgentTarget } from "../agent-target.js";
import { EXIT_FINDINGS, EXIT_OK, EXIT_PANE_GONE, UserError } from "../exit-codes.js";
import { loadFleetOrExit, observeContext } from "../fleet-context.js";
import type { Io } from "../io.js";
import { agentOnSshHost, runOnAgentHost } from "../remote-agent.js";
import type { OutputOptions, RosterOptions, SocketOption } from "../options.js";
import type { TextFormat } from "../../report/index.js";

/** `agent send`'s flags. */
export type SendOptions = RosterOptions &
  SocketOption &
  OutputOptions<TextFormat> & {
    verify?: boolean | undefined;
    timeout?: string | undefined;
  };

/** `mosaic agent send NAME MESSAGE [--verify] [--timeout DUR] [-o json]`. */
export async function run(options: SendOptions, args: string[], io: Io): Promise<number> {
  const [name, message, ...extra] = args;
  if (message === undefined)
    throw new UserError("usage: mosaic agent send NAME MESSAGE (quote the message as one argument)");
  if (extra.length > 0)
    throw new UserError(`too many arguments; quote the message as one argument ("${[message, ...extra].join(" ")}")`);
  const problem = messageProblem(message);
  if (problem) throw new UserError(`refusing to send: ${problem}`);
  const rawTimeout = options.timeout ?? "10s";
  const timeoutS = durationOption("--timeout", rawTimeout, { minS: 0.001, maxS: 600 });

  const fleet = await loadFleetOrExit(options, io);
  const ctx = observeContext(options, io);
  const remote = agentOnSshHost(fleet, name, ctx);
  if (remote)
    return runOnAgentHost("send", remote, fleet, ctx, io, {
      message,
      verify: options.verify === true,
      timeout: rawTimeout,
      output: options.json === true || options.output === "json" ? "json" : "text",
    });
  const target = resolveAgentTarget(fleet, name, ctx);
  const heartbeatPath = target.agent.heartbeat.expected ? heartbeatFile(ctx.runDir, target.agent.name) : null;
  const outcome = await sendMessage({
    client: { socketPath: target.socketPath, env: io.env, timeoutMs: ctx.timeoutMs },
    agent: target.agent.name,
    runtime: target.agent.runtime.name,
    message,
    verify: options.verify === true,
    timeoutMs: timeoutS * 1000,
    heartbeatPath,
    runDir: ctx.runDir,
  });

  const delivered = outcome.kind === "delivered";
  const verified = outcome.kind === "delivered" ? outcome.verified : false;
  const json = options.json === true || options.output === "json";
  if (json) {
    io.stdout(
      `${jsonSafe(
        JSON.stringify(
          {
            agent: target.agent.name,
            tenant_id: target.agent.tenant,
            host: target.agent.host,
            delivered,
            verified,
            evidence: outcome.kind === "delivered" ? outcome.evidence : { refused: outcome.message },
            message: outcome.message,
          },
          null,
          2,
        ),
      )}\n`,
    );
  } else if (outcome.kind === "delivered" && outcome.verified !== false) {
    io.stdout(`${outcome.message}\n`);
  } else {
    io.stderr(`mosaic: ${outcome.message}\n`);
  }
  if (outcome.kind === "pane-gone") return EXIT_PANE_GONE;
  if (outcome.kind === "refused" || verified === false) return EXIT_FINDINGS;
  return EXIT_OK;
}
