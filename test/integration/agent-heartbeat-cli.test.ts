// `mosaic agent heartbeat NAME [--status WORD] [--once]` (docs/commands.md, docs/heartbeat.md): the
// responder for runtimes that cannot write a heartbeat themselves. --once vouches for
// the calling process and exits 0; without it, it keeps beating and answers probes until
// stopped; bad input is one clear line and exit 2.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { assertBuilt, BIN, cliEnv, mosaic, pidAlive, readHb, signal, sleep, waitUntil } from "./agent-support.js";

let base: string;
let home: string;
let runDir: string;
let env: NodeJS.ProcessEnv;
const children: ResultPromise[] = [];

beforeEach(() => {
  assertBuilt();
  base = mkdtempSync(join(tmpdir(), "mf-agent-hb-"));
  home = join(base, "mosaic");
  runDir = join(home, "fleet", "run");
  env = cliEnv({ HOME: base, MOSAIC_HOME: home });
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.pid !== undefined) signal(child.pid, "SIGKILL");
    await child.catch(() => undefined);
  }
  rmSync(base, { recursive: true, force: true });
});

describe("agent heartbeat --once", () => {
  it("writes one line whose pid is the calling process, and exits 0", async () => {
    const run = await mosaic(["agent", "heartbeat", "once-a", "--once", "--status", "busy"], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    const text = readFileSync(join(runDir, "once-a.hb"), "utf8");
    expect(text.split("\n")).toHaveLength(2); // one line and its newline
    expect(text).toMatch(/^ts=\d+ pid=\d+ status=busy seq=\d+ name=once-a since=\d+\n$/);
    const hb = readHb(join(runDir, "once-a.hb"));
    expect(hb?.pid).toBe(process.pid); // we called it
    expect(Math.abs(Math.floor(Date.now() / 1000) - (hb?.ts ?? 0))).toBeLessThanOrEqual(1);
    expect(readdirSync(runDir)).toEqual(["once-a.hb"]);
  });

  it("from a wrapper script: the pid is the script's ($$), which keeps running", async () => {
    const script = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} agent heartbeat wrapped --once --status working; echo "shell=$$"`;
    const run = await execa("sh", ["-c", script], { env, extendEnv: false, reject: false, timeout: 15_000 });
    expect(run.exitCode).toBe(0);
    const shellPid = Number(/shell=(\d+)/.exec(String(run.stdout))?.[1]);
    expect(readHb(join(runDir, "wrapped.hb"))).toMatchObject({ pid: shellPid, status: "working", name: "wrapped" });
  });

  it("defaults to status idle, and a rewrite replaces the line (never appends)", async () => {
    expect((await mosaic(["agent", "heartbeat", "once-b", "--once"], env)).code).toBe(0);
    expect(readHb(join(runDir, "once-b.hb"))?.status).toBe("idle");
    expect((await mosaic(["agent", "heartbeat", "once-b", "--once", "--status", "busy"], env)).code).toBe(0);
    const text = readFileSync(join(runDir, "once-b.hb"), "utf8");
    expect(text.trim().split("\n")).toHaveLength(1);
    expect(readHb(join(runDir, "once-b.hb"))?.status).toBe("busy");
  });

  it("seq carries on across --once runs for the same process, and starts again at 1 for another", async () => {
    const seqOf = () => readHb(join(runDir, "once-s.hb"))?.seq;
    for (const expected of [1, 2, 3]) {
      expect((await mosaic(["agent", "heartbeat", "once-s", "--once"], env)).code).toBe(0);
      expect(seqOf(), `run ${expected}`).toBe(expected);
    }
    // From a wrapper script: another process vouched for, so a new sequence.
    const script = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} agent heartbeat once-s --once`;
    expect(
      (await execa("sh", ["-c", script], { env, extendEnv: false, reject: false, timeout: 15_000 })).exitCode,
    ).toBe(0);
    expect(seqOf()).toBe(1);
  });

  it("refuses a group/world-writable run directory: exit 2, one line", async () => {
    mkdirSync(runDir, { recursive: true });
    chmodSync(runDir, 0o777);
    const run = await mosaic(["agent", "heartbeat", "once-c", "--once"], env);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/refusing heartbeat directory .*group\/world-writable/);
    expect(readdirSync(runDir)).toEqual([]);
  });
});

describe("agent heartbeat (no --once)", () => {
  it("keeps beating, answers probes, and writes status=stopping on SIGTERM", async () => {
    const child = execa(
      process.execPath,
      [BIN, "agent", "heartbeat", "keeper", "--interval", "1s", "--status", "busy"],
      {
        env,
        extendEnv: false,
        reject: false,
        stdin: "ignore",
        timeout: 20_000,
      },
    );
    children.push(child);
    const pid = child.pid as number;
    const hbFile = join(runDir, "keeper.hb");
    expect(await waitUntil(() => readHb(hbFile) !== null, 5_000)).toBe(true);
    const first = readHb(hbFile);
    expect(first).toMatchObject({ pid, status: "busy", name: "keeper" });

    await sleep(1_500);
    // Still running, still beating: a responder that exits at once leaves a heartbeat
    // whose pid is gone, which every observer reports as stale.
    const startedLife = { alive: pidAlive(pid), exitCode: child.exitCode ?? null };
    expect(startedLife, "agent heartbeat exited instead of staying up as a responder").toEqual({
      alive: true,
      exitCode: null,
    });
    const later = readHb(hbFile);
    expect(later?.seq ?? 0).toBeGreaterThan(first?.seq ?? 0);
    expect(later?.status).toBe("busy");

    // A probe, as `fleet ps --probe` writes it.
    const temp = join(runDir, ".keeper.probe.test.tmp");
    writeFileSync(temp, "probe-keeper-1\n", { mode: 0o600 });
    renameSync(temp, join(runDir, "keeper.probe"));
    expect(await waitUntil(() => readHb(hbFile)?.probe === "probe-keeper-1", 2_000)).toBe(true);

    signal(pid, "SIGTERM");
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(readHb(hbFile)).toMatchObject({ status: "stopping", pid });
  }, 30_000);
});

describe("agent heartbeat: usage errors", () => {
  for (const [label, args, pattern] of [
    [
      '--status "two words"',
      ["agent", "heartbeat", "x", "--once", "--status", "two words"],
      /invalid --status "two words"/,
    ],
    ["--status with an =", ["agent", "heartbeat", "x", "--once", "--status", "a=b"], /invalid --status "a=b"/],
    ["--status empty", ["agent", "heartbeat", "x", "--once", "--status", ""], /invalid --status ""/],
    ["an invalid name", ["agent", "heartbeat", "x/y", "--once"], /invalid agent name "x\/y"/],
    ["an invalid --interval", ["agent", "heartbeat", "x", "--interval", "-1s"], /--interval/],
  ] as const) {
    it(`${label}: exit 2 with one clear line and no stack trace, nothing written`, async () => {
      const run = await mosaic([...args], env);
      expect(run.code).toBe(2);
      const lines = run.stderr.trim().split("\n");
      expect(lines, run.stderr).toHaveLength(1);
      expect(run.stderr).toMatch(pattern);
      expect(run.stderr).not.toMatch(/^\s+at |Error:|TypeError/m);
      expect(run.stdout).toBe("");
      expect(() => readdirSync(runDir)).toThrow(); // not even the run directory
    });
  }

  it("no NAME (it is required): exit 2, one line", async () => {
    const run = await mosaic(["agent", "heartbeat", "--once"], env);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/missing required argument 'name'|no agent name/);
  });
});
