import { EXIT_OK } from "../exit-codes.js";
import { loadFleetOrExit } from "../fleet-context.js";
import type { Io } from "../io.js";
import type { RosterOptions } from "../options.js";

// `mosaic __complete agents|tenants [-f ROSTER]`: the dynamic half of shell completion
// (src/cli/completion.ts). One name per line from the roster in effect; nothing (and
// exit 0) when there is no valid roster: completion must never print an error mid-line.

/** Print the roster's agent (or tenant) names for the completion script. */
export async function run(options: RosterOptions, args: string[], io: Io): Promise<number> {
  const quiet: Io = { ...io, stderr: () => undefined };
  const fleet = await loadFleetOrExit(options, quiet).catch(() => null);
  if (!fleet) return EXIT_OK;
  const names = args[0] === "tenants" ? fleet.agents.map((a) => a.tenant) : fleet.agents.map((a) => a.name);
  const unique = [...new Set(names)].sort();
  if (unique.length > 0) io.stdout(`${unique.join("\n")}\n`);
  return EXIT_OK;
}
