import { machineFacts, type FleetSpec } from "../spec/resolve.js";
import { cacheDir } from "../cache/private-file.js";
import { loadRosterCached } from "../spec/cache.js";
import { SOCKET_RE } from "../spec/names.js";
import { formatProblem } from "../spec/problems.js";
import { isLocal, observeFleet, runDirOf, type ObserveContext } from "../observe/index.js";
import { buildFleetStatus } from "../diff/status.js";
import { fixPlan } from "../diff/fix-plan.js";
import type { FleetStatus } from "../diff/types.js";
import { colorEnabled, painter, type Paint } from "../report/style.js";
import { UserError } from "./exit-codes.js";
import type { Io } from "./io.js";
import { displayPath, mosaicHome, rosterPath } from "./roster-path.js";

// The shared front half of every fleet command: roster → observation → status.

type OutputFormat = "table" | "wide" | "json" | "yaml";

/** Load the roster named by the options, or print every problem and fail with exit 2. */
export async function loadFleetOrExit(options: Record<string, unknown>, io: Io): Promise<FleetSpec> {
  const file = rosterPath(options["roster"] as string | undefined, io);
  const result = await loadRosterCached(
    displayPath(file, io),
    machineFacts(),
    cacheDir(io.env),
    process.getuid?.() ?? 0,
  );
  if (!result.ok) {
    for (const problem of result.problems.slice(0, -1)) io.stderr(`${formatProblem(problem)}\n`);
    const last = result.problems[result.problems.length - 1];
    throw new UserError(last ? formatProblem(last) : "roster is invalid", 2, true);
  }
  const tenant = options["tenant"] as string | undefined;
  if (tenant === undefined) return result.fleet;
  // --tenant filters the fleet; a tenant the roster never names is a typo, not an empty fleet.
  const agents = result.fleet.agents.filter((agent) => agent.tenant === tenant);
  if (agents.length === 0) {
    const known = [...new Set(result.fleet.agents.map((a) => a.tenant))].join(", ") || "none";
    throw new UserError(`no agents of tenant "${tenant}" in ${displayPath(file, io)} (tenants: ${known})`);
  }
  return { ...result.fleet, agents };
}

/** How this invocation observes: env, uid, clock, overrides. */
export function observeContext(options: Record<string, unknown>, io: Io): ObserveContext {
  const facts = machineFacts();
  const socket = (options["socket"] as string | undefined) || io.env["MOSAIC_FLEET_SOCKET"] || undefined;
  if (socket !== undefined && !SOCKET_RE.test(socket)) {
    throw new UserError(`invalid tmux socket name "${socket}": use letters, digits, _ . -`);
  }
  const timeout = Number(io.env["MOSAIC_TIMEOUT_MS"] ?? "");
  return {
    env: io.env,
    uid: process.getuid?.() ?? 0,
    user: facts.user,
    hostname: facts.hostname,
    runDir: runDirOf(mosaicHome(io.env)),
    now: () => Date.now(),
    timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : 3_000,
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
  let probes: Map<string, { rttMs: number | null }> | undefined;
  if (probeTimeoutMs !== undefined) {
    const { probeHeartbeats } = await import("../observe/probe.js");
    const names = fleet.agents.filter((a) => a.heartbeat.expected && isLocal(a, ctx)).map((a) => a.name);
    probes = await probeHeartbeats(ctx.runDir, names, { timeoutMs: probeTimeoutMs, uid: ctx.uid });
  }
  const observation = await observeFleet(fleet, ctx);
  const status = buildFleetStatus(fleet, observation, {
    nowMs: observation.observedAtMs,
    ...(probes !== undefined ? { probes } : {}),
    ...(ctx.socketOverride !== undefined ? { socketOverride: ctx.socketOverride } : {}),
  });
  return withPlan ? { ...status, fixPlan: fixPlan(status) } : status;
}

/** `-o FORMAT` / `--json`, defaulting to the table. */
export function outputFormat(options: Record<string, unknown>): OutputFormat {
  if (options["json"]) return "json";
  return (options["output"] as OutputFormat | undefined) ?? "table";
}

/** The colour painter for this invocation. */
export function paintFor(options: Record<string, unknown>, io: Io): Paint {
  return painter(colorEnabled(io.stdoutIsTTY, io.env, options["color"] as boolean | undefined));
}
