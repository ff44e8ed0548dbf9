import { constants } from "node:os";

// How a pane's process ended, in the operator's words: "status 1", or the signal's
// name. A wrapper shell reports a child killed by signal N as status 128+N (143 is
// SIGTERM), so such a status is read as that signal too.

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(constants.signals).map(([name, number]) => [number, name] as const),
);

/** The name of signal `n` (SIGTERM), or null when it is not one. */
export function signalName(n: number): string | null {
  return SIGNAL_NAMES.get(n) ?? null;
}

export interface ExitDescription {
  status: number | null;
  signal: string | null;
  /** "status 1", "signal SIGTERM", "status 143 (SIGTERM)" or "an unknown status". */
  text: string;
}

/** Describe an exit from tmux's pane_dead_status and pane_dead_signal. */
export function describeExit(status: number | null, signal: number | null | undefined): ExitDescription {
  if (signal !== null && signal !== undefined) {
    const name = signalName(signal) ?? `signal ${signal}`;
    return { status, signal: name, text: `signal ${name}` };
  }
  if (status === null) return { status, signal: null, text: "an unknown status" };
  const wrapped = status > 128 ? signalName(status - 128) : null;
  return wrapped
    ? { status, signal: wrapped, text: `status ${status} (${wrapped})` }
    : { status, signal: null, text: `status ${status}` };
}
