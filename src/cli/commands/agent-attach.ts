import type { Io } from "../io.js";
import { attach, type WatchOptions } from "./agent-watch.js";

/** `mosaic agent attach NAME`: the explicit interactive takeover (still never resizes). */
export async function run(options: WatchOptions, args: string[], io: Io): Promise<number> {
  return attach("attach", options, args, io);
}
