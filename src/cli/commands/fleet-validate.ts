import { formatProblem, rosterParser, type RosterProblem } from "../../spec/index.js";
import { EXIT_OK, EXIT_USAGE } from "../exit-codes.js";
import type { Io } from "../io.js";
import type { OutputOptions, RosterOptions } from "../options.js";
import { rosterFile } from "../roster-path.js";
import type { TextFormat } from "../../report/index.js";

/** `fleet validate`'s flags. */
export type ValidateOptions = RosterOptions & OutputOptions<TextFormat>;

// `-o json` is for editors and CI: the same problems as data, on stdout, one document
// (docs/json.md); the exit code is the same as the text form's.

/** One problem as data: where (1-based; 0 = the whole file) and what. */
function problemData(problem: RosterProblem) {
  return { file: problem.file, line: problem.line, col: problem.col, code: problem.code, message: problem.message };
}

/** `mosaic fleet validate`: every roster problem at FILE:LINE:COL (or as JSON), or a one-line OK. */
export async function run(options: ValidateOptions, _args: string[], io: Io): Promise<number> {
  const json = options.json === true || options.output === "json";
  const file = rosterFile(options.roster, io);
  const shown = file.label;
  const { loadRoster } = await rosterParser();
  const result = loadRoster(file);
  if (json) {
    const document = result.ok
      ? { file: shown, valid: true, fleet: result.fleet.fleet, agents: result.fleet.agents.length, problems: [] }
      : { file: shown, valid: false, problems: result.problems.map(problemData) };
    io.stdout(`${JSON.stringify(document, null, 2)}\n`);
    return result.ok ? EXIT_OK : EXIT_USAGE;
  }
  if (!result.ok) {
    for (const problem of result.problems) io.stderr(`${formatProblem(problem)}\n`);
    const count = result.problems.length;
    if (count > 1) io.stderr(`mosaic: roster is invalid (${count} problems)\n`);
    return EXIT_USAGE;
  }
  const { fleet } = result;
  io.stdout(
    `${shown}: valid roster v1, fleet "${fleet.fleet}", ${fleet.agents.length} agent${fleet.agents.length === 1 ? "" : "s"}\n`,
  );
  return EXIT_OK;
}
