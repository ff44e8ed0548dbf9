// Fault injection (docs/threat-model.md "Heartbeats"): the run directory disappears (or is
// swapped for a world-writable one, or for a symlink) in the middle of a `fleet ps`.
// `fleet ps` must not crash: exit 0, the rest of the row still there, and no heartbeat
// ever healthy unless it was read, intact and private, from the real run directory.
//
// Two ways to strike mid-run:
//   - a wrapper first on PATH (test/fixtures/fault/rm-run-dir), linked as `tmux` or
//     `systemctl`, removes/swaps the run directory before exec'ing the real tool. The
//     heartbeat reads overlap the subprocesses, so they may come before or after the
//     strike: either answer is right (healthy from the intact directory, or Unknown),
//     which is exactly what these tests accept — and nothing else;
//   - deterministically, during the `--probe` wait: the test removes/swaps the directory
//     as soon as mosaic's probe files appear, before the observation reads anything.

import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import type { AgentStatus, FleetStatus } from "../../src/diff/types.js";
import {
  ROOT,
  agentOf,
  cliEnv,
  conditionOf,
  localDefaults,
  mosaic,
  nowS,
  parseTable,
  psJson,
  scratch,
  sleep,
  type CliRun,
  type Scratch,
} from "./fleet-support.js";

const FAULT = join(ROOT, "test", "fixtures", "fault");
const which = (tool: string) => execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
const AGENTS = ["rd-a", "rd-b"];

let tmux: TmuxServer;
let s: Scratch;
let noManager = "";
let file = "";
let log = "";
const wrapperDirs = new Map<string, string>();

beforeAll(async () => {
  // The scratch dir is named mf-fault-*: the wrapper refuses to remove anything else.
  s = scratch("mf-fault-rundir-");
  noManager = join(s.dir, "no-manager");
  mkdirSync(noManager, { mode: 0o700 });
  log = join(s.dir, "calls.log");
  tmux = await startTmuxServer("fault-rundir");
  for (const name of AGENTS) await tmux.newSession(name, ["sleep", "600"]);
  file = s.roster("rundir.yaml", {
    version: 1,
    defaults: localDefaults(tmux.socket),
    runtimes: { sleeper: { match: ["sleep"] } },
    agents: AGENTS.map((name) => ({ name, runtime: "sleeper" })),
  });
  chmodSync(join(FAULT, "rm-run-dir"), 0o755);
  for (const tool of ["tmux", "systemctl"]) {
    const dir = mkdtempSync(join(tmpdir(), `mf-fault-rmwrap-${tool}-`));
    symlinkSync(join(FAULT, "rm-run-dir"), join(dir, tool));
    wrapperDirs.set(tool, dir);
  }
});

afterAll(async () => {
  await tmux?.kill();
  for (const dir of wrapperDirs.values()) rmSync(dir, { recursive: true, force: true });
  s?.cleanup();
});

/** A private run dir with fresh heartbeats (status=idle) from a live writer that predates them (this process). */
beforeEach(() => {
  rmSync(s.runDir, { recursive: true, force: true });
  mkdirSync(s.runDir, { recursive: true, mode: 0o700 });
  chmodSync(s.runDir, 0o700);
  for (const name of AGENTS) s.heartbeat(name, `ts=${nowS()} pid=${process.pid} status=idle`);
  writeFileSync(log, "");
});

function env(tool?: "tmux" | "systemctl", extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = { TMUX_TMPDIR: tmux.tmpdir, MOSAIC_HOME: s.home, HOME: s.dir, XDG_RUNTIME_DIR: noManager };
  if (tool === undefined) return cliEnv(base);
  return cliEnv({
    ...base,
    PATH: `${wrapperDirs.get(tool) ?? ""}:${process.env["PATH"] ?? "/usr/bin:/bin"}`,
    MF_RM_DIR: s.runDir,
    MF_REAL_TOOL: which(tool),
    MF_FAKE_LOG: log,
    ...extra,
  });
}

/** A world-writable directory of fresh heartbeats marked status=swapped, ready to take the run dir's place. */
function swapDir(): string {
  const dir = join(s.dir, "swap");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  for (const name of AGENTS)
    writeFileSync(join(dir, `${name}.hb`), `ts=${nowS()} pid=${process.pid} status=swapped\n`, { mode: 0o600 });
  chmodSync(dir, 0o777);
  return dir;
}

/** Run `fleet ps … --probe` and call `strike` as soon as mosaic's probe files appear (before it reads heartbeats). */
async function duringProbeWait(args: string[], strike: () => void): Promise<{ run: CliRun; struck: boolean }> {
  const running = mosaic(["fleet", "ps", "-f", file, ...args, "--probe", "--probe-timeout", "1s"], env());
  let struck = false;
  const deadline = Date.now() + 5_000;
  while (!struck && Date.now() < deadline) {
    if (AGENTS.every((name) => existsSync(join(s.runDir, `${name}.probe`)))) {
      strike();
      struck = true;
    } else {
      await sleep(5);
    }
  }
  return { run: await running, struck };
}

/** Healthy only from the intact private run dir (status=idle); otherwise Unknown with one of `reasons`. */
function expectNeverWronglyHealthy(agent: AgentStatus, reasons: string[]): void {
  if (agent.heartbeat.state === "healthy") {
    expect(agent.heartbeat.status, `${agent.name} healthy from the wrong directory`).toBe("idle");
    expect(conditionOf(agent, "Stale")).toMatchObject({ status: "False", reason: "HeartbeatFresh" });
  } else {
    expect(agent.heartbeat.state, agent.name).toBe("unknown");
    expect(reasons, `${agent.name}: ${JSON.stringify(conditionOf(agent, "Stale"))}`).toContain(
      conditionOf(agent, "Stale").reason,
    );
  }
}

describe("the run directory removed during an observation", () => {
  it("control: without the fault, both heartbeats are healthy", async () => {
    const { status } = await psJson(file, env());
    for (const name of AGENTS) expect(agentOf(status, name).heartbeat.state, name).toBe("healthy");
  });

  for (const tool of ["tmux", "systemctl"] as const) {
    it(`removed by a ${tool} wrapper while the observers run: exit 0, each heartbeat healthy (read first) or Unknown NoHeartbeat, panes still alive`, async () => {
      const run = await mosaic(["fleet", "ps", "-f", file, "-o", "json"], env(tool));
      expect(readFileSync(log, "utf8"), `the ${tool} wrapper was not called`).toContain(tool);
      expect(existsSync(s.runDir), "the run directory is still there").toBe(false);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).not.toMatch(/^\s+at /m);
      const status = JSON.parse(run.stdout) as FleetStatus;
      expect(status.agents.map((a) => a.name)).toEqual(AGENTS);
      for (const agent of status.agents) {
        expectNeverWronglyHealthy(agent, ["NoHeartbeat"]);
        expect(agent.pane).toMatchObject({ state: "alive", pid: await tmux.panePid(agent.name) });
      }
    });
  }

  // fleet ps --probe observes first and probes after (a probe is only sent to a responder
  // that can answer), so a fault during the probe wait meets heartbeats already read: they
  // are healthy only as read from the intact directory, and the probe is never answered.
  it("removed during the --probe wait: exit 0, heartbeats as read before, probes unanswered, panes alive, nothing recreated", async () => {
    const { run, struck } = await duringProbeWait(["-o", "json"], () =>
      rmSync(s.runDir, { recursive: true, force: true }),
    );
    expect(struck, "mosaic never wrote its probe files").toBe(true);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    const status = JSON.parse(run.stdout) as FleetStatus;
    for (const agent of status.agents) {
      expectNeverWronglyHealthy(agent, ["NoHeartbeat"]);
      expect(agent.heartbeat.probe).toMatchObject({ answered: false, rtt_ms: null });
      expect(agent.pane.state).toBe("alive");
    }
    expect(existsSync(s.runDir), "mosaic recreated the run directory after it was removed").toBe(false);
  });

  it("removed during the --probe wait, table output: exit 0, HEARTBEAT as read before the wait, PANE alive", async () => {
    const { run, struck } = await duringProbeWait([], () => rmSync(s.runDir, { recursive: true, force: true }));
    expect(struck).toBe(true);
    expect(run.code, run.stderr).toBe(0);
    const rows = parseTable(run.stdout).rows;
    expect(rows.map((r) => [r["NAME"], r["PANE"]])).toEqual(AGENTS.map((n) => [n, "alive"]));
    for (const r of rows) expect(["healthy", "unknown"]).toContain((r["HEARTBEAT"] ?? "").split(" ")[0]);
  });

  it("swapped by a tmux wrapper for a world-writable directory of fresh heartbeats: never healthy from it", async () => {
    const run = await mosaic(["fleet", "ps", "-f", file, "-o", "json"], env("tmux", { MF_SWAP_DIR: swapDir() }));
    expect(readFileSync(log, "utf8")).toContain("tmux");
    expect(readFileSync(join(s.runDir, `${AGENTS[0]}.hb`), "utf8"), "the swap did not happen").toMatch(
      /status=swapped/,
    );
    expect(run.code, run.stderr).toBe(0);
    const status = JSON.parse(run.stdout) as FleetStatus;
    // Heartbeats are read while tmux answers: the swap lands before the read (the dir is
    // momentarily absent: NoHeartbeat) or during it (HeartbeatUntrusted). Never healthy.
    for (const agent of status.agents) expectNeverWronglyHealthy(agent, ["HeartbeatUntrusted", "NoHeartbeat"]);
  });

  it("swapped during the --probe wait for a world-writable directory of fresh heartbeats: never healthy from it, never answered", async () => {
    const swap = swapDir();
    const { run, struck } = await duringProbeWait(["-o", "json"], () => {
      rmSync(s.runDir, { recursive: true, force: true });
      renameSync(swap, s.runDir);
    });
    expect(struck).toBe(true);
    expect(run.code, run.stderr).toBe(0);
    const status = JSON.parse(run.stdout) as FleetStatus;
    for (const agent of status.agents) {
      expectNeverWronglyHealthy(agent, ["HeartbeatUntrusted", "NoHeartbeat"]);
      expect(agent.heartbeat.probe).toMatchObject({ answered: false });
    }
  });

  it("swapped during the --probe wait for a symlink to a private directory of fresh heartbeats: never healthy from it, never answered", async () => {
    const target = join(s.dir, "elsewhere");
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { mode: 0o700 });
    for (const name of AGENTS)
      writeFileSync(join(target, `${name}.hb`), `ts=${nowS()} pid=${process.pid} status=linked\n`, { mode: 0o600 });
    const { run, struck } = await duringProbeWait(["-o", "json"], () => {
      rmSync(s.runDir, { recursive: true, force: true });
      symlinkSync(target, s.runDir);
    });
    expect(struck).toBe(true);
    expect(run.code, run.stderr).toBe(0);
    const status = JSON.parse(run.stdout) as FleetStatus;
    for (const agent of status.agents) {
      expectNeverWronglyHealthy(agent, ["HeartbeatUntrusted", "NoHeartbeat"]);
      expect(agent.heartbeat.probe).toMatchObject({ answered: false });
    }
    rmSync(s.runDir, { force: true });
  });
});
