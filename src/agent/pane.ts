import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { answered } from "../system/run.js";
import { runTmux, type TmuxServer } from "../system/tmux.js";
import { parsePaneDetails, PANE_DETAIL_FORMAT } from "../observe/tmux.js";
import type { PaneDetail } from "../observe/types.js";
import { parseRow, rowText, type Row } from "./screen.js";

// One agent's pane on one socket: its state, its cursor line, and whether its
// foreground program is waiting for terminal input. Every target is a pane id (%N) or
// an exact session (=NAME:), never a prefix.

/** The agent's tmux server (src/system/tmux.ts addresses it). */
export type PaneClient = TmuxServer;

/** tmux on the agent's socket (src/system/tmux.ts runTmux). */
export const tmux = runTmux;

/** The first pane of exactly session `name`, or null. */
export async function findPane(client: PaneClient, name: string): Promise<PaneDetail | null> {
  // A server that does not answer is not a missing session: that throws instead.
  const listed = answered(
    await tmux(client, ["list-panes", "-a", "-F", PANE_DETAIL_FORMAT]),
    `the tmux server at ${client.socketPath}`,
  );
  if (!listed.ok) return null;
  return parsePaneDetails(listed.stdout).get(name) ?? null;
}

export interface CursorLine {
  text: string;
  x: number;
  y: number;
  /** The whole visible screen as text, for before/after comparisons. */
  screen: string[];
  /** The same screen with attributes (dim, grey, reverse), row by row. */
  rows: Row[];
  tty: string;
  /** Whether the terminal cursor is shown (full-screen programs hide it and draw their own). */
  cursorShown: boolean;
  /** Whether the program switched to the alternate screen (a full-screen program). */
  alternateScreen: boolean;
}

/** The pane's visible screen with attributes (`capture-pane -e`) and its cursor, in one tmux call. */
export async function readCursor(client: PaneClient, paneId: string): Promise<CursorLine | null> {
  const result = answered(
    await tmux(client, [
      "display-message",
      "-p",
      "-t",
      paneId,
      "#{cursor_x} #{cursor_y} #{cursor_flag} #{alternate_on} #{pane_tty}",
      ";",
      "capture-pane",
      "-p",
      "-e",
      "-t",
      paneId,
    ]),
    `the tmux server at ${client.socketPath}`,
  );
  if (!result.ok) return null;
  const [head = "", ...lines] = result.stdout.split("\n");
  const [x, y, cursorFlag, alternate, tty = ""] = head.split(" ");
  const cursorY = Number(y);
  const rows = lines.map(parseRow);
  const screen = rows.map((row) => rowText(row).trimEnd());
  return {
    text: screen[cursorY] ?? "",
    x: Number(x),
    y: cursorY,
    screen,
    rows,
    tty,
    cursorShown: cursorFlag === "1",
    alternateScreen: alternate === "1",
  };
}

// Syscalls a program blocks in while it waits for input, by architecture:
// read-like (fd is the first argument), epoll (the watched fds are in fdinfo), and
// poll/select (arguments are pointers we cannot read: judged by whether stdin is the tty).
const SYSCALLS: Record<string, { read: ReadonlySet<number>; epoll: ReadonlySet<number>; poll: ReadonlySet<number> }> = {
  x64: { read: new Set([0, 17, 19]), epoll: new Set([232, 281, 441]), poll: new Set([7, 23, 270, 271]) },
  arm64: { read: new Set([63, 65, 67]), epoll: new Set([22, 441]), poll: new Set([72, 73]) },
};

function fdIsTty(pid: string, fd: number, tty: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/fd/${fd}`) === tty;
  } catch {
    return false;
  }
}

/** The fds an epoll instance watches (`tfd:` lines of its fdinfo). */
function epollTargets(pid: string, epfd: number): number[] {
  try {
    return [...readFileSync(`/proc/${pid}/fdinfo/${epfd}`, "latin1").matchAll(/^tfd:\s+(\d+)/gm)].map((m) =>
      Number(m[1]),
    );
  } catch {
    return [];
  }
}

/** The threads of a process (/proc/PID/task): a reader of the terminal need not be the main one. */
function threadsOf(pid: string): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`).filter((tid) => /^\d+$/.test(tid));
  } catch {
    return [];
  }
}

/** Whether one thread is blocked reading the terminal (directly, in poll, or in an epoll watching it). */
function threadWaitsOnTty(
  pid: string,
  tid: string,
  tty: string,
  calls: { read: ReadonlySet<number>; epoll: ReadonlySet<number>; poll: ReadonlySet<number> },
): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "latin1");
    if (stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] !== "S") return false;
    const [nr, arg0] = readFileSync(`/proc/${pid}/task/${tid}/syscall`, "latin1").split(" ");
    const syscall = Number(nr);
    const fd = Number.parseInt(arg0 ?? "", 16);
    // The fd table is shared by the threads: /proc/PID/fd and fdinfo answer for all of them.
    if (calls.read.has(syscall)) return fdIsTty(pid, fd, tty);
    if (calls.epoll.has(syscall)) return epollTargets(pid, fd).some((target) => fdIsTty(pid, target, tty));
    if (calls.poll.has(syscall)) return fdIsTty(pid, 0, tty);
  } catch {
    // Gone, or not ours to read.
  }
  return false;
}

/**
 * Whether a thread of a process in the pane's foreground process group is blocked
 * waiting for input from the pane's terminal right now — any thread, not only the main
 * one (codex reads its terminal on a thread of its own). For a line-mode program, after
 * Enter that means the line was consumed: `sleep` never reads, and a program idling in
 * epoll on other fds (a timer loop) is not waiting on the terminal. A full-screen
 * program reads its terminal all the time, so for it this proves nothing (send.ts).
 */
export function foregroundWaitingForInput(panePid: number, tty: string): boolean {
  const calls = SYSCALLS[process.arch];
  if (!calls || tty === "") return false;
  let tpgid: number;
  try {
    const stat = readFileSync(`/proc/${panePid}/stat`, "latin1");
    tpgid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[5]);
  } catch {
    return false;
  }
  if (!(tpgid > 0)) return false;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "latin1");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== tpgid) continue;
      if (threadsOf(entry).some((tid) => threadWaitsOnTty(entry, tid, tty, calls))) return true;
    } catch {
      // Gone, or not ours to read.
    }
  }
  return false;
}
