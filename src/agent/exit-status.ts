import { decodeExit } from "../system/index.js";

// How an agent's process ended, as one phrase for agent send's and agent run's messages
// (docs/conditions.md). The decoding itself is src/system/exit-status.ts, shared with
// PaneDead.

/** One phrase for messages: "with status 143 (128+15: SIGTERM)", "with status 1", "". */
export function describeExit(status: number | null, signal: number | null = null): string {
  const meaning = decodeExit(status, signal);
  switch (meaning.kind) {
    case "unknown":
      return "";
    case "exited":
      return ` with status ${meaning.status}`;
    case "signal": {
      const name = meaning.name ?? `signal ${meaning.signal}`;
      return meaning.via === "signal"
        ? ` killed by ${name}`
        : ` with status ${status} (128+${meaning.signal}: killed by ${name})`;
    }
  }
}
