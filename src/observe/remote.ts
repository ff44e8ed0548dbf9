import { safeText } from "../terminal-text.js";
import { runCommand, type CommandResult } from "../system/index.js";
import type { AgentSpec, FleetSpec, HostSpec } from "../spec/index.js";
import type { FleetObservation } from "./index.js";
import type { decodeObservation } from "./wire.js";

/** The largest answer read from a host; more is refused unread (RemoteAnswerInvalid). */
export const MAX_OBSERVATION_BYTES = 16 * 1024 * 1024;

// Another host's agents are observed there, by its own mosaic, over the operator's own
// ssh (docs/commands.md, Many hosts): `ssh DEST mosaic fleet observe -o json -f -` with
// those agents sent as a roster on stdin. Only raw facts come back; the diff runs here.
// Whatever goes wrong is data about that host, never an exception.

/** Why a host's agents could not be observed (docs/conditions.md, Visibility). */
export type HostFailureReason =
  | "HostUnreachable"
  | "HostTimeout"
  | "HostAuthFailed"
  | "RemoteMosaicMissing"
  | "RemoteVersionMismatch"
  | "RemoteAnswerInvalid";

export type RemoteObservation =
  { ok: true; observation: FleetObservation } | { ok: false; reason: HostFailureReason; message: string };

export type SshHost = Extract<HostSpec, { via: "ssh" }>;

export interface RemoteContext {
  env: NodeJS.ProcessEnv;
  /** The whole round trip's bound for one host (`--host-timeout`). */
  timeoutMs: number;
  /** ssh `-o` options for every host's connection (a `--watch`'s multiplexing). */
  sshOptions?: readonly string[];
}

/** The roster the remote mosaic reads: these agents, resolved here, host left to the remote. */
export function remoteRoster(fleet: FleetSpec, agents: readonly AgentSpec[]): string {
  const runtimes = Object.fromEntries(
    [...fleet.runtimes.values()]
      .filter((r) => !r.builtin && agents.some((a) => a.runtime.name === r.name) && r.match.length > 0)
      .map((r) => [r.name, { match: r.match }]),
  );
  const document = {
    version: 1,
    fleet: fleet.fleet,
    ...(Object.keys(runtimes).length > 0 ? { runtimes } : {}),
    agents: agents.map((a) => ({
      name: a.name,
      runtime: a.runtime.name,
      tenant: a.tenant,
      socket: a.socket,
      unit: a.unit,
      lifecycle: a.lifecycle,
      boot: a.boot,
      heartbeat: a.heartbeat.expected ? { interval: `${Math.round(a.heartbeat.intervalS * 1000)}ms` } : false,
    })),
  };
  // One field a line: a roster line may be at most 4096 characters (docs/roster.md, Limits).
  return `${JSON.stringify(document, null, 1)}\n`;
}

/** How ssh is asked to connect: the same fixed options for every remote command. */
export interface SshMode {
  /** BatchMode=yes: never a prompt. Off only where the operator is at a terminal (watch, attach). */
  batch: boolean;
  /** `-t`: a terminal on the far side (watch, attach). */
  tty: boolean;
  /** More `-o` options (ControlMaster/ControlPath/ControlPersist of a `--watch`). */
  extra?: readonly string[];
}

/**
 * ssh's argv for running `remote` (fixed words, each shell-inert: ssh joins them into one
 * string for the remote shell) on `host`: fixed options, never StrictHostKeyChecking=no;
 * the destination after `--`.
 */
export function sshCommand(
  host: SshHost,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  mode: SshMode,
  remote: readonly string[],
): string[] {
  const config = env["MOSAIC_SSH_CONFIG"];
  return [
    "ssh",
    ...(mode.batch ? ["-o", "BatchMode=yes"] : []),
    ...(mode.tty ? ["-t"] : []),
    "-o",
    `ConnectTimeout=${Math.max(1, Math.ceil(timeoutMs / 1000))}`,
    "-o",
    "LogLevel=ERROR",
    ...(mode.extra ?? []).flatMap((option) => ["-o", option]),
    ...(config ? ["-F", config] : []),
    "--",
    host.destination,
    ...host.mosaic.split(" "),
    ...remote,
  ];
}

/** ssh's argv for `fleet observe` on `host`. */
export function sshArgv(host: SshHost, env: NodeJS.ProcessEnv, timeoutMs: number, extra?: readonly string[]): string[] {
  return sshCommand(host, env, timeoutMs, { batch: true, tty: false, ...(extra ? { extra } : {}) }, [
    "fleet",
    "observe",
    "-o",
    "json",
    "-f",
    "-",
  ]);
}

/** ssh's own words, one escaped line, bounded. */
export function said(result: Pick<CommandResult, "stderr" | "message">): string {
  // ssh's banners (`@@@@ WARNING: … @`) framed in @: their words only; the last line says what failed.
  const lines = result.stderr
    .split("\n")
    .map((l) => l.replace(/^[@\s]+|[@\s]+$/g, ""))
    .filter((l) => l !== "" && !l.startsWith("Warning: Permanently added"));
  const kept = lines.length > 3 ? [...lines.slice(0, 2), "…", ...lines.slice(-1)] : lines;
  const text = kept.join("; ") || result.message;
  return safeText(text.length > 300 ? `${text.slice(0, 300)}…` : text);
}

const AUTH_FAILED =
  /Permission denied|Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key for .* has changed|No .*host key is known|Too many authentication failures|no matching host key type/i;
const TIMED_OUT = /timed out|Connection timeout/i;
const NOT_FOUND = /command not found|No such file or directory|not found$/im;
const OLD_MOSAIC = /unknown command|unknown option|too many arguments/i;

/** A failure of ssh itself, or of the remote mosaic's start, as data about the host. */
export interface HostFailure {
  reason: HostFailureReason;
  message: string;
}

/** What an ssh run needs for `sshFailure`: a CommandResult, or a streamed/terminal run's end. */
interface SshRun {
  timedOut: boolean;
  timeoutMs?: number;
  notFound: boolean;
  exitCode: number | null;
  stderr: string;
  message: string;
}

/**
 * The host-level failures every remote command shares: no answer in time, no ssh here,
 * ssh's own failure (exit 255: unreachable, timed out, authentication or host key
 * refused), or no mosaic there (127). Null: ssh ran the remote mosaic.
 */
export function sshFailure(host: SshHost, result: SshRun, notFoundWords = false): HostFailure | null {
  const where = `ssh ${host.destination}`;
  if (result.timedOut)
    return { reason: "HostTimeout", message: `${where}: no answer within ${result.timeoutMs ?? "the"} ms` };
  if (result.notFound) return { reason: "HostUnreachable", message: `ssh is not installed here (${result.message})` };
  if (result.exitCode === 255) {
    const text = said(result);
    const reason = AUTH_FAILED.test(result.stderr)
      ? "HostAuthFailed"
      : TIMED_OUT.test(result.stderr)
        ? "HostTimeout"
        : "HostUnreachable";
    return { reason, message: `${where}: ${text}` };
  }
  if (
    result.exitCode === 127 ||
    result.exitCode === 126 ||
    (notFoundWords && result.exitCode !== 0 && NOT_FOUND.test(result.stderr))
  )
    return {
      reason: "RemoteMosaicMissing",
      message: `${where}: ${host.mosaic} is not installed there (${said(result)}); set hosts.${host.name}.mosaic`,
    };
  return null;
}

/** A remote mosaic too old for what it was asked (an unknown command or option). */
export function remoteTooOld(stderr: string): boolean {
  return OLD_MOSAIC.test(stderr);
}

/** Classify a finished ssh run into the host's observation or its failure (`decode`: wire.ts's). */
export function classify(host: SshHost, result: CommandResult, decode: typeof decodeObservation): RemoteObservation {
  const where = `ssh ${host.destination}`;
  if (result.overflowed && !result.timedOut)
    return {
      ok: false,
      reason: "RemoteAnswerInvalid",
      message: `${where}: answer larger than ${MAX_OBSERVATION_BYTES} bytes; refused`,
    };
  const failed = sshFailure(host, result, true);
  if (failed) return { ok: false, ...failed };
  if (result.exitCode !== 0) {
    const reason = OLD_MOSAIC.test(result.stderr) ? "RemoteVersionMismatch" : "RemoteAnswerInvalid";
    return {
      ok: false,
      reason,
      message: `${where}: ${host.mosaic} exited ${result.exitCode ?? "on a signal"} (${said(result)})`,
    };
  }
  const decoded = decode(result.stdout);
  if (!decoded.ok) return { ok: false, reason: decoded.reason, message: `${where}: ${safeText(decoded.message)}` };
  return decoded;
}

/** Observe one host's agents through its own mosaic, bounded by the host timeout. */
export async function observeRemoteHost(
  host: SshHost,
  fleet: FleetSpec,
  agents: readonly AgentSpec[],
  ctx: RemoteContext,
): Promise<RemoteObservation> {
  // The decoder (and its schema library) loads while ssh connects, not before.
  const [result, { decodeObservation: decode }] = await Promise.all([
    runCommand(sshArgv(host, ctx.env, ctx.timeoutMs, ctx.sshOptions), {
      env: ctx.env,
      timeoutMs: ctx.timeoutMs,
      input: remoteRoster(fleet, agents),
      maxStdoutBytes: MAX_OBSERVATION_BYTES,
    }),
    import("./wire.js"),
  ]);
  return classify(host, result, decode);
}
