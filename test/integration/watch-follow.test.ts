// `agent watch` follows the action in a terminal smaller than the agent's window. The
// operator's terminal is a 40×10 pane of a second private tmux server running the real
// CLI; the agent is an 80×40 pane printing 200 numbered lines. The view must scroll with
// the output (the newest line shown only ever moves forward, and the last line ends up
// on screen), and the banner must fit the 40 columns with its way out ("q") visible.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import { BIN, ROOT, sq, waitUntil } from "./agent-support.js";
import { Fleet } from "./send-support.js";

let fleet: Fleet;
let terminal: TmuxServer;

beforeAll(async () => {
  fleet = await Fleet.start("watch-follow");
  fleet.writeRoster([{ name: "chatty", runtime: "shell", heartbeat: false }]);
  terminal = await startTmuxServer("watch-follow-op");
  expect((await terminal.tmux("set-option", "-g", "status", "off")).ok).toBe(true);
}, 60_000);

afterAll(async () => {
  await terminal?.kill();
  await fleet?.stop();
});

/** The operator's 10 rows as they are now. */
async function viewer(): Promise<string[]> {
  return (await terminal.tmux("capture-pane", "-p", "-t", "=view:")).stdout.split("\n").slice(0, 10);
}

describe("agent watch in a 40×10 terminal, agent window 80×40", () => {
  it("follows 200 lines of output: the newest line moves forward and line 200 ends up in view", async () => {
    // The agent waits for the go file, so the watcher is drawing before the output starts.
    const go = `${fleet.base}/go`;
    await fleet.tmux.newSession(
      "chatty",
      [
        "sh",
        "-c",
        `while [ ! -e ${sq(go)} ]; do sleep 0.05; done; i=1; while [ $i -le 200 ]; do echo "line $i"; i=$((i+1)); sleep 0.01; done; exec sleep 600`,
      ],
      { width: 80, height: 40 },
    );
    const command = [process.execPath, BIN, "agent", "watch", "--roster", fleet.roster, "chatty"].map(sq).join(" ");
    await terminal.newSession(
      "view",
      [
        "sh",
        "-c",
        `cd ${sq(ROOT)} && env TMUX_TMPDIR=${sq(fleet.tmux.tmpdir)} MOSAIC_HOME=${sq(fleet.home)} ${command}`,
      ],
      { width: 40, height: 10 },
    );
    expect(await waitUntil(async () => /q/.test((await viewer())[0] ?? ""), 10_000), (await viewer()).join("\n")).toBe(
      true,
    );

    const { writeFileSync } = await import("node:fs");
    writeFileSync(go, "");
    const newest: number[] = [];
    const done = await waitUntil(
      async () => {
        const numbers = (await viewer()).flatMap((row) => {
          const m = /^line (\d+)\s*$/.exec(row);
          return m ? [Number(m[1])] : [];
        });
        if (numbers.length > 0) newest.push(Math.max(...numbers));
        return numbers.includes(200);
      },
      30_000,
      100,
    );
    const screen = await viewer();
    expect(done, `line 200 never came into view:\n${screen.join("\n")}`).toBe(true);
    expect(new Set(newest).size, `the view did not move with the output: ${newest.join(",")}`).toBeGreaterThanOrEqual(
      3,
    );
    expect(newest, "the view jumped back").toEqual([...newest].sort((a, b) => a - b));
    // The rows under the banner are consecutive lines ending at 200: the window scrolled, not sampled.
    const body = screen.slice(1).filter((row) => /^line \d+/.test(row));
    expect(body.map((row) => Number(/\d+/.exec(row)?.[0]))).toEqual(
      Array.from({ length: body.length }, (_, i) => 200 - body.length + 1 + i),
    );
  }, 60_000);

  it("the banner fits 40 columns and keeps the way out visible", async () => {
    const top = (await viewer())[0] ?? "";
    expect(top.trimEnd().length).toBeLessThanOrEqual(40);
    expect(top).toMatch(/q: leave|leave with q/);
    expect(top).toContain("chatty");
  });

  it("q leaves, and the agent's window is still 80×40", async () => {
    expect((await terminal.tmux("send-keys", "-t", "=view:", "q")).ok).toBe(true);
    expect(await waitUntil(async () => !(await terminal.tmux("has-session", "-t", "=view")).ok, 10_000)).toBe(true);
    expect(await fleet.format("chatty", "#{window_width}x#{window_height}")).toBe("80x40");
  });
});
