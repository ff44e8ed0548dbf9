// A reader slower than the changes must not make a watcher queue its output without bound
// (src/cli/latest-frame.ts): `fleet ps --watch -o json` whose reader stops reading while
// 100 heartbeats change 20 times a second holds back all but the newest document, so
// when the reader comes back it gets at most what was already in flight plus the
// present — never the backlog of every change (before: one document per change, all
// kept in the watcher's memory). `agent logs -f` waits for a reader that is behind before
// it looks at the pane again, and still prints every line once, in order.

import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import { BIN, cliEnv, scratch, sleep, USER, waitUntil, type Scratch } from "./fleet-support.js";

const AGENTS = Array.from({ length: 100 }, (_, i) => `agent-${String(i).padStart(3, "0")}`);

let tmux: TmuxServer;
let s: Scratch;
let env: NodeJS.ProcessEnv;
let roster: string;

function beat(name: string, note: string): void {
  s.heartbeat(name, `ts=${Math.floor(Date.now() / 1000)} pid=${process.pid} status=working note=${note}`);
}

/** The CLI with its stdout a pipe this test reads (or stops reading) itself. */
function streaming(args: string[]) {
  return execa(process.execPath, [BIN, ...args], {
    env,
    extendEnv: false,
    reject: false,
    buffer: false,
    stdin: "ignore",
  });
}

beforeAll(async () => {
  tmux = await startTmuxServer("slow-reader");
  s = scratch("mf-slow-");
  roster = s.roster("roster.yaml", {
    version: 1,
    defaults: { tenant: USER, boot: "any", socket: tmux.socket, heartbeat: { interval: "10s" } },
    agents: [...AGENTS.map((name) => ({ name, runtime: "shell" })), { name: "talker", runtime: "shell" }],
  });
  for (const name of AGENTS) beat(name, "n0");
  env = cliEnv({ TMUX_TMPDIR: tmux.tmpdir, MOSAIC_HOME: s.home, NO_COLOR: "1" });
}, 30_000);

afterAll(async () => {
  await tmux?.kill();
  s?.cleanup();
});

/** Complete lines of what the child printed so far. */
function lines(chunks: Buffer[]): string[] {
  const text = Buffer.concat(chunks).toString("utf8");
  return text.split("\n").slice(0, -1);
}

describe("a reader slower than the changes", () => {
  it("fleet ps --watch -o json: while the reader is away only the newest document waits; then the present", async () => {
    const watcher = streaming(["fleet", "ps", "--watch", "-o", "json", "--roster", roster]);
    const chunks: Buffer[] = [];
    const stdout = watcher.stdout;
    const collect = (chunk: Buffer) => void chunks.push(chunk);
    stdout.on("data", collect);
    try {
      // The first document, read.
      expect(await waitUntil(() => lines(chunks).length >= 1, 20_000), "no first document").toBe(true);
      // The reader goes away (nothing more is read: the pipe and Node's buffer fill up),
      // while every heartbeat changes 20 times a second for 5 s.
      stdout.off("data", collect);
      stdout.pause();
      const before = lines(chunks).length;
      let round = 0;
      const end = Date.now() + 5_000;
      while (Date.now() < end) {
        round += 1;
        for (const name of AGENTS) beat(name, `n${round}`);
        await sleep(50);
      }
      // The reader comes back; the watcher has nothing new to say after that.
      stdout.on("data", collect);
      stdout.resume();
      const last = `"note":"n${round}"`;
      expect(
        await waitUntil(() => lines(chunks).at(-1)?.includes(last) === true, 20_000),
        "the present never arrived",
      ).toBe(true);
      await sleep(1_500);
      const after = lines(chunks).slice(before);
      // What was in flight when the reader left (a document or two), then the present;
      // without the hold-back this was one document per change (~100).
      expect(after.length, `${after.length} documents queued for a reader that was away`).toBeLessThanOrEqual(4);
      expect(after.at(-1)).toContain(last);
      for (const document of after) expect(() => JSON.parse(document) as unknown).not.toThrow();
    } finally {
      watcher.kill("SIGTERM");
      await watcher;
    }
  }, 60_000);

  it("agent logs -f: a reader that pauses still gets every line once, in order", async () => {
    await tmux.newSession(
      "talker",
      [
        "sh",
        "-c",
        "i=1; while [ $i -le 600 ]; do echo line-$i-$(printf '%0200d' 0); i=$((i+1)); sleep 0.005; done; exec sleep 600",
      ],
      { width: 250, height: 30 },
    );
    const follower = streaming(["agent", "logs", "-f", "--roster", roster, "talker"]);
    const chunks: Buffer[] = [];
    const stdout = follower.stdout;
    stdout.on("data", (chunk: Buffer) => void chunks.push(chunk));
    stdout.pause();
    try {
      // Not read for 4 s while the pane prints ~125 KB (twice what a pipe holds), then read to the end.
      await sleep(4_000);
      stdout.resume();
      expect(await waitUntil(() => lines(chunks).some((l) => l.startsWith("line-600-")), 30_000)).toBe(true);
      const numbers = lines(chunks).map((l) => Number(/^line-(\d+)-/.exec(l)?.[1]));
      expect(numbers).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    } finally {
      follower.kill("SIGTERM");
      await follower;
    }
  }, 60_000);
});
