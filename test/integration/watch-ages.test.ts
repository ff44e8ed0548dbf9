// Every document `fleet ps --watch -o json` draws is the moment's truth, not only in its
// verdicts: a row no event touched still shows its heartbeat's age as of the document's
// `observedAt` (docs/json.md, heartbeat.age_s), so a consumer that alerts on `age_s` sees
// the real age. The watch re-judges only what changed between draws, so this is checked
// on a row that nothing touched for several seconds while another row changed.

import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FleetStatus } from "../../src/diff/types.js";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import { BIN, cliEnv, scratch, sleep, USER, waitUntil, type Scratch } from "./fleet-support.js";

let tmux: TmuxServer;
let s: Scratch;
let env: NodeJS.ProcessEnv;
let roster: string;

function beat(name: string, ts: number, note: string): void {
  s.heartbeat(name, `ts=${ts} pid=${process.pid} status=working note=${note}`);
}

beforeAll(async () => {
  tmux = await startTmuxServer("watch-ages");
  s = scratch("mf-ages-");
  roster = s.roster("roster.yaml", {
    version: 1,
    defaults: { tenant: USER, boot: "any", socket: tmux.socket, heartbeat: { interval: "60s" } },
    agents: [
      { name: "busy", runtime: "shell" },
      { name: "quiet", runtime: "shell" },
    ],
  });
  env = cliEnv({ TMUX_TMPDIR: tmux.tmpdir, MOSAIC_HOME: s.home, NO_COLOR: "1" });
}, 30_000);

afterAll(async () => {
  await tmux?.kill();
  s?.cleanup();
});

describe("fleet ps --watch -o json", () => {
  it("a row nothing touched shows its age as of each document's observedAt", async () => {
    const quietTs = Math.floor(Date.now() / 1000) - 2;
    beat("quiet", quietTs, "still");
    beat("busy", quietTs, "n0");
    const watcher = execa(process.execPath, [BIN, "fleet", "ps", "--watch", "-o", "json", "--roster", roster], {
      env,
      extendEnv: false,
      reject: false,
      buffer: false,
      stdin: "ignore",
    });
    let text = "";
    watcher.stdout.on("data", (chunk: Buffer) => void (text += chunk.toString("utf8")));
    const documents = () =>
      text
        .split("\n")
        .slice(0, -1)
        .map((line) => JSON.parse(line) as FleetStatus);
    try {
      expect(await waitUntil(() => documents().length >= 1, 20_000), "no first document").toBe(true);
      // Nothing touches "quiet" from now on; "busy" changes after a few seconds.
      await sleep(4_000);
      beat("busy", Math.floor(Date.now() / 1000), "n1");
      expect(
        await waitUntil(() => documents().some((d) => d.agents.some((a) => a.heartbeat.note === "n1")), 20_000),
        "the change was never drawn",
      ).toBe(true);
      for (const document of documents()) {
        const quiet = document.agents.find((a) => a.name === "quiet");
        const age = Date.parse(document.observedAt) / 1000 - quietTs;
        expect(quiet?.heartbeat.age_s, `${document.observedAt}: quiet's age`).toBeCloseTo(age, 0);
      }
    } finally {
      watcher.kill("SIGTERM");
      await watcher;
    }
  }, 60_000);
});
