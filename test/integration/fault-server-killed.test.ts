// Fault injection (docs/threat-model.md "Sockets, tenants, systemd": no tmux server → Unknown
// TmuxUnavailable, never a crash): the fleet's tmux server dies in the middle of an
// observation. A `tmux` wrapper first on PATH (test/fixtures/fault/tmux-kills-server)
// kills the test's own private server either just before mosaic's tmux call reaches it
// (the client meets a dead socket) or just after tmux answered (mosaic then reads /proc
// for panes whose processes are being hung up). Either way: exit 0, a complete row per
// agent, and the pane reported missing/dead/unknown — never a crash or a stack trace.

import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import type { FleetStatus } from "../../src/diff/types.js";
import {
  CONDITION_TYPES,
  ROOT,
  agentOf,
  cliEnv,
  conditionOf,
  localDefaults,
  mosaic,
  nowS,
  parseTable,
  scratch,
  waitUntil,
  type Scratch,
} from "./fleet-support.js";

const FAULT = join(ROOT, "test", "fixtures", "fault");
const REAL_TMUX = execFileSync("sh", ["-c", "command -v tmux"], { encoding: "utf8" }).trim();
const AGENTS = ["kill-a", "kill-b", "kill-c"];

let s: Scratch;
let wrapperDir = "";
let noManager = "";
const servers: TmuxServer[] = [];

beforeAll(() => {
  s = scratch("mf-fault-kill-");
  noManager = join(s.dir, "no-manager");
  mkdirSync(noManager, { mode: 0o700 });
  wrapperDir = mkdtempSync(join(tmpdir(), "mf-fault-killwrap-"));
  chmodSync(join(FAULT, "tmux-kills-server"), 0o755);
  symlinkSync(join(FAULT, "tmux-kills-server"), join(wrapperDir, "tmux"));
});

afterEach(async () => {
  while (servers.length > 0) await servers.pop()?.kill();
});

afterAll(async () => {
  while (servers.length > 0) await servers.pop()?.kill();
  rmSync(wrapperDir, { recursive: true, force: true });
  s?.cleanup();
});

/** A private server holding the three agents' sessions, and a roster naming them. */
async function fleetUp(label: string): Promise<{ server: TmuxServer; file: string }> {
  const server = await startTmuxServer(label);
  servers.push(server);
  for (const name of AGENTS) await server.newSession(name, ["sleep", "600"]);
  const file = s.roster(`${label}.yaml`, {
    version: 1,
    defaults: localDefaults(server.socket),
    runtimes: { sleeper: { match: ["sleep"] } },
    agents: AGENTS.map((name, i) =>
      i === 2 ? { name, runtime: "sleeper", heartbeat: false } : { name, runtime: "sleeper" },
    ),
  });
  return { server, file };
}

function env(server: TmuxServer, when: "before" | "after", log: string): NodeJS.ProcessEnv {
  return cliEnv({
    TMUX_TMPDIR: server.tmpdir,
    MOSAIC_HOME: s.home,
    HOME: s.dir,
    XDG_RUNTIME_DIR: noManager,
    PATH: `${wrapperDir}:${process.env["PATH"] ?? "/usr/bin:/bin"}`,
    MF_REAL_TMUX: REAL_TMUX,
    MF_KILL_SOCKET: server.socketPath,
    MF_KILL_WHEN: when,
    MF_FAKE_LOG: log,
  });
}

/** Every agent present once, with every condition type once: a complete row, whatever happened. */
function expectCompleteRows(status: FleetStatus): void {
  expect(status.agents.map((a) => a.name)).toEqual(AGENTS);
  for (const agent of status.agents) {
    expect(agent.conditions.map((c) => c.type).sort()).toEqual([...CONDITION_TYPES].sort());
    for (const c of agent.conditions) expect(c.message.length, `${agent.name} ${c.type}`).toBeGreaterThan(0);
  }
}

describe("the tmux server is killed during an observation", () => {
  it("killed just before mosaic's tmux call: exit 0, every agent PaneDead Unknown TmuxUnavailable, heartbeats still judged", async () => {
    const { server, file } = await fleetUp("fault-kill-before");
    const log = join(s.dir, "before.log");
    writeFileSync(log, "");
    s.heartbeat("kill-a", `ts=${nowS()} pid=${process.pid} status=idle`);
    const run = await mosaic(["fleet", "ps", "-f", file, "-o", "json"], env(server, "before", log));
    expect(readFileSync(log, "utf8"), "the wrapper was not the tmux called").toMatch(/list-panes/);
    expect(await waitUntil(async () => (await server.serverPid()) === null, 5_000), "the server is still running").toBe(
      true,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    const status = JSON.parse(run.stdout) as FleetStatus;
    expectCompleteRows(status);
    for (const agent of status.agents) {
      expect(conditionOf(agent, "PaneDead"), agent.name).toMatchObject({
        status: "Unknown",
        reason: "TmuxUnavailable",
      });
      expect(agent.pane.state).toBe("unknown");
    }
    expect(agentOf(status, "kill-a").heartbeat.state).toBe("healthy");
    expect(conditionOf(agentOf(status, "kill-b"), "Stale")).toMatchObject({ status: "Unknown", reason: "NoHeartbeat" });
  });

  it("killed just before, table output: exit 0, PANE unknown on every row, TmuxUnavailable in the footer, no stack trace", async () => {
    const { server, file } = await fleetUp("fault-kill-table");
    const log = join(s.dir, "table.log");
    writeFileSync(log, "");
    const run = await mosaic(["fleet", "ps", "-f", file], env(server, "before", log));
    expect(readFileSync(log, "utf8")).toMatch(/list-panes/);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(parseTable(run.stdout).rows.map((r) => [r["NAME"], r["PANE"]])).toEqual(
      AGENTS.map((name) => [name, "unknown"]),
    );
    expect(run.stdout).toMatch(/TmuxUnavailable/);
  });

  it("killed just after tmux answered: exit 0, complete rows, no pane reported with a process that is gone", async () => {
    const { server, file } = await fleetUp("fault-kill-after");
    const panePids = new Map<string, number>();
    for (const name of AGENTS) panePids.set(name, await server.panePid(name));
    const log = join(s.dir, "after.log");
    writeFileSync(log, "");
    const run = await mosaic(["fleet", "ps", "-f", file, "-o", "json"], env(server, "after", log));
    expect(readFileSync(log, "utf8")).toMatch(/list-panes/);
    expect(await waitUntil(async () => (await server.serverPid()) === null, 5_000), "the server is still running").toBe(
      true,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    const status = JSON.parse(run.stdout) as FleetStatus;
    expectCompleteRows(status);
    for (const agent of status.agents) {
      const paneDead = conditionOf(agent, "PaneDead");
      // tmux listed the pane; its process may be mid-hangup when /proc is read: alive (the
      // process was still there), dead (ProcessExited) — never a crash, never a made-up pid.
      expect(["alive", "dead", "missing", "unknown"]).toContain(agent.pane.state);
      if (agent.pane.state === "alive") {
        expect(paneDead).toMatchObject({ status: "False" });
        expect(agent.pane.pid).toBe(panePids.get(agent.name));
      } else {
        expect(paneDead.status).not.toBe("False");
      }
    }
    // The next observation meets no server: Unknown TmuxUnavailable (or an empty-server PaneMissing).
    const after = await mosaic(
      ["fleet", "ps", "-f", file, "-o", "json"],
      cliEnv({ TMUX_TMPDIR: server.tmpdir, MOSAIC_HOME: s.home, HOME: s.dir, XDG_RUNTIME_DIR: noManager }),
    );
    expect(after.code, after.stderr).toBe(0);
    for (const agent of (JSON.parse(after.stdout) as FleetStatus).agents) {
      expect(["TmuxUnavailable", "PaneMissing"]).toContain(conditionOf(agent, "PaneDead").reason);
      expect(conditionOf(agent, "PaneDead").status).not.toBe("False");
    }
  });

  it("fleet diff and fleet report with the server killed just before: exit 1 (never compliant), no stack trace", async () => {
    const { server, file } = await fleetUp("fault-kill-diff");
    const log = join(s.dir, "diff.log");
    writeFileSync(log, "");
    const diff = await mosaic(["fleet", "diff", "-f", file], env(server, "before", log));
    expect(diff.code, diff.stderr).toBe(1);
    expect(diff.stderr).not.toMatch(/^\s+at /m);
    const { server: server2, file: file2 } = await fleetUp("fault-kill-report");
    const report = await mosaic(["fleet", "report", "-f", file2, "--format", "json"], env(server2, "before", log));
    expect(report.code, report.stderr).toBe(1);
    expect(report.stderr).not.toMatch(/^\s+at /m);
    expect(report.stdout).not.toMatch(/"COMPLIANT"/);
  });

  it("agent send to a fleet whose server is killed just before: a clear one-line error, exit 3 (pane gone), no stack trace", async () => {
    const { server, file } = await fleetUp("fault-kill-send");
    const log = join(s.dir, "send.log");
    writeFileSync(log, "");
    const run = await mosaic(["agent", "send", "-f", file, "kill-a", "hello"], env(server, "before", log));
    expect(readFileSync(log, "utf8"), "the wrapper was not the tmux called").not.toBe("");
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.stderr.trim().split("\n"), run.stderr).toHaveLength(1);
    expect(run.code, run.stderr).toBe(3);
  });
});
