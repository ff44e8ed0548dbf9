// `fleet ps --probe` does not wait out its timeout for a responder that cannot answer:
// a missing pane (even with a fresh heartbeat naming a live pid), a dead pane, or a
// heartbeat whose writer is gone is unanswered at once. The bound asserted is half the
// probe timeout, so the test tells waiting from not waiting without timing anything fine.

import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import { agentOf, assertBuilt, cliEnv, psJson, stubRoster, waitUntil } from "./agent-support.js";

const TIMEOUT_S = 20;
let tmux: TmuxServer;
let base: string;
let env: NodeJS.ProcessEnv;
let runDir: string;

function heartbeat(name: string, pid: number): void {
  const now = Math.floor(Date.now() / 1000);
  writeFileSync(join(runDir, `${name}.hb`), `ts=${now} pid=${pid} status=idle seq=1 name=${name}\n`, { mode: 0o600 });
}

beforeAll(async () => {
  assertBuilt();
  tmux = await startTmuxServer("probe-missing");
  await tmux.tmux("set-option", "-g", "remain-on-exit", "on");
  base = mkdtempSync(join(tmpdir(), "mf-probe-missing-"));
  const home = join(base, "home");
  runDir = join(home, "fleet", "run");
  mkdirSync(runDir, { recursive: true });
  chmodSync(runDir, 0o700);
  const roster = join(base, "roster.yaml");
  writeFileSync(roster, stubRoster(tmux.socket, ["ghost", "corpse", "orphan"], 30));
  env = cliEnv({ HOME: base, MOSAIC_HOME: home, MOSAIC_ROSTER: roster, TMUX_TMPDIR: tmux.tmpdir, NO_COLOR: "1" });
  // ghost: no session at all, but a fresh heartbeat naming a live process (this test runner).
  heartbeat("ghost", process.pid);
  // corpse: its pane died (remain-on-exit keeps it).
  await tmux.newSession("corpse", ["sh", "-c", "exit 1"]);
  expect(
    await waitUntil(
      async () => (await tmux.tmux("display-message", "-p", "-t", "=corpse:", "#{pane_dead}")).stdout.trim() === "1",
      10_000,
    ),
  ).toBe(true);
  heartbeat("corpse", process.pid);
  // orphan: a live pane, but the heartbeat's writer is long gone.
  await tmux.newSession("orphan", ["sleep", "600"]);
  heartbeat("orphan", 2 ** 22 + 12345);
}, 30_000);

afterAll(async () => {
  await tmux?.kill();
  if (base) rmSync(base, { recursive: true, force: true });
});

describe("fleet ps --probe with responders that cannot answer", () => {
  it(`answers at once (well under --probe-timeout ${TIMEOUT_S}s): each unanswered, no .probe written`, async () => {
    const { run, status } = await psJson(env, ["--probe", "--probe-timeout", `${TIMEOUT_S}s`]);
    expect(run.ms, "waited for a probe nobody could answer").toBeLessThan((TIMEOUT_S * 1000) / 2);
    for (const name of ["ghost", "corpse", "orphan"]) {
      expect(agentOf(status, name).heartbeat.probe, name).toEqual({ answered: false, rtt_ms: null });
    }
    expect(agentOf(status, "ghost").pane.state).toBe("missing");
    expect(agentOf(status, "corpse").pane.state).toBe("dead");
    expect(readdirSync(runDir).filter((file) => file.includes(".probe"))).toEqual([]);
  }, 60_000);
});
