import {
  machineFacts,
  thisMachineNames,
  type FleetSpec,
  loadRosterCached,
  rosterParser,
  SOCKET_RE,
  formatProblem,
} from "../spec/index.js";
import { cacheDir } from "../cache/index.js";
import { runDirOf, heartbeatProber } from "../heartbeat/index.js";
import type { ObserveContext } from "../observe/index.js";
import { processAlive } from "../system/index.js";
import { durationOption } from "./duration-option.js";
import { observeAcrossHosts } from "./fleet-hosts.js";
import { fixPlan, type FleetStatus } from "../diff/index.js";
import { colorEnabled, painter, type Paint } from "../report/index.js";
import { UserError } from "./exit-codes.js";
import { safeText } from "../terminal-text.js";
import type { Io } from "./io.js";
import type { HostOptions, OutputOptions, RosterOptions, SocketOption } from "./options.js";
import { mosaicHome, rosterFile } from "./roster-path.js";

// The shared front half of every fleet command: roster → observation → status.

/** A roster given as text instead of a file: no flag sets it, only `agent over-ssh` (the request's roster entry). */
export interface InlineRoster {
  rosterText?: string | undefined;
}

/** Load the roster named by the options (`-f -`: standard input), or print every problem and fail with exit 2. */
export async function loadFleetOrExit(
  options: RosterOptions & Pick<HostOptions, "host"> & InlineRoster,
  io: Io,
): Promise<FleetSpec> {
  // `rosterText`: the roster another host's mosaic sent with `agent over-ssh` (src/cli/remote-request.ts).
  const inline = options.rosterText;
  const result =
    typeof inline === "string"
      ? (await rosterParser()).parseRoster("<ssh request>", inline)
      : await loadRosterCached(
          rosterFile(options.roster, io),
          machineFacts(),
          cacheDir(io.env),
          process.getuid?.() ?? 0,
        );
  if (!result.ok) {
    for (const problem of result.problems.slice(0, -1)) io.stderr(`${formatProblem(problem)}\n`);
    const last = result.problems[result.problems.length - 1];
    throw new UserError(last ? formatProblem(last) : "roster is invalid", 2, true);
  }
  const host = options.host;
  const fleet = host === undefined ? result.fleet : onlyHost(result.fleet, host, result.fleet.file);
  const tenant = options.tenant;
  if (tenant === undefined) return fleet;
  // --tenant filters the fleet; a tenant the roster never names is a typo, not an empty fleet.
  const agents = fleet.agents.filter((agent) => agent.tenant === tenant);
  if (agents.length === 0) {
    const known = [...new Set(fleet.agents.map((a) => a.tenant))].join(", ") || "none";
    throw new UserError(`no agents of tenant "${safeText(tenant)}" in ${fleet.file} (tenants: ${safeText(known)})`);
  }
  return { ...fleet, agents };
}

/** `--host NAME`: only that host's agents; a host the roster never names is a typo, not an empty fleet. */
function onlyHost(fleet: FleetSpec, host: string, file: string): FleetSpec {
  const agents = fleet.agents.filter((agent) => agent.host === host);
  if (agents.length === 0) {
    const known = [...new Set(fleet.agents.map((a) => a.host))].join(", ") || "none";
    throw new UserError(`no agents on host "${safeText(host)}" in ${file} (hosts: ${known})`);
  }
  return { ...fleet, agents };
}

/** How this invocation observes: env, uid, clock, overrides. */
export function observeContext(options: SocketOption & HostOptions, io: Io): ObserveContext {
  const facts = machineFacts();
  const socket = options.socket || io.env["MOSAIC_FLEET_SOCKET"] || undefined;
  if (socket !== undefined && !SOCKET_RE.test(socket)) {
    throw new UserError(`invalid tmux socket name "${socket}": use letters, digits, _ . -`);
  }
  const timeout = Number(io.env["MOSAIC_TIMEOUT_MS"] ?? "");
  const hostTimeoutS = durationOption("--host-timeout", options.hostTimeout ?? "5s", { minS: 0.1, maxS: 300 });
  return {
    env: io.env,
    uid: process.getuid?.() ?? 0,
    user: facts.user,
    hostname: facts.hostname,
    runDir: runDirOf(mosaicHome(io.env)),
    now: () => Date.now(),
    timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : 3_000,
    hostTimeoutMs: hostTimeoutS * 1000,
    cacheDir: cacheDir(io.env),
    ...(socket !== undefined ? { socketOverride: socket } : {}),
  };
}

/** Observe and diff: the status object, with the fix plan when asked. */
export async function fleetStatus(
  fleet: FleetSpec,
  ctx: ObserveContext,
  withPlan: boolean,
  probeTimeoutMs?: number,
): Promise<FleetStatus> {
  // Every host observed once (remote ones over ssh, in parallel); judged here, below.
  const judge = await observeAcrossHosts(fleet, ctx);
  const build = (probes?: Map<string, { rttMs: number | null }>) => judge(probes !== undefined ? { probes } : {});
  let status = build();
  if (probeTimeoutMs !== undefined) {
    // Probe after observing, and only responders that can answer: a missing or dead pane,
    // or a heartbeat whose writer is gone, is unanswered at once instead of after the timeout.
    const { probeHeartbeats } = await heartbeatProber();
    const here = thisMachineNames(fleet, ctx.hostname);
    const expected = status.agents.filter((a) => a.heartbeat.expected && here.has(a.host) && a.tenant_id === ctx.user);
    const answerable = expected.filter(
      // (A pane tmux could not report on, "unknown", does not say the responder is gone.)
      (a) =>
        a.pane.state !== "missing" &&
        a.pane.state !== "dead" &&
        a.heartbeat.pid !== null &&
        processAlive(a.heartbeat.pid),
    );
    const probes = await probeHeartbeats(
      ctx.runDir,
      answerable.map((a) => a.name),
      { timeoutMs: probeTimeoutMs, uid: ctx.uid },
    );
    for (const agent of expected) if (!probes.has(agent.name)) probes.set(agent.name, { nonce: "", rttMs: null });
    status = build(probes);
  }
  return withPlan ? { ...status, fixPlan: fixPlan(status, sshDestinations(fleet, ctx.hostname)) } : status;
}

/** Host name → its ssh destination, for fix-plan steps that read `ssh DEST systemctl --user …`. */
export function sshDestinations(fleet: FleetSpec, hostname: string): Map<string, string> {
  const destinations = new Map<string, string>();
  for (const host of fleet.hosts)
    if (host.via === "ssh" && host.name !== hostname) destinations.set(host.name, host.destination);
  return destinations;
}

/** `-o FORMAT` / `--json`, defaulting to the table. */
export function outputFormat<Format extends string>(options: OutputOptions<Format>): Format | "json" | "table" {
  if (options.json) return "json";
  return options.output ?? "table";
}

/** The colour painter for this invocation. */
export function paintFor(options: Pick<RosterOptions, "color">, io: Io): Paint {
  return painter(colorEnabled(io.stdoutIsTTY, io.env, options.color));
}
