import { parseDuration } from "../spec/index.js";
import { UserError } from "./exit-codes.js";

// Every duration a command takes on its command line (--interval, --timeout,
// --probe-timeout, --host-timeout …) is read here, with one wording for a bad one.

function shown(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** `raw` as seconds within [minS, maxS], or a UsageError naming the flag and the range. */
export function durationOption(flag: string, raw: string, bounds: { minS: number; maxS: number }): number {
  const seconds = parseDuration(raw);
  if (seconds === null || seconds < bounds.minS || seconds > bounds.maxS) {
    throw new UserError(
      `invalid ${flag} "${raw}": a duration from ${shown(bounds.minS)} to ${shown(bounds.maxS)}, such as 15s, 2m or 500ms`,
    );
  }
  return seconds;
}
