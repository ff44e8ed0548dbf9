import { isCompliant, summarize, rosterDiffer, type FleetDiffDocument } from "../../diff/index.js";
import { renderDiff, renderFixPlan, renderJson, renderYaml, type DiffFormat } from "../../report/index.js";
import { EXIT_FINDINGS, EXIT_OK } from "../exit-codes.js";
import { fleetStatus, loadFleetOrExit, observeContext, outputFormat, paintFor } from "../fleet-context.js";
import type { Io } from "../io.js";
import type { HostOptions, OutputOptions, RosterOptions, SocketOption } from "../options.js";

/** `fleet diff`'s flags. */
export type DiffOptions = RosterOptions & HostOptions & OutputOptions<DiffFormat> & SocketOption;

/** `mosaic fleet diff`: roster against live state; exit 0 in compliance, 1 differences, 2 bad input. */
export async function run(options: DiffOptions, _args: string[], io: Io): Promise<number> {
  const fleet = await loadFleetOrExit(options, io);
  const status = await fleetStatus(fleet, observeContext(options, io), true);
  const { rosterDiff } = await rosterDiffer();
  const diffs = rosterDiff(status);
  const summary = summarize(status);
  const compliant = isCompliant(status) && diffs.every((d) => d.changes.length === 0);
  const format = outputFormat(options);
  if (format === "json" || format === "yaml") {
    const document: FleetDiffDocument = {
      ...status,
      kind: "FleetDiff",
      diff: diffs,
      summary: { ...summary, unmanaged: status.unmanaged.length, compliant },
    };
    io.stdout(format === "json" ? renderJson(document) : await renderYaml(document));
  } else {
    const paint = paintFor(options, io);
    io.stdout(renderDiff(status, diffs, paint));
    if ((status.fixPlan ?? []).length > 0) io.stdout(`\n${renderFixPlan(status.fixPlan ?? [], paint, status.agents)}`);
  }
  return compliant ? EXIT_OK : EXIT_FINDINGS;
}
