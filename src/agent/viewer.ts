import { takeTerminal } from "../terminal-session.js";
import { tmux, type PaneClient } from "./pane.js";
import { banner, viewWindow } from "./viewer-layout.js";

// `agent watch`: a read-only view drawn from `capture-pane`, with no tmux client at all.
// Nothing here can type into the pane (no code path sends keys), and since no client
// attaches, the agent's window size is never recomputed: a lone `ignore-size` client
// still sizes a window in tmux 3.3, so attaching read-only was not enough.

const ESC = "\u001b";
/** Keep SGR colour sequences from capture-pane -e; drop every other control byte. */
function sanitizeCapturedLine(line: string): string {
  // eslint-disable-next-line no-control-regex -- dropping control bytes from captured output is the point
  return line.replace(/\u001b\[[0-9;:]*m|\u001b[\s\S]?|[\u0000-\u001a\u001c-\u001f\u007f-\u009f]/g, (seq) =>
    // eslint-disable-next-line no-control-regex -- an SGR sequence starts with ESC
    /^\u001b\[[0-9;:]*m$/.test(seq) ? seq : "",
  );
}

interface ViewerIo {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
}

interface ViewerOptions {
  client: PaneClient;
  paneId: string;
  name: string;
  socket: string;
  intervalMs?: number;
}

/** The first line the operator sees: what this is and how to leave. */
function notice(options: Pick<ViewerOptions, "name" | "socket">): string {
  return `Watching ${options.name} READ-ONLY on socket ${options.socket}: keys are not sent to the agent. Leave with q, C-c or C-b d.`;
}

/** Show the pane until the operator leaves (q, C-c, C-d, C-b d) or the pane goes; resolves to an exit code. */
export async function runViewer(options: ViewerOptions, io: ViewerIo): Promise<number> {
  const { client, paneId } = options;
  const { default: sliceAnsi } = await import("slice-ansi");
  const intervalMs = options.intervalMs ?? 100;
  let last = "";
  let leaving: ((code: number) => void) | undefined;
  const done = new Promise<number>((resolve) => {
    leaving = resolve;
  });
  let prefix = false;
  let note = "";
  const onKey = (chunk: Buffer) => {
    for (const byte of chunk) {
      if (prefix && byte === 0x64 /* d */) return leaving?.(0);
      prefix = byte === 0x02; // C-b, tmux's prefix, so C-b d detaches as usual
      if (byte === 0x71 /* q */ || byte === 0x03 || byte === 0x04) return leaving?.(0);
      if (!prefix) note = " (read-only: that key was not sent)";
    }
    last = "";
  };
  const onResize = () => {
    last = "";
  };
  // The notice goes on the normal screen too, so it is still there after leaving.
  io.output.write(`${notice(options)}\r\n`);
  // Raw input, alternate screen, hidden cursor — all given back on every way out,
  // Ctrl-C / SIGINT, SIGTERM and SIGHUP included (exit 0).
  const terminal = takeTerminal({ output: io.output, input: io.input, alternateScreen: true, hideCursor: true });
  void terminal.signalled.then(() => leaving?.(0));
  io.input.resume();
  io.input.on("data", onKey);
  io.output.on("resize", onResize);

  const draw = async (): Promise<number | null> => {
    const result = await tmux(client, [
      "display-message",
      "-p",
      "-t",
      paneId,
      "#{pane_dead} #{pane_width}x#{pane_height} #{cursor_x} #{cursor_y}",
      ";",
      "capture-pane",
      "-p",
      "-e",
      "-t",
      paneId,
    ]);
    if (!result.ok) return 3;
    const [head = "", ...captured] = result.stdout.split("\n");
    const [dead, size = "", cursorX, cursorY] = head.split(" ");
    const [paneWidth, paneHeight] = size.split("x").map(Number);
    const lines = captured.slice(0, paneHeight || captured.length);
    const columns = io.output.columns || 80;
    const rows = Math.max(1, (io.output.rows || 24) - 1);
    let lastRow = lines.length - 1;
    // eslint-disable-next-line no-control-regex -- an SGR sequence starts with ESC
    while (lastRow >= 0 && (lines[lastRow] ?? "").replace(/\u001b\[[0-9;:]*m/g, "").trim() === "") lastRow -= 1;
    const pane = {
      paneWidth: paneWidth || columns,
      paneHeight: paneHeight || lines.length,
      cursorX: Number(cursorX) || 0,
      cursorY: Number(cursorY) || 0,
      lastRow,
    };
    // Smaller than the agent's window: follow the cursor and the newest output.
    const { top, left } = viewWindow(pane, rows, columns);
    const scrolled =
      top > 0 || pane.paneHeight > rows
        ? `rows ${top + 1}-${Math.min(top + rows, pane.paneHeight)} of ${pane.paneHeight}`
        : "";
    const title = banner(
      { name: options.name, socket: options.socket, paneId, size, dead: dead === "1", scrolled, note },
      columns,
    );
    const body = lines
      .slice(top, top + rows)
      .map((line) => `${sliceAnsi(sanitizeCapturedLine(line), left, left + columns)}${ESC}[0m${ESC}[K`);
    const frame = `${ESC}[H${ESC}[7m${title}${ESC}[0m${ESC}[K\r\n${body.join("\r\n")}${ESC}[J`;
    if (frame !== last) {
      io.output.write(frame);
      last = frame;
    }
    return null;
  };

  const timer = setInterval(() => {
    void draw().then(
      (result) => {
        if (result !== null) leaving?.(result);
      },
      () => leaving?.(3),
    );
  }, intervalMs);
  try {
    return (await draw()) ?? (await done);
  } finally {
    clearInterval(timer);
    io.input.off("data", onKey);
    io.output.off("resize", onResize);
    io.input.pause();
    terminal.restore();
  }
}
