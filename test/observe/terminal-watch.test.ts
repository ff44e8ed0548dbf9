// A pane process that exits but is not reaped (a zombie: tmux 3.3a can miss the SIGCHLD
// and leave it for minutes) passes kill(pid, 0), so the watch's cheap check cannot see
// it. Its exit closes the pane's terminal: tmux reads end-of-file and closes the pty, and
// inotify reports /dev/pts/N going away, reaped or not. The watch checks that process at
// once (src/system/proc-rescan.ts, onTerminalEvent). Real tmux panes; the periodic checks
// are set to a minute so only the terminal's event can report an exit in time.

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcessWatch } from "../../src/observe/events.js";
import { waitFor } from "../helpers/proc.mjs";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";

let tmux: TmuxServer;

beforeAll(async () => {
  tmux = await startTmuxServer("terminal-watch");
}, 30_000);

afterAll(async () => {
  await tmux?.kill();
});

function state(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return null;
  }
}

describe("the process watch and a process's terminal", () => {
  it("a pane's process that exits is reported at once, through its terminal, not at the next periodic check", async () => {
    await tmux.tmux("set-option", "-g", "remain-on-exit", "on");
    await tmux.newSession("dier", ["sh", "-c", "exec sleep 600"]);
    const pid = Number((await tmux.tmux("display-message", "-p", "-t", "=dier:", "#{pane_pid}")).stdout.trim());
    expect(state(pid)).toBe("S");
    const gone: string[][] = [];
    const watch = new ProcessWatch(
      () => 60_000,
      (agents) => void gone.push(agents),
    );
    try {
      watch.watch(new Map([[pid, ["dier"]]]));
      process.kill(pid, "SIGKILL");
      // The periodic checks come once a minute here: only the terminal's event can tell in time.
      expect(await waitFor(() => gone.length > 0, 5_000), "the exit was not reported").toBe(true);
      expect(gone).toEqual([["dier"]]);
    } finally {
      watch.close();
    }
  }, 30_000);

  it("a live process's terminal in use (output, other processes closing it) reports nothing", async () => {
    await tmux.newSession("busy", ["sh", "-c", "while :; do echo tick; /bin/true; sleep 0.05; done"]);
    const pid = Number((await tmux.tmux("display-message", "-p", "-t", "=busy:", "#{pane_pid}")).stdout.trim());
    const gone: string[][] = [];
    const watch = new ProcessWatch(
      () => 60_000,
      (agents) => void gone.push(agents),
    );
    try {
      watch.watch(new Map([[pid, ["busy"]]]));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(gone).toEqual([]);
    } finally {
      watch.close();
    }
  }, 30_000);
});
