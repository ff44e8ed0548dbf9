import { readSync } from "node:fs";
import { observeFleet } from "../../observe/index.js";
import { encodeObservation } from "../../observe/wire.js";
import { cacheDir } from "../../cache/private-file.js";
import { parseRosterCached } from "../../spec/cache.js";
import { machineFacts } from "../../spec/resolve.js";
import { formatProblem } from "../../spec/problems.js";
import type { FleetSpec } from "../../spec/resolve.js";
import { EXIT_OK, UserError } from "../exit-codes.js";
import { loadFleetOrExit, observeContext } from "../fleet-context.js";
import type { Io } from "../io.js";
import type { RosterOptions, SocketOption } from "../options.js";

/** `fleet observe`'s flags (`-o json` is its only format). */
export type ObserveOptions = RosterOptions & SocketOption & { output?: "json" | undefined };

declare const __MOSAIC_VERSION__: string | undefined;
const VERSION = typeof __MOSAIC_VERSION__ === "string" ? __MOSAIC_VERSION__ : "0.0.0-dev";

/** The same cap as a roster file (docs/roster.md, Limits). */
const MAX_STDIN_BYTES = 1024 * 1024;

/** Standard input, up to the cap: the roster the operator's side sends over ssh. */
function readStdin(): string {
  const chunks: Buffer[] = [];
  let total = 0;
  const buffer = Buffer.alloc(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buffer, 0, buffer.length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") continue;
      if (code === "EOF") break;
      throw new UserError(`cannot read the roster from standard input (${code ?? "error"})`);
    }
    if (n === 0) break;
    total += n;
    if (total > MAX_STDIN_BYTES) throw new UserError(`the roster on standard input exceeds ${MAX_STDIN_BYTES} bytes`);
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** `-f -`: the roster from standard input; else the usual roster file. */
async function rosterFrom(options: ObserveOptions, io: Io): Promise<FleetSpec> {
  if (options.roster !== "-") return loadFleetOrExit(options, io);
  // The same bytes on every pass of the operator's ps or watch: cached by content.
  const result = await parseRosterCached(
    "<stdin>",
    readStdin(),
    machineFacts(),
    cacheDir(io.env),
    process.getuid?.() ?? 0,
  );
  if (!result.ok) {
    for (const problem of result.problems.slice(0, -1)) io.stderr(`${formatProblem(problem)}\n`);
    const last = result.problems[result.problems.length - 1];
    throw new UserError(last ? formatProblem(last) : "roster is invalid", 2, true);
  }
  return result.fleet;
}

/**
 * `mosaic fleet observe -o json`: what this host sees of the roster's agents on it, as
 * raw facts (docs/json.md, FleetObservation), nothing judged. The operator's `fleet ps`
 * runs it on each remote host over ssh and judges the answer itself.
 */
export async function run(options: ObserveOptions, _args: string[], io: Io): Promise<number> {
  const fleet = await rosterFrom(options, io);
  const observation = await observeFleet(fleet, observeContext(options, io));
  io.stdout(encodeObservation(observation, VERSION));
  return EXIT_OK;
}
