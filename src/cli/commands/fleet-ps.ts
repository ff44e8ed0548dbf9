import { renderFixPlan } from "../../report/fix-plan.js";
import { renderJson, renderYaml } from "../../report/status-formats.js";
import { renderTable } from "../../report/table.js";
import { EXIT_OK } from "../exit-codes.js";
import { fleetStatus, loadFleetOrExit, observeContext, outputFormat, paintFor } from "../fleet-context.js";
import type { Io } from "../io.js";
import { parseDuration } from "../../spec/duration.js";
import { UserError } from "../exit-codes.js";

/** `--probe [--probe-timeout DUR]` → milliseconds to wait for echoes, or undefined. */
function probeTimeout(options: Record<string, unknown>): number | undefined {
  if (options["probe"] !== true) return undefined;
  const raw = (options["probeTimeout"] as string | undefined) ?? "2s";
  const seconds = parseDuration(raw);
  if (seconds === null || seconds > 60) throw new UserError(`invalid --probe-timeout "${raw}": a duration up to 60s, e.g. 2s or 500ms`);
  return seconds * 1000;
}

/** `mosaic fleet ps [--fix-plan]`: one row per roster agent; exit 0 once rendered. */
export async function run(options: Record<string, unknown>, _args: string[], io: Io): Promise<number> {
  const fleet = loadFleetOrExit(options, io);
  const ctx = observeContext(options, io);
  const withPlan = options["fixPlan"] === true;
  const status = await fleetStatus(fleet, ctx, withPlan, probeTimeout(options));
  const format = outputFormat(options);
  if (format === "json") io.stdout(renderJson(status));
  else if (format === "yaml") io.stdout(renderYaml(status));
  else {
    const paint = paintFor(options, io);
    io.stdout(renderTable(status, paint, format === "wide"));
    if (withPlan) io.stdout(`\n${renderFixPlan(status.fixPlan ?? [], paint)}`);
  }
  return EXIT_OK;
}
