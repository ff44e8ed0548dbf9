// Leaving cleanly (docs/commands.md): `fleet ps --watch` and `agent watch` in a real
// pseudo-terminal — a pane of a private tmux server standing in for the operator's
// terminal — ended by every way out: the Ctrl-C key, SIGINT, SIGTERM and SIGHUP sent to
// the mosaic process. Each exits 0 and gives the terminal back exactly as it found it:
// cursor shown (tmux's #{cursor_flag}), alternate screen left (#{alternate_on}), and
// the tty's modes (`stty -g`, raw mode off) identical before and after.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import { BIN, readText, ROOT, sq, waitUntil } from "./agent-support.js";
import { Fleet } from "./send-support.js";

let fleet: Fleet;
let terminal: TmuxServer;

const WAYS = ["C-c key", "SIGINT", "SIGTERM", "SIGHUP"] as const;
const VIEWS: { label: string; args: () => string[]; drawn: RegExp }[] = [
  { label: "fleet ps --watch", args: () => ["fleet", "ps", "--watch", "-f", fleet.roster], drawn: /Ctrl-C to stop/ },
  { label: "agent watch", args: () => ["agent", "watch", "s1", "-f", fleet.roster], drawn: /s1>/ },
];

const file = (session: string, what: string) => join(fleet.base, `${session}.${what}`);

/**
 * Run the view in a pane; the wrapper records the tty modes before and after, and the
 * exit status, then keeps the pane alive (the terminal server is killed in afterAll).
 */
async function runView(session: string, args: string[]): Promise<void> {
  const command = [process.execPath, BIN, ...args].map(sq).join(" ");
  // `trap true INT`: the wrapper itself survives a Ctrl-C meant for the view (the trap is reset in the child).
  const script = [
    "trap true INT",
    `stty -g > ${sq(file(session, "before"))}`,
    `cd ${sq(ROOT)}`,
    `env TMUX_TMPDIR=${sq(fleet.tmux.tmpdir)} MOSAIC_HOME=${sq(fleet.home)} NO_COLOR=1 ${command}`,
    `echo $? > ${sq(file(session, "status"))}`,
    `stty -g > ${sq(file(session, "after"))}`,
    // Stay alive: tmux reports a dead pane's cursor as hidden whatever was written.
    "exec sleep 600",
  ].join("; ");
  await terminal.newSession(session, ["sh", "-c", script], { width: 120, height: 30 });
}

/** The mosaic process: the wrapper shell's child. */
function viewPid(shellPid: number): number | null {
  const children = readText(`/proc/${shellPid}/task/${shellPid}/children`)?.trim().split(/\s+/).filter(Boolean) ?? [];
  return children.length === 1 ? Number(children[0]) : null;
}

async function format(session: string, spec: string): Promise<string> {
  return (await terminal.tmux("display-message", "-p", "-t", `=${session}:`, spec)).stdout.trim();
}

beforeAll(async () => {
  fleet = await Fleet.start("sig-fleet");
  fleet.writeRoster([{ name: "s1", runtime: "stub" }]);
  await fleet.startStub("s1");
  terminal = await startTmuxServer("sig-op");
  expect((await terminal.tmux("set-option", "-g", "status", "off")).ok).toBe(true);
  expect((await terminal.tmux("set-option", "-g", "remain-on-exit", "on")).ok).toBe(true);
}, 60_000);

afterAll(async () => {
  await terminal?.kill();
  await fleet?.stop();
});

describe("every way out of a view restores the terminal and exits 0", () => {
  let n = 0;
  for (const view of VIEWS) {
    for (const way of WAYS) {
      it(`${view.label}, ended by ${way}`, async () => {
        const session = `v${(n += 1)}`;
        await runView(session, view.args());
        const shellPid = await terminal.panePid(session);
        // Wait for the view to be up and drawing (a condition, not a time).
        const drawn = await waitUntil(async () => {
          const screen = (await terminal.tmux("capture-pane", "-p", "-t", `=${session}:`)).stdout;
          return view.drawn.test(screen) && viewPid(shellPid) !== null;
        }, 20_000);
        expect(drawn, (await terminal.tmux("capture-pane", "-p", "-t", `=${session}:`)).stdout).toBe(true);
        if (view.label === "fleet ps --watch") expect(await format(session, "#{cursor_flag}")).toBe("0");
        if (view.label === "agent watch") expect(await format(session, "#{alternate_on}")).toBe("1");

        if (way === "C-c key") {
          expect((await terminal.tmux("send-keys", "-t", `=${session}:`, "C-c")).ok).toBe(true);
        } else {
          process.kill(viewPid(shellPid) as number, way);
        }
        // The wrapper writes the status, then the tty modes, once the view has exited.
        const done = await waitUntil(
          () => (readText(file(session, "status")) ?? "") !== "" && (readText(file(session, "after")) ?? "") !== "",
          15_000,
        );
        const screen = (await terminal.tmux("capture-pane", "-p", "-t", `=${session}:`)).stdout;
        expect(done, `the view did not end; screen:\n${screen}`).toBe(true);
        expect(readFileSync(file(session, "status"), "utf8").trim(), screen).toBe("0");
        expect(await format(session, "#{cursor_flag}"), "cursor hidden after leaving").toBe("1");
        expect(await format(session, "#{alternate_on}"), "still on the alternate screen").toBe("0");
        expect(readText(file(session, "after")), "tty modes changed (raw mode left on?)").toBe(
          readText(file(session, "before")),
        );
      }, 60_000);
    }
  }
});
