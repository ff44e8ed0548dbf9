import { jsonSafe } from "../terminal-text.js";
import { processStreams, runCommand } from "../system/index.js";
import { remoteObserver, type HostFailure, type ObserveContext, type SshHost } from "../observe/index.js";
import { thisMachineNames, type AgentSpec, type FleetSpec } from "../spec/index.js";
import { EXIT_HOST_UNREACHABLE, EXIT_OK } from "./exit-codes.js";
import { onStdoutClosed, type Io } from "./io.js";
import type { AgentRequest, AgentVerb } from "./remote-request.js";

// `agent send/logs/watch/attach` on an agent whose roster host is another machine
// described `ssh:` (docs/commands.md, Many hosts): the command runs there, by that host's
// own mosaic, as `ssh … DEST MOSAIC agent over-ssh --request=WORD` — fixed words, the
// agent's resolved roster entry and the message inside one base64url WORD — with the
// same refusals and exit codes as here. ssh's own failure is exit 5, one sentence.
// Everything heavier than a name lookup loads only when an agent really is remote.

/** The agent named `name` when the command must run on its ssh host; null: here, as always. */
export function agentOnSshHost(
  fleet: FleetSpec,
  name: string | undefined,
  ctx: Pick<ObserveContext, "hostname" | "user">,
): { agent: AgentSpec; host: SshHost } | null {
  if (fleet.hosts.length === 0 || name === undefined) return null;
  // The agent the local path would pick (docs/commands.md: exact names, this host's first).
  const matches = fleet.agents.filter((a) => a.name === name);
  const here = thisMachineNames(fleet, ctx.hostname);
  const agent = matches.find((a) => here.has(a.host) && a.tenant === ctx.user) ?? matches[0];
  if (agent === undefined || here.has(agent.host)) return null;
  const host = fleet.hosts.find((h) => h.name === agent.host);
  return host?.via === "ssh" ? { agent, host } : null;
}

/** The request's verb-specific part. */
type VerbFields = Omit<AgentRequest, "v" | "verb" | "name" | "roster" | "socket">;

/** The one sentence for a host that could not run the command, and its exit code. */
function unreachable(io: Io, verb: AgentVerb, agent: AgentSpec, failure: HostFailure): number {
  io.stderr(
    `mosaic: agent ${verb} ${agent.name}: host ${agent.host} could not be used (${failure.reason}): ${failure.message}\n`,
  );
  return EXIT_HOST_UNREACHABLE;
}

/** Pass the far side's stderr on, each line escaped (the output boundary escapes it again). */
function relayStderr(io: Io, stderr: string): void {
  const text = stderr.replace(/\r/g, "").trimEnd();
  if (text !== "") io.stderr(`${text}\n`);
}

/**
 * The far side's `send -o json` result with `host` as the roster names it (the far side
 * knows only what the machine calls itself), as `fleet ps` names a remote row. Anything
 * that is not such a result passes unchanged.
 */
function namedAsRosterDoes(stdout: string, host: string): string {
  let result: unknown;
  try {
    result = JSON.parse(stdout);
  } catch {
    return stdout;
  }
  if (typeof result !== "object" || result === null || Array.isArray(result) || !("host" in result)) return stdout;
  return `${jsonSafe(JSON.stringify({ ...result, host }, null, 2))}\n`;
}

/**
 * Run `verb` for the agent on its ssh host; resolves to the exit code, as the local
 * command's. `fields` are the verb's options, already validated here.
 */
export async function runOnAgentHost(
  verb: AgentVerb,
  target: { agent: AgentSpec; host: SshHost },
  fleet: FleetSpec,
  ctx: ObserveContext,
  io: Io,
  fields: VerbFields = {},
): Promise<number> {
  const [{ remoteRoster, sshCommand, sshFailure, remoteTooOld }, { encodeRequest }] = await Promise.all([
    remoteObserver(),
    import("./remote-request.js"),
  ]);
  const { agent, host } = target;
  const request: AgentRequest = {
    v: 1,
    verb,
    name: agent.name,
    roster: remoteRoster(fleet, [agent]),
    ...(ctx.socketOverride !== undefined ? { socket: ctx.socketOverride } : {}),
    ...fields,
  };
  const hostTimeoutMs = ctx.hostTimeoutMs ?? 5_000;
  const terminal = verb === "watch" || verb === "attach";
  // A terminal session may ask for a key's passphrase as ssh would; nothing else may prompt.
  const argv = sshCommand(host, ctx.env, hostTimeoutMs, { batch: !terminal, tty: terminal }, [
    "agent",
    "over-ssh",
    encodeRequest(request),
  ]);
  const mismatch = (stderr: string, exitCode: number | null): HostFailure | null =>
    exitCode === 2 && remoteTooOld(stderr)
      ? {
          reason: "RemoteVersionMismatch",
          message: `ssh ${host.destination}: ${host.mosaic} there does not know agent over-ssh; upgrade it`,
        }
      : null;

  if (terminal) {
    const { runOnTerminal } = await processStreams();
    const end = await runOnTerminal(argv, { env: ctx.env });
    // Left on SIGTERM/SIGHUP, as the local viewer is (docs/commands.md: exit 0).
    if (end.killed) return EXIT_OK;
    const failure = sshFailure(host, end);
    if (failure) return unreachable(io, verb, agent, failure);
    relayStderr(io, end.stderr);
    return end.exitCode ?? EXIT_HOST_UNREACHABLE;
  }

  if (verb === "send") {
    const waitMs = fields.timeout !== undefined ? await durationMs(fields.timeout) : 10_000;
    const result = await runCommand(argv, {
      env: ctx.env,
      input: "",
      // Connect, then the send's own bound (lock and proof), then the remote's tmux calls.
      timeoutMs: hostTimeoutMs + waitMs + 4 * ctx.timeoutMs,
      maxStdoutBytes: 1024 * 1024,
    });
    const failure = sshFailure(host, result) ?? mismatch(result.stderr, result.exitCode);
    if (failure) return unreachable(io, verb, agent, failure);
    const shown = fields.output === "json" ? namedAsRosterDoes(result.stdout, agent.host) : result.stdout;
    if (shown !== "") io.stdout(shown.endsWith("\n") ? shown : `${shown}\n`);
    relayStderr(io, result.stderr);
    return result.exitCode ?? EXIT_HOST_UNREACHABLE;
  }

  // logs: streamed as it comes; with -f until Ctrl-C, SIGTERM or our reader going away.
  const { streamCommand } = await processStreams();
  const program = streamCommand(argv, {
    env: ctx.env,
    onStdout: (text) => io.stdout(text),
    ...(fields.follow === true ? {} : { timeoutMs: hostTimeoutMs + 8 * ctx.timeoutMs }),
  });
  let stopping = false;
  let grace: NodeJS.Timeout | undefined;
  // Closing its stdin is the far side's Ctrl-C (sshd gives a command without a terminal
  // no signal): it stops and exits 0; past the host timeout it is ended from here.
  const stop = () => {
    if (stopping) return;
    stopping = true;
    program.closeInput();
    grace = setTimeout(() => program.kill(), hostTimeoutMs);
  };
  if (fields.follow !== true) program.closeInput();
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const unsubscribe = onStdoutClosed(stop);
  try {
    const end = await program.ended;
    if (stopping) return EXIT_OK;
    const failure = sshFailure(host, end) ?? mismatch(end.stderr, end.exitCode);
    if (failure) return unreachable(io, verb, agent, failure);
    relayStderr(io, end.stderr);
    return end.exitCode ?? EXIT_HOST_UNREACHABLE;
  } finally {
    if (grace) clearTimeout(grace);
    unsubscribe();
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

/** A `--timeout` the local command already accepted, in ms. */
async function durationMs(text: string): Promise<number> {
  const { durationOption } = await import("./duration-option.js");
  return durationOption("--timeout", text, { minS: 0.001, maxS: 600 }) * 1000;
}
