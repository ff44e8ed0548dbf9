import { join } from "node:path";
import {
  checkStep,
  type CheckedStep,
  type Invoking,
  renderApplyPlan,
  renderStepResult,
  type PlannedStep,
  runStep,
} from "../../apply/index.js";
import { ensurePrivateRunDir } from "../../heartbeat/index.js";
import type { FixStep, FleetStatus } from "../../diff/index.js";
import { acquireLock, type Owner } from "../../system/index.js";
import { initLog, log } from "../../log.js";
import { type ObserveContext, lookupTenants } from "../../observe/index.js";
import type { FleetSpec } from "../../spec/index.js";
import { safeText, tableRenderer } from "../../report/index.js";
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UserError } from "../exit-codes.js";
import { fleetStatus, loadFleetOrExit, observeContext, paintFor } from "../fleet-context.js";
import { durationOption } from "../duration-option.js";
import type { Io } from "../io.js";
import type { RosterOptions, SocketOption } from "../options.js";

// `mosaic fleet apply`: carry out the fix plan (docs/commands.md). Explicit and
// reviewable: the plan is shown first; a terminal is asked once, anything else needs
// --yes; disruptive steps need --allow-disruptive; one run per fleet at a time; every
// step is checked against the roster before it runs and logged (pino) with who, what
// and the result; the fleet is observed again afterwards and the verdict is the exit code.

interface ApplyOptions {
  dryRun: boolean;
  yes: boolean;
  allowDisruptive: boolean;
  agents: string[];
  stepTimeoutMs: number;
  settleMs: number;
}

/** `fleet apply`'s flags. */
export type ApplyFlags = RosterOptions &
  SocketOption & {
    dryRun?: boolean | undefined;
    yes?: boolean | undefined;
    allowDisruptive?: boolean | undefined;
    agent?: string[] | undefined;
    stepTimeout?: string | undefined;
    settle?: string | undefined;
  };

function applyOptions(options: ApplyFlags): ApplyOptions {
  const bounds = { minS: 0.001, maxS: 600 };
  return {
    dryRun: options.dryRun === true,
    yes: options.yes === true,
    allowDisruptive: options.allowDisruptive === true,
    agents: options.agent ?? [],
    stepTimeoutMs: durationOption("--step-timeout", options.stepTimeout ?? "60s", bounds) * 1000,
    settleMs: durationOption("--settle", options.settle ?? "15s", bounds) * 1000,
  };
}

/** The lock file of one fleet in the invoker's run directory. */
function lockPath(runDir: string, fleet: string): string {
  const safe = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/.test(fleet)
    ? fleet
    : Buffer.from(fleet).toString("hex").slice(0, 64);
  return join(runDir, `fleet-apply.${safe}.lock`);
}

/** Decide what happens to each step in this run. */
function dispose(
  plan: readonly FixStep[],
  fleet: FleetSpec,
  status: FleetStatus,
  me: Invoking,
  allowDisruptive: boolean,
): { planned: PlannedStep[]; checked: Map<FixStep, CheckedStep> } {
  const checked = new Map<FixStep, CheckedStep>();
  const planned = plan.map((step): PlannedStep => {
    const check = checkStep(step, fleet, status, me);
    if (!check.ok) return { step, disposition: check.manual ? "manual" : "refused", note: check.why };
    checked.set(step, check.checked);
    if (step.disruptive && !allowDisruptive) return { step, disposition: "skip-disruptive" };
    return { step, disposition: "run" };
  });
  return { planned, checked };
}

/** Why the selected agents are not where the roster wants them (empty: converged). */
function notConverged(status: FleetStatus, selected: Set<string>): string[] {
  const reasons: string[] = [];
  for (const agent of status.agents.filter((a) => selected.has(a.name))) {
    for (const c of agent.conditions.filter((x) => x.status === "True"))
      reasons.push(`${agent.name}: ${c.type} (${c.reason}): ${c.message}`);
  }
  const left = (status.fixPlan ?? []).filter((s) => selected.has(s.agent));
  const disruptive = left.filter((s) => s.disruptive).length;
  if (disruptive > 0)
    reasons.push(
      `${disruptive} disruptive step${disruptive === 1 ? "" : "s"} still planned (rerun with --allow-disruptive)`,
    );
  const other = left.length - disruptive;
  if (other > 0) reasons.push(`${other} other step${other === 1 ? "" : "s"} still planned`);
  return reasons;
}

async function askOnce(io: Io, question: string): Promise<boolean> {
  io.stdout(question);
  const { createInterface } = await import("node:readline");
  const rl = createInterface({ input: process.stdin });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once("line", resolve);
      rl.once("close", () => resolve(""));
    });
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}

/** `mosaic fleet apply [--dry-run] [--yes] [--allow-disruptive] [--agent NAME]…`. */
export async function run(options: ApplyFlags, _args: string[], io: Io): Promise<number> {
  const opts = applyOptions(options);
  const fleet = await loadFleetOrExit(options, io);
  const ctx = observeContext(options, io);
  const known = new Set(fleet.agents.map((a) => a.name));
  const unknown = opts.agents.filter((name) => !known.has(name));
  if (unknown.length > 0)
    throw new UserError(`no agent named "${safeText(unknown[0] ?? "")}" in the roster (--agent takes exact names)`);
  const selected = new Set(opts.agents.length > 0 ? opts.agents : fleet.agents.map((a) => a.name));
  // Every action is an audit record: at least `info`, unless the operator chose a level.
  if (!io.env["MOSAIC_LOG_LEVEL"]) await initLog({ ...io.env, MOSAIC_LOG_LEVEL: "info" });

  if (opts.dryRun) return applyOnce(fleet, ctx, selected, opts, io);
  ensurePrivateRunDir(ctx.runDir);
  // flock: the kernel drops it the moment its holder dies (SIGKILL included).
  const taken = await acquireLock(lockPath(ctx.runDir, fleet.fleet), 0, `fleet apply ${fleet.fleet}`);
  if (!taken.ok) {
    const holder = taken.busy && taken.holder ? ` (${taken.holder})` : "";
    throw new UserError(
      taken.busy
        ? `another \`mosaic fleet apply\`${safeText(holder)} is running for fleet ${safeText(fleet.fleet)}; nothing was done`
        : `${taken.message}; nothing was done`,
      EXIT_USAGE,
    );
  }
  try {
    return await applyOnce(fleet, ctx, selected, opts, io);
  } finally {
    taken.lock.release();
  }
}

async function applyOnce(
  fleet: FleetSpec,
  ctx: ObserveContext,
  selected: Set<string>,
  opts: ApplyOptions,
  io: Io,
): Promise<number> {
  const paint = paintFor({}, io);
  const me: Invoking = {
    user: ctx.user,
    uid: ctx.uid,
    hostname: ctx.hostname,
    ...(ctx.socketOverride !== undefined ? { socketOverride: ctx.socketOverride } : {}),
  };
  const before = await fleetStatus(fleet, ctx, true);
  const plan = (before.fixPlan ?? []).filter((step) => selected.has(step.agent));
  const { planned, checked } = dispose(plan, fleet, before, me, opts.allowDisruptive);
  io.stdout(renderApplyPlan(planned, paint));
  const toRun = planned.filter((p) => p.disposition === "run");

  if (opts.dryRun || toRun.length === 0) {
    io.stdout(opts.dryRun ? "\nDry run: nothing was changed.\n" : "\nNothing to run; nothing was changed.\n");
    return verdict(before, selected, [], io);
  }
  if (!opts.yes) {
    if (!io.stdinIsTTY || !io.stdoutIsTTY)
      throw new UserError(
        "not a terminal, so not asking: pass --yes to apply the plan (or --dry-run); nothing was done",
      );
    if (!(await askOnce(io, `\nApply ${toRun.length} step${toRun.length === 1 ? "" : "s"}? [y/N] `)))
      throw new UserError("not applied; nothing was done");
  }

  // Root acting for tenants: their accounts, looked up once, so each step runs as its tenant.
  const tenants = [...new Set(toRun.flatMap((p) => checked.get(p.step)?.runAs?.name ?? []))];
  const accounts: Map<string, Owner | null> =
    tenants.length > 0 ? await lookupTenants(tenants, ctx.env, ctx.timeoutMs) : new Map<string, Owner | null>();

  io.stdout("\n");
  const failures: string[] = [];
  const failedAgents = new Set<string>();
  let index = 0;
  for (const { step, disposition, note } of planned) {
    index += 1;
    const who = { uid: ctx.uid, user: ctx.user };
    const record = { event: "fleet.apply.step", who, agent: step.agent, tenant_id: step.tenant_id, host: step.host };
    if (disposition !== "run") {
      const why = disposition === "skip-disruptive" ? "disruptive; needs --allow-disruptive" : (note ?? disposition);
      io.stdout(renderStepResult(index, planned.length, step, "skipped", why, paint));
      log(
        "info",
        { ...record, action: step.action?.kind ?? "none", argv: step.argv, result: "skipped", why },
        "step skipped",
      );
      continue;
    }
    const c = checked.get(step) as CheckedStep;
    if (failedAgents.has(step.agent)) {
      const why = "an earlier step for this agent failed";
      io.stdout(renderStepResult(index, planned.length, step, "skipped", why, paint));
      log("info", { ...record, action: c.action.kind, argv: c.action.command, result: "skipped", why }, "step skipped");
      continue;
    }
    const owner: Owner | null = c.runAs === null ? null : (accounts.get(c.runAs.name) ?? null);
    const result =
      c.runAs !== null && owner?.uid !== c.runAs.uid
        ? {
            ok: false,
            ms: 0,
            exitCode: null,
            timedOut: false,
            message: `tenant ${c.runAs.name}'s account changed or is gone`,
          }
        : await runStep(c, ctx.env, opts.stepTimeoutMs, owner);
    const fields = {
      ...record,
      action: c.action.kind,
      argv: c.action.command,
      run_as: c.runAs?.name ?? null,
      result: result.ok ? "ok" : "failed",
      exit_code: result.exitCode,
      ms: result.ms,
      ...(result.ok ? {} : { message: result.message }),
    };
    log(result.ok ? "info" : "warn", fields, result.ok ? "step done" : "step failed");
    io.stdout(
      renderStepResult(
        index,
        planned.length,
        step,
        result.ok ? "ok" : "failed",
        result.ok ? `${result.ms} ms` : result.message,
        paint,
      ),
    );
    if (!result.ok) {
      failedAgents.add(step.agent);
      failures.push(`${step.agent}: \`${step.argv.join(" ")}\` failed: ${result.message}`);
    }
  }

  const after = await settle(fleet, ctx, selected, opts);
  const { renderTable } = await tableRenderer();
  const shown = { ...after, agents: after.agents.filter((a) => selected.has(a.name)) };
  io.stdout(`\nAfter apply:\n${renderTable(shown, paint)}`);
  return verdict(after, selected, failures, io);
}

/**
 * Observe again until nothing this run could still do is planned (a started unit's
 * session appears a moment after `systemctl start` returns), or `settleMs` passes.
 */
async function settle(
  fleet: FleetSpec,
  ctx: ObserveContext,
  selected: Set<string>,
  opts: ApplyOptions,
): Promise<FleetStatus> {
  const deadline = Date.now() + opts.settleMs;
  const pending = (status: FleetStatus) =>
    (status.fixPlan ?? []).filter((s) => selected.has(s.agent) && (opts.allowDisruptive || !s.disruptive)).length;
  for (;;) {
    const status = await fleetStatus(fleet, ctx, true);
    const starting = status.agents.some(
      (a) => selected.has(a.name) && (a.unit.active === "activating" || a.unit.active === "deactivating"),
    );
    if ((pending(status) === 0 && !starting) || Date.now() >= deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

function verdict(status: FleetStatus, selected: Set<string>, failures: string[], io: Io): number {
  const reasons = [...failures, ...notConverged(status, selected)];
  if (reasons.length === 0) {
    io.stdout("\nConverged: every selected agent matches the roster.\n");
    return EXIT_OK;
  }
  io.stdout(`\nNot converged:\n${reasons.map((r) => `  - ${safeText(r)}\n`).join("")}`);
  return EXIT_FINDINGS;
}
