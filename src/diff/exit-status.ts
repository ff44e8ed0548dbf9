import { decodeExit } from "../system/index.js";

// How a pane's process ended, in the operator's words: "status 1", or the signal's
// name. The decoding (128+N read as signal N) is src/system/exit-status.ts, shared with
// agent send and agent run.

export interface ExitDescription {
  status: number | null;
  signal: string | null;
  /** "status 1", "signal SIGTERM", "status 143 (SIGTERM)" or "an unknown status". */
  text: string;
}

/** Describe an exit from tmux's pane_dead_status and pane_dead_signal. */
export function describeExit(status: number | null, signal: number | null | undefined): ExitDescription {
  const meaning = decodeExit(status, signal ?? null);
  switch (meaning.kind) {
    case "unknown":
      return { status, signal: null, text: "an unknown status" };
    case "exited":
      return { status, signal: null, text: `status ${meaning.status}` };
    case "signal": {
      const name = meaning.name ?? `signal ${meaning.signal}`;
      return meaning.via === "signal"
        ? { status, signal: name, text: `signal ${name}` }
        : { status, signal: name, text: `status ${status} (${name})` };
    }
  }
}
