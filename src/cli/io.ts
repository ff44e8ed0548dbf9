import { isatty } from "node:tty";
import { terminalSafe } from "../terminal-text.js";

// What a command may touch of the outside world, passed in so tests can capture it.

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Whether stdout is a terminal (colour, in-place redraw). */
  stdoutIsTTY: boolean;
  /** Whether stdin is a terminal (watch/attach need one). */
  stdinIsTTY: boolean;
  /** The terminal's width in columns now (it changes on resize), when stdout is one. */
  stdoutColumns?: () => number | undefined;
  /** Call `listener` whenever the terminal is resized; returns how to stop. */
  onResize?: (listener: () => void) => () => void;
}

/**
 * The output boundary: every byte a command prints passes terminalSafe, so text from a
 * user, roster, file name, variable, tenant or tmux server cannot reach the terminal
 * raw on any path (results, errors, commander's messages, help). mosaic's own colour
 * and redraw sequences pass only to a terminal; stderr gets none.
 */
export function safeIo(io: Io): Io {
  return {
    ...io,
    stdout: (text) => io.stdout(terminalSafe(text, io.stdoutIsTTY)),
    stderr: (text) => io.stderr(terminalSafe(text)),
  };
}

/** Streams whose reader went away (`mosaic --help | head`): further output is dropped. */
const closed = new WeakSet<NodeJS.WriteStream>();
const stdoutClosedListeners = new Set<() => void>();

/**
 * Call `listener` once stdout's reader has gone (`fleet ps -w -o json | head -1`): a
 * command that would run until Ctrl-C stops then, as `yes | head` does. Returns the
 * unsubscribe function.
 */
export function onStdoutClosed(listener: () => void): () => void {
  if (closed.has(process.stdout)) {
    listener();
    return () => undefined;
  }
  stdoutClosedListeners.add(listener);
  return () => stdoutClosedListeners.delete(listener);
}

/**
 * Write to a standard stream; a reader that closed the pipe (EPIPE) ends the output
 * quietly instead of crashing with a stack trace, and the command keeps its exit code.
 */
function writer(stream: NodeJS.WriteStream): (text: string) => void {
  if (stream.listenerCount("error") === 0) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
      closed.add(stream);
      if (stream === process.stdout) for (const listener of stdoutClosedListeners) listener();
    });
  }
  return (text) => {
    if (!closed.has(stream)) stream.write(text);
  };
}

/** The real process's io. */
export function processIo(): Io {
  return {
    stdout: writer(process.stdout),
    stderr: writer(process.stderr),
    env: process.env,
    cwd: process.cwd(),
    stdoutIsTTY: process.stdout.isTTY === true,
    // isatty, not process.stdin: that getter builds a stream for fd 0 (~1 ms), which
    // only the commands that read stdin need.
    stdinIsTTY: isatty(0),
    stdoutColumns: () => process.stdout.columns,
    onResize: (listener) => {
      process.stdout.on("resize", listener);
      return () => void process.stdout.off("resize", listener);
    },
  };
}
