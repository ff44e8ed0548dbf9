import { isatty } from "node:tty";
import { inertJsonBytes, jsonSafe, terminalSafe, type InertBytes } from "../terminal-text.js";

// What a command may touch of the outside world, passed in so tests can capture it.

export interface Io {
  stdout: (text: string) => void;
  /** Write bytes that need no escaping (inertJsonBytes), where the real stdout takes bytes. */
  stdoutInert?: (bytes: InertBytes) => void;
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
  /** Whether stdout's reader is behind: a write was queued beyond the stream's buffer. */
  stdoutBlocked?: () => boolean;
  /** Call `listener` once, when stdout has taken everything queued; returns how to stop waiting. */
  onStdoutDrain?: (listener: () => void) => () => void;
}

/**
 * The output boundary: every byte a command prints passes terminalSafe, so text from a
 * user, roster, file name, variable, tenant or tmux server cannot reach the terminal
 * raw on any path (results, errors, commander's messages, help). mosaic's own colour
 * and redraw sequences pass only to a terminal; stderr gets none. Bytes for
 * `stdoutInert` pass as they are: their type says they were escaped already.
 */
export function safeIo(io: Io): Io {
  return {
    ...io,
    stdout: (text) => io.stdout(terminalSafe(text, io.stdoutIsTTY)),
    stderr: (text) => io.stderr(terminalSafe(text)),
  };
}

/**
 * Print JSON.stringify's text, pieces in order, as jsonSafe makes it: straight to the
 * real stdout as bytes already inert (no boundary scan, one encode), else as text
 * through the boundary. Either way the same bytes (test/report/json-chunks.property.test.ts).
 */
export function printJson(io: Io, pieces: Iterable<string>): void {
  const { stdoutInert } = io;
  if (stdoutInert) for (const piece of pieces) stdoutInert(inertJsonBytes(piece));
  else for (const piece of pieces) io.stdout(jsonSafe(piece));
}

/** Streams whose reader went away (`mosaic --help | head`): further output is dropped. */
const closed = new WeakSet<NodeJS.WriteStream>();
const stdoutClosedListeners = new Set<() => void>();
/** The first write to a standard stream that failed other than by its reader leaving. */
let writeFailure: { stream: "standard output" | "standard error"; code: string; message: string } | null = null;

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
 * Why output was lost, when a standard stream failed for a reason other than its reader
 * leaving (a full disk: `> /dev/full`; ENOBUFS, EIO): main says it in one sentence and
 * exits EXIT_OUTPUT_FAILED (docs/commands.md, Exit codes). Null when nothing was lost.
 */
export function outputFailure(): typeof writeFailure {
  return writeFailure;
}

/** Streams a command wrote to: the only ones with anything to flush at exit. */
const written = new WeakSet<NodeJS.WriteStream>();

/** Whether output to `stream` has ended (its reader left, or a write failed). */
export function outputEnded(stream: NodeJS.WriteStream): boolean {
  return closed.has(stream);
}

/** Whether anything was written to `stream` (a stream never written to has nothing to flush). */
export function wroteTo(stream: NodeJS.WriteStream): boolean {
  return written.has(stream);
}

/**
 * Write to a standard stream. Whatever the stream does — a reader that closed the pipe
 * (EPIPE), a full disk, a socket out of buffers — the output on it ends there, never
 * with a stack trace: EPIPE quietly (the command keeps its exit code, as `yes | head`),
 * anything else recorded for outputFailure(). A synchronous throw (a file: Node writes
 * files synchronously) and an `error` event are the same failure.
 */
function writer(stream: NodeJS.WriteStream): (text: string | Uint8Array) => void {
  const fail = (error: NodeJS.ErrnoException) => {
    if (closed.has(stream)) return;
    closed.add(stream);
    if (error.code !== "EPIPE" && writeFailure === null) {
      writeFailure = {
        stream: stream === process.stderr ? "standard error" : "standard output",
        code: error.code ?? "error",
        message: error.message,
      };
    }
    if (stream === process.stdout) for (const listener of stdoutClosedListeners) listener();
  };
  if (stream.listenerCount("error") === 0) stream.on("error", fail);
  return (text) => {
    if (closed.has(stream)) return;
    written.add(stream);
    try {
      stream.write(text);
    } catch (error) {
      fail(error as NodeJS.ErrnoException);
    }
  };
}

/** Write to the process's stderr as every command does (for main's own last words). */
export function writeStderr(text: string): void {
  writer(process.stderr)(text);
}

/** The real process's io. */
export function processIo(): Io {
  const stdout = writer(process.stdout);
  return {
    stdout,
    stdoutInert: stdout,
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
    stdoutBlocked: () => process.stdout.writableNeedDrain,
    onStdoutDrain: (listener) => {
      process.stdout.once("drain", listener);
      return () => void process.stdout.off("drain", listener);
    },
  };
}
