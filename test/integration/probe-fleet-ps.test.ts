// `mosaic fleet ps --probe` (docs/heartbeat.md, Probe): a nonce written to NAME.probe is echoed by
// the agent's responder in NAME.hb; the JSON carries heartbeat.probe {answered, rtt_ms}
// per agent. A wedged (SIGSTOPped) stub is reported unanswered within the probe timeout,
// and no .probe file is left behind. Also measures the round trip for BENCHMARKS.md.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { probeHeartbeats } from "../../src/heartbeat/prober.js";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import {
  agentOf,
  assertBuilt,
  cliEnv,
  median,
  mosaic,
  percentile,
  pidState,
  psJson,
  readHb,
  signal,
  stubPaneArgv,
  stubRoster,
  UID,
  waitUntil,
} from "./agent-support.js";

const AGENTS = ["p1", "p2", "p3"];
let tmux: TmuxServer;
let base: string;
let home: string;
let runDir: string;
let env: NodeJS.ProcessEnv;
const stopped: number[] = [];

const hbPath = (name: string) => join(runDir, `${name}.hb`);
const leftovers = () => readdirSync(runDir).filter((f) => f.includes(".probe"));

beforeAll(async () => {
  assertBuilt();
  tmux = await startTmuxServer("probe");
  base = mkdtempSync(join(tmpdir(), "mf-probe-"));
  home = join(base, "mosaic");
  runDir = join(home, "fleet", "run");
  mkdirSync(runDir, { recursive: true });
  chmodSync(runDir, 0o700);
  const runtime = join(base, "xdg-runtime");
  mkdirSync(runtime, { mode: 0o700 });
  const roster = join(base, "roster.yaml");
  // `holder` expects no heartbeat, so it must not be probed.
  writeFileSync(
    roster,
    stubRoster(tmux.socket, AGENTS, 1, "  - name: holder\n    runtime: shell\n    heartbeat: false"),
  );
  env = cliEnv({
    HOME: base,
    MOSAIC_HOME: home,
    MOSAIC_ROSTER: roster,
    TMUX_TMPDIR: tmux.tmpdir,
    XDG_RUNTIME_DIR: runtime,
    NO_COLOR: "1",
  });
  for (const name of AGENTS) {
    await tmux.newSession(name, stubPaneArgv([name, "--interval", "1s"]), { env: { MOSAIC_HOME: home } });
  }
  for (const name of AGENTS) {
    expect(await waitUntil(() => readHb(hbPath(name)) !== null, 10_000), `${name}.hb never appeared`).toBe(true);
  }
}, 60_000);

afterAll(async () => {
  for (const pid of stopped) signal(pid, "SIGCONT");
  await tmux?.kill();
  if (base) rmSync(base, { recursive: true, force: true });
});

describe("fleet ps --probe", () => {
  it("every live responder echoes its nonce; JSON has answered true and an rtt_ms; no .probe left", async () => {
    const { run, status } = await psJson(env, ["--probe"]);
    expect(run.stderr).toBe("");
    for (const name of AGENTS) {
      const agent = agentOf(status, name);
      expect(agent.heartbeat.probe, name).toMatchObject({ answered: true });
      const rtt = agent.heartbeat.probe?.rtt_ms;
      expect(typeof rtt).toBe("number");
      expect(rtt as number).toBeGreaterThanOrEqual(0);
      expect(rtt as number).toBeLessThan(2_000);
      // The echo is in the heartbeat file: the nonce the prober wrote.
      expect(readHb(hbPath(name))?.probe).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
      expect(agent.heartbeat.state).toBe("healthy");
    }
    // Each agent got its own nonce.
    expect(new Set(AGENTS.map((name) => readHb(hbPath(name))?.probe)).size).toBe(AGENTS.length);
    expect(agentOf(status, "holder").heartbeat.probe).toBeUndefined();
    expect(leftovers()).toEqual([]);
  });

  it("without --probe there is no probe field and nothing is written", async () => {
    const before = AGENTS.map((name) => readHb(hbPath(name))?.probe);
    const { status } = await psJson(env);
    for (const name of AGENTS) expect(agentOf(status, name).heartbeat.probe).toBeUndefined();
    expect(AGENTS.map((name) => readHb(hbPath(name))?.probe)).toEqual(before);
    expect(leftovers()).toEqual([]);
  });

  it("the table shows the round trip", async () => {
    const run = await mosaic(["fleet", "ps", "--probe"], env);
    expect(run.code).toBe(0);
    for (const name of AGENTS) {
      const row = run.stdout.split("\n").find((line) => line.startsWith(`${name} `));
      expect(row, run.stdout).toMatch(/healthy \d+s probe [\d.]+ms/);
    }
  });

  it("a stopped (SIGSTOP) stub: answered false, rtt_ms null; the command returns within --probe-timeout 500ms plus a margin", async () => {
    const pid = readHb(hbPath("p3"))?.pid as number;
    // A baseline without probing: what the command costs on this machine right now.
    const baselines: number[] = [];
    for (let i = 0; i < 3; i++) baselines.push((await psJson(env)).run.ms);
    const baseline = Math.max(...baselines);

    signal(pid, "SIGSTOP");
    stopped.push(pid);
    try {
      await new Promise((r) => setTimeout(r, 200));
      expect(pidState(pid)).toBe("T");
      const { run, status } = await psJson(env, ["--probe", "--probe-timeout", "500ms"]);
      const p3 = agentOf(status, "p3");
      expect(p3.heartbeat.probe).toEqual({ answered: false, rtt_ms: null });
      for (const name of ["p1", "p2"]) expect(agentOf(status, name).heartbeat.probe?.answered, name).toBe(true);
      console.log(`[probe] unanswered run: ${run.ms} ms (baseline without --probe: ${baselines.join("/")} ms)`);
      expect(run.ms).toBeGreaterThanOrEqual(500); // it did wait for the stopped one…
      expect(run.ms).toBeLessThan(baseline + 500 + 1_500); // …but no longer than the timeout allows
      expect(leftovers()).toEqual([]);
      expect(readHb(hbPath("p3"))?.probe).not.toBe(readHb(hbPath("p1"))?.probe);
    } finally {
      signal(pid, "SIGCONT");
      stopped.splice(stopped.indexOf(pid), 1);
    }
    // Resumed: it answers again, and nothing stale was left for it to trip over.
    expect(
      await waitUntil(
        async () =>
          agentOf((await psJson(env, ["--probe", "--probe-timeout", "1s"])).status, "p3").heartbeat.probe?.answered ===
          true,
        5_000,
        100,
      ),
    ).toBe(true);
    expect(leftovers()).toEqual([]);
  });

  it("round trip: median over 20 probes (CLI-reported rtt_ms, and in-process)", async () => {
    const cli: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { status } = await psJson(env, ["--probe"]);
      for (const name of ["p1", "p2"]) {
        const probe = agentOf(status, name).heartbeat.probe;
        expect(probe?.answered).toBe(true);
        cli.push(probe?.rtt_ms as number);
      }
    }
    const inProcess: number[] = [];
    for (let i = 0; i < 20; i++) {
      const results = await probeHeartbeats(runDir, ["p1"], { timeoutMs: 2_000, uid: UID });
      const rtt = results.get("p1")?.rttMs;
      expect(rtt).not.toBeNull();
      inProcess.push(rtt as number);
    }
    const fmt = (xs: number[]) =>
      `median ${median(xs).toFixed(1)} ms, p90 ${percentile(xs, 90).toFixed(1)} ms, min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)} (n=${xs.length})`;
    console.log(`[probe RTT] fleet ps --probe (rtt_ms, 10 runs x 2 agents): ${fmt(cli)}`);
    console.log(`[probe RTT] probeHeartbeats in-process (1 agent, 20 probes): ${fmt(inProcess)}`);
    expect(median(cli)).toBeLessThan(500);
    expect(median(inProcess)).toBeLessThan(500);
    expect(leftovers()).toEqual([]);
  }, 60_000);
});

describe("fleet ps --probe: refusals", () => {
  it("never writes a probe into an untrusted (world-writable) run directory", async () => {
    const other = mkdtempSync(join(tmpdir(), "mf-probe-untrusted-"));
    try {
      const otherRun = join(other, "mosaic", "fleet", "run");
      mkdirSync(otherRun, { recursive: true });
      chmodSync(otherRun, 0o777);
      const roster = join(other, "roster.yaml");
      writeFileSync(roster, stubRoster(tmux.socket, ["p1"], 1));
      const { run, status } = await psJson({ ...env, MOSAIC_HOME: join(other, "mosaic"), MOSAIC_ROSTER: roster }, [
        "--probe",
        "--probe-timeout",
        "500ms",
      ]);
      expect(agentOf(status, "p1").heartbeat.probe).toEqual({ answered: false, rtt_ms: null });
      expect(readdirSync(otherRun)).toEqual([]);
      expect(run.ms).toBeLessThan(10_000);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  for (const bad of ["soon", "61s", "0s"]) {
    it(`--probe-timeout ${bad}: exit 2, one line`, async () => {
      const run = await mosaic(["fleet", "ps", "--probe", "--probe-timeout", bad], env);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(run.stderr).toMatch(/--probe-timeout/);
      expect(leftovers()).toEqual([]);
    });
  }
});
