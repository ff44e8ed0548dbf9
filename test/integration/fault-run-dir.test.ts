// Fault injection (ADVERSARIAL.md "Heartbeats"): the run directory disappears (or is
// swapped for a world-writable one) in the middle of an observation. A wrapper first on
// PATH (test/fixtures/fault/rm-run-dir), linked as `tmux` or as `systemctl`, removes the
// test's run directory before exec'ing the real tool, so the tmux and systemd observers
// run while the heartbeat files vanish under them. `fleet ps` must not crash: exit 0,
// heartbeats Unknown (never healthy), the rest of the row still there.

import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import type { FleetStatus } from "../../src/diff/types.js";
import { ROOT, agentOf, cliEnv, conditionOf, localDefaults, mosaic, nowS, parseTable, psJson, scratch, type Scratch } from "./fleet-support.js";

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

/** Fresh heartbeats from a live writer that predates them (this test process). */
function freshHeartbeats(): void {
  mkdirSync(s.runDir, { recursive: true, mode: 0o700 });
  chmodSync(s.runDir, 0o700);
  for (const name of AGENTS) s.heartbeat(name, `ts=${nowS()} pid=${process.pid} status=idle`);
}

beforeEach(() => {
  freshHeartbeats();
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

describe("the run directory removed during an observation", () => {
  it("control: without the fault, both heartbeats are healthy", async () => {
    const { status } = await psJson(file, env());
    for (const name of AGENTS) expect(agentOf(status, name).heartbeat.state, name).toBe("healthy");
  });

  for (const tool of ["tmux", "systemctl"] as const) {
    it(`removed by a ${tool} wrapper: exit 0, heartbeats Unknown NoHeartbeat (never healthy), panes still alive`, async () => {
      const run = await mosaic(["fleet", "ps", "-f", file, "-o", "json"], env(tool));
      expect(readFileSync(log, "utf8"), `the ${tool} wrapper was not called`).toContain(tool);
      expect(existsSync(s.runDir), "the run directory is still there").toBe(false);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).not.toMatch(/^\s+at /m);
      const status = JSON.parse(run.stdout) as FleetStatus;
      expect(status.agents.map((a) => a.name)).toEqual(AGENTS);
      for (const agent of status.agents) {
        expect(agent.heartbeat.state, agent.name).toBe("unknown");
        expect(conditionOf(agent, "Stale"), agent.name).toMatchObject({ status: "Unknown", reason: "NoHeartbeat" });
        expect(agent.pane).toMatchObject({ state: "alive", pid: await tmux.panePid(agent.name) });
      }
    });
  }

  it("removed during fleet ps --probe: exit 0, no probe answered, heartbeats never healthy, no file recreated", async () => {
    const run = await mosaic(["fleet", "ps", "-f", file, "-o", "json", "--probe", "--probe-timeout", "300ms"], env("tmux"));
    expect(readFileSync(log, "utf8")).toContain("tmux");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    const status = JSON.parse(run.stdout) as FleetStatus;
    for (const agent of status.agents) {
      expect(agent.heartbeat.state).not.toBe("healthy");
      expect(conditionOf(agent, "Stale").status).not.toBe("False");
    }
    expect(existsSync(s.runDir), "mosaic recreated the run directory after it was removed").toBe(false);
  });

  it("removed, table output: exit 0, HEARTBEAT unknown on every row, PANE alive", async () => {
    const run = await mosaic(["fleet", "ps", "-f", file], env("tmux"));
    expect(run.code, run.stderr).toBe(0);
    const rows = parseTable(run.stdout).rows;
    expect(rows.map((r) => [r["NAME"], r["PANE"], (r["HEARTBEAT"] ?? "").split(" ")[0]])).toEqual(AGENTS.map((n) => [n, "alive", "unknown"]));
  });

  it("swapped mid-run for a world-writable directory holding fresh heartbeats: untrusted, Unknown, never healthy", async () => {
    const swap = join(s.dir, "swap");
    rmSync(swap, { recursive: true, force: true });
    mkdirSync(swap);
    for (const name of AGENTS) writeFileSync(join(swap, `${name}.hb`), `ts=${nowS()} pid=${process.pid} status=idle\n`, { mode: 0o600 });
    chmodSync(swap, 0o777);
    const run = await mosaic(["fleet", "ps", "-f", file, "-o", "json"], env("tmux", { MF_SWAP_DIR: swap }));
    expect(readFileSync(log, "utf8")).toContain("tmux");
    expect(existsSync(join(s.runDir, `${AGENTS[0]}.hb`)), "the swap did not happen").toBe(true);
    expect(run.code, run.stderr).toBe(0);
    const status = JSON.parse(run.stdout) as FleetStatus;
    for (const agent of status.agents) {
      expect(agent.heartbeat.state, agent.name).toBe("unknown");
      expect(conditionOf(agent, "Stale"), agent.name).toMatchObject({ status: "Unknown", reason: "HeartbeatUntrusted" });
    }
    // Put a private run dir back for the next test.
    rmSync(s.runDir, { recursive: true, force: true });
  });

  it("a run directory replaced by a symlink to a private directory of fresh heartbeats (end to end): untrusted, never healthy", async () => {
    const target = join(s.dir, "elsewhere");
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { mode: 0o700 });
    for (const name of AGENTS) writeFileSync(join(target, `${name}.hb`), `ts=${nowS()} pid=${process.pid} status=idle\n`, { mode: 0o600 });
    // Replace the run dir by the symlink before the run (the unit test covers the reader alone).
    rmSync(s.runDir, { recursive: true, force: true });
    symlinkSync(target, s.runDir);
    const run = await mosaic(["fleet", "ps", "-f", file, "-o", "json"], env());
    expect(run.code, run.stderr).toBe(0);
    const status = JSON.parse(run.stdout) as FleetStatus;
    for (const agent of status.agents) {
      expect(agent.heartbeat.state, agent.name).toBe("unknown");
      expect(conditionOf(agent, "Stale"), agent.name).toMatchObject({ status: "Unknown", reason: "HeartbeatUntrusted" });
    }
    rmSync(s.runDir, { force: true });
  });
});
