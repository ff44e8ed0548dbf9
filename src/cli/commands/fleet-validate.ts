import { loadRoster } from "../../spec/load.js";
import { formatProblem } from "../../spec/problems.js";
import { EXIT_OK, EXIT_USAGE } from "../exit-codes.js";
import type { Io } from "../io.js";
import { displayPath, rosterPath } from "../roster-path.js";

/** `mosaic fleet validate`: every roster problem at FILE:LINE:COL, or a one-line OK. */
export async function run(options: Record<string, unknown>, _args: string[], io: Io): Promise<number> {
  const file = rosterPath(options["roster"] as string | undefined, io);
  const result = loadRoster(displayPath(file, io) === file ? file : displayPath(file, io));
  if (!result.ok) {
    for (const problem of result.problems) io.stderr(`${formatProblem(problem)}\n`);
    const count = result.problems.length;
    if (count > 1) io.stderr(`mosaic: roster is invalid (${count} problems)\n`);
    return EXIT_USAGE;
  }
  const { fleet } = result;
  io.stdout(
    `${displayPath(file, io)}: valid roster v1, fleet "${fleet.fleet}", ${fleet.agents.length} agent${fleet.agents.length === 1 ? "" : "s"}\n`,
  );
  return EXIT_OK;
}
