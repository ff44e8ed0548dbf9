import { writeSync } from "node:fs";

// Leaving cleanly (docs/commands.md): a command that takes the operator's terminal —
// hides the cursor, switches to the alternate screen, puts the input in raw mode —
// takes it through here, and every way out gives it back: the view ending, Ctrl-C
// (SIGINT), SIGTERM and SIGHUP (each ends the view and the command exits 0, Ctrl-C
// being the documented way out), and as a last resort the process exiting at all.

const ESC = "\u001b";
/** The signals that end a view; each is a normal way out. */
export const LEAVE_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type LeaveSignal = (typeof LEAVE_SIGNALS)[number];

export interface TerminalSessionOptions {
  /** Where the view draws (stdout); its fd is used for the last-resort restore. */
  output: { write: (text: string) => unknown; fd?: number };
  /** Raw-mode input, restored to cooked mode on the way out. */
  input?: { setRawMode?: (raw: boolean) => unknown; isTTY?: boolean };
  hideCursor?: boolean;
  alternateScreen?: boolean;
}

export interface TerminalSession {
  /** Resolves with the signal that asked the view to end. */
  readonly signalled: Promise<LeaveSignal>;
  /** Give the terminal back (idempotent): raw mode off, cursor shown, alternate screen left. */
  restore(): void;
}

/** Take the terminal for a view; restore() — or any leave signal, or exit — gives it back. */
export function takeTerminal(options: TerminalSessionOptions): TerminalSession {
  const { output, input } = options;
  const setup = `${options.alternateScreen ? `${ESC}[?1049h` : ""}${options.hideCursor ? `${ESC}[?25l` : ""}`;
  const teardown = `${options.hideCursor ? `${ESC}[?25h` : ""}${options.alternateScreen ? `${ESC}[?1049l` : ""}`;
  let restored = false;
  let signalledCount = 0;
  let resolveSignal: (signal: LeaveSignal) => void = () => undefined;
  const signalled = new Promise<LeaveSignal>((resolve) => {
    resolveSignal = resolve;
  });

  const rawOff = () => {
    try {
      if (input?.isTTY) input.setRawMode?.(false);
    } catch {
      // The terminal may be gone (SIGHUP): nothing left to restore.
    }
  };

  /** The last resort, inside 'exit' or a second signal: synchronous writes only. */
  const restoreNow = () => {
    if (restored) return;
    restored = true;
    rawOff();
    if (teardown === "") return;
    try {
      if (output.fd !== undefined) writeSync(output.fd, teardown);
      else output.write(teardown);
    } catch {
      // A hung-up terminal cannot be written to; there is nothing on it to restore.
    }
  };

  const onSignal = (signal: LeaveSignal) => {
    signalledCount += 1;
    // A second signal while the view is still shutting down: restore now and leave.
    if (signalledCount > 1) {
      restoreNow();
      process.exit(0);
    }
    resolveSignal(signal);
  };
  const handlers = LEAVE_SIGNALS.map((signal) => [signal, () => onSignal(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  process.on("exit", restoreNow);

  if (input?.isTTY) input.setRawMode?.(true);
  if (setup !== "") output.write(setup);

  return {
    signalled,
    restore() {
      for (const [signal, handler] of handlers) process.off(signal, handler);
      process.off("exit", restoreNow);
      if (restored) return;
      restored = true;
      rawOff();
      if (teardown === "") return;
      try {
        output.write(teardown);
      } catch {
        // See restoreNow.
      }
    },
  };
}
