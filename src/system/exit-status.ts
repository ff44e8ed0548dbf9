import { constants } from "node:os";

// What a process's exit status means, decoded once for every caller (agent send, agent
// run, PaneDead, the status's pane.exit). A shell (and tmux, for a pane whose shell
// reported it) gives a child killed by signal N as 128+N: 143 is SIGTERM, 137 SIGKILL.

const SIGNAL_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(constants.signals).map(([name, number]) => [number, name]),
);

/** The signal's name (SIGTERM) for its number, or null when this system has none. */
export function signalName(signal: number): string | null {
  return SIGNAL_NAMES.get(signal) ?? null;
}

/** How a process ended, from its exit status (and, when known, the signal that killed it). */
export type ExitMeaning =
  | { kind: "exited"; status: number }
  | { kind: "signal"; signal: number; name: string | null; via: "status" | "signal" }
  | { kind: "unknown" };

/** Decode an exit status: 0–127 and 255 are the program's own, 129–192 (128+N) a signal N. */
export function decodeExit(status: number | null, signal: number | null = null): ExitMeaning {
  if (signal !== null && signal > 0) return { kind: "signal", signal, name: signalName(signal), via: "signal" };
  if (status === null || !Number.isInteger(status) || status < 0) return { kind: "unknown" };
  const n = status - 128;
  if (n >= 1 && n <= 64 && signalName(n) !== null)
    return { kind: "signal", signal: n, name: signalName(n), via: "status" };
  return { kind: "exited", status };
}
