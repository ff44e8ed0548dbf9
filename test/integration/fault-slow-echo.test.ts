// docs/threat-model.md "tmux targets and sending": slow echo → bounded timeout, no false
// "accepted". The agent (test/fixtures/fault/slow-echo.py) takes the typed text at once
// but echoes it one character every 150 ms from a poll() loop on its terminal, and
// ignores Enter: the message ends as a draft on its input line, never accepted. While the
// echo trickles in, the screen shows a changing input line and the program waits on its
// terminal — none of which is acceptance. `agent send --verify` must exit 1 within its
// --timeout and never report verified: true.

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, waitUntil } from "./agent-support.js";
import { Fleet, PYTHON } from "./send-support.js";

const SLOW_ECHO = join(ROOT, "test", "fixtures", "fault", "slow-echo.py");
let fleet: Fleet;

beforeAll(async () => {
  fleet = await Fleet.start("fault-slow-echo");
  fleet.writeRoster([
    { name: "slow", runtime: "shell", heartbeat: false },
    { name: "slower", runtime: "shell", heartbeat: false },
  ]);
  await fleet.tmux.newSession("slow", [PYTHON, SLOW_ECHO, "slow> ", "0.15"], { width: 200, height: 50 });
  await fleet.tmux.newSession("slower", [PYTHON, SLOW_ECHO, "slow> ", "0.4"], { width: 200, height: 50 });
  for (const name of ["slow", "slower"]) {
    expect(
      await waitUntil(async () => (await fleet.cursorLine(name)) === "slow>", 10_000),
      await fleet.capture(name),
    ).toBe(true);
  }
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
});

describe("agent send --verify to an agent whose echo is slow and which never accepts", () => {
  it("150 ms per character: exit 1 within the timeout, verified false, and the text is left as a draft", async () => {
    const message = "hello slow world";
    const run = await fleet.send("slow", message, ["--verify", "--timeout", "5s", "-o", "json"]);
    const out = JSON.parse(run.stdout || "{}") as { verified?: boolean; evidence?: Record<string, unknown> };
    expect(out.verified, `claimed accepted: ${run.stdout}`).not.toBe(true);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.ms).toBeLessThan(5_000 + 3_000);
    // The program never took it: the whole text ends up on its input line.
    expect(
      await waitUntil(async () => (await fleet.cursorLine("slow")) === `slow> ${message}`, 5_000),
      await fleet.capture("slow"),
    ).toBe(true);
  }, 20_000);

  it("400 ms per character, a timeout shorter than the echo: exit 1 at the timeout, never verified", async () => {
    const message = "abcdefghijkl";
    const run = await fleet.send("slower", message, ["--verify", "--timeout", "2s", "-o", "json"]);
    const out = JSON.parse(run.stdout || "{}") as { verified?: boolean };
    expect(out.verified, `claimed accepted: ${run.stdout}`).not.toBe(true);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.ms).toBeLessThan(2_000 + 3_000);
  }, 20_000);
});
