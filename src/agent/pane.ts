import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { answered, runCommand } from "../system/run.js";
import { tmuxClientEnv } from "../observe/tmux-socket.js";
import { parsePaneDetails, PANE_DETAIL_FORMAT } from "../observe/tmux.js";
import type { PaneDetail } from "../observe/types.js";

// One agent's pane on one socket: its state, its cursor line, and whether its
// foreground program is waiting for terminal input. Every target is a pane id (%N) or
// an exact session (=NAME:), never a prefix.

export interface PaneClient {
  socketPath: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}

/** tmux on the agent's socket, without $TMUX. */
export async function tmux(client: PaneClient, args: string[], input?: string) {
  return runCommand(["tmux", "-S", client.socketPath, ...args], {
    env: tmuxClientEnv(client.env),
    timeoutMs: client.timeoutMs,
    ...(input !== undefined ? { input } : {}),
  });
}

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

interface CursorLine {
  text: string;
  x: number;
  y: number;
  /** The whole visible screen, for before/after comparisons. */
  screen: string[];
  tty: string;
}

/** The pane's visible screen and cursor, in one tmux call. */
export async function readCursor(client: PaneClient, paneId: string): Promise<CursorLine | null> {
  const result = answered(
    await tmux(client, [
      "display-message",
      "-p",
      "-t",
      paneId,
      "#{cursor_x} #{cursor_y} #{pane_tty}",
      ";",
      "capture-pane",
      "-p",
      "-t",
      paneId,
    ]),
    `the tmux server at ${client.socketPath}`,
  );
  if (!result.ok) return null;
  const [head = "", ...screen] = result.stdout.split("\n");
  const [x, y, tty = ""] = head.split(" ");
  const cursorY = Number(y);
  return { text: (screen[cursorY] ?? "").trimEnd(), x: Number(x), y: cursorY, screen, tty };
}

/** Prompts end in one of these, then a space: `name> `, `$ `, `# `, `❯ `. */
const PROMPT_RE = /^.*?[>$#%❯›»:](\s|$)/u;

/** What an operator has typed after the prompt on the cursor line (empty = no draft). */
export function draftOf(line: string): string {
  const trimmed = line.trimEnd();
  const prompt = PROMPT_RE.exec(trimmed);
  return (prompt ? trimmed.slice(prompt[0].length) : trimmed).trim();
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

/**
 * Whether a process in the pane's foreground process group is blocked waiting for
 * input from the pane's terminal right now. After Enter that means the line was
 * consumed: `sleep` never reads, and a program idling in epoll on other fds (a timer
 * loop) is not waiting on the terminal.
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
      if (Number(fields[2]) !== tpgid || fields[0] !== "S") continue;
      const [nr, arg0] = readFileSync(`/proc/${entry}/syscall`, "latin1").split(" ");
      const syscall = Number(nr);
      const fd = Number.parseInt(arg0 ?? "", 16);
      if (calls.read.has(syscall) && fdIsTty(entry, fd, tty)) return true;
      if (calls.epoll.has(syscall) && epollTargets(entry, fd).some((target) => fdIsTty(entry, target, tty)))
        return true;
      if (calls.poll.has(syscall) && fdIsTty(entry, 0, tty)) return true;
    } catch {
      // Gone, or not ours to read.
    }
  }
  return false;
}
