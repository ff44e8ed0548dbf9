import { observationWire, observeFleet } from "../../observe/index.js";
import { EXIT_OK } from "../exit-codes.js";
import { loadFleetOrExit, observeContext } from "../fleet-context.js";
import type { Io } from "../io.js";
import type { RosterOptions, SocketOption } from "../options.js";

/** `fleet observe`'s flags (`-o json` is its only format). */
export type ObserveOptions = RosterOptions & SocketOption & { output?: "json" | undefined };

declare const __MOSAIC_VERSION__: string | undefined;
const VERSION = typeof __MOSAIC_VERSION__ === "string" ? __MOSAIC_VERSION__ : "0.0.0-dev";

/**
 * `mosaic fleet observe -o json`: what this host sees of the roster's agents on it, as
 * raw facts (docs/json.md, FleetObservation), nothing judged. The operator's `fleet ps`
 * runs it on each remote host over ssh and judges the answer itself.
 */
export async function run(options: ObserveOptions, _args: string[], io: Io): Promise<number> {
  const fleet = await loadFleetOrExit(options, io);
  const observation = await observeFleet(fleet, observeContext(options, io));
  const { encodeObservation } = await observationWire();
  io.stdout(encodeObservation(observation, VERSION));
  return EXIT_OK;
}
