// Fault injection (docs/threat-model.md "Sockets, tenants, systemd": a tool that hangs → bounded
// by a timeout; the rest of the row is still shown). test/integration/fleet-conditions.test.ts
// covers a hanging tmux/systemctl that stays in its own process group (one process, and a
// wrapper whose child holds stdout). This file covers the shape that escapes a process-group
// kill: the tool's child starts a new session (setsid) and keeps the tool's stdout open,
// with the tool itself either hanging too or exiting 0 at once. The timeout must still
// bound `fleet ps` (MOSAIC_TIMEOUT_MS=500 → done within a few seconds), and the row must
// still show what the other sources saw.
//
// Real tmux (a private server), no systemd user manager needed: systemctl is reached
// through an empty XDG_RUNTIME_DIR, so a hanging fake systemctl is the one called.

import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { pidAlive, startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import type { FleetStatus } from "../../src/diff/types.js";
import {
  ROOT,
  agentOf,
  argvOf,
  cliEnv,
  conditionOf,
  localDefaults,
  mosaic,
  nowS,
  parseTable,
  scratch,
  type Scratch,
} from "./fleet-support.js";

const FAULT = join(ROOT, "test", "fixtures", "fault");
/**
 * The CLI is killed after this long, so an unbounded hang fails an assertion instead of
 * the test timing out. The fake tool hangs for 600 s, so a run that ends by itself
 * (not killed) while the tool still hangs was bounded by MOSAIC_TIMEOUT_MS=500 — a
 * fact about the code, not about how loaded the machine is (no wall-clock bound).
 */
const KILL_AFTER_MS = 60_000;

let tmux: TmuxServer;
let s: Scratch;
let noManager = "";
let file = "";
let pidsFile = "";
const dirs: string[] = [];

beforeAll(async () => {
  s = scratch("mf-fault-hang-");
  noManager = join(s.dir, "no-manager");
  mkdirSync(noManager, { mode: 0o700 });
  pidsFile = join(s.dir, "fake-pids");
  writeFileSync(pidsFile, "");
  tmux = await startTmuxServer("fault-hang");
  await tmux.newSession("hang-a", ["sleep", "600"]);
  await tmux.newSession("hang-b", ["sleep", "600"]);
  file = s.roster("hang.yaml", {
    version: 1,
    defaults: localDefaults(tmux.socket),
    runtimes: { sleeper: { match: ["sleep"] } },
    agents: [
      { name: "hang-a", runtime: "sleeper" },
      { name: "hang-b", runtime: "sleeper", heartbeat: false },
    ],
  });
});

/** Kill what the fixture started (recorded pids that are still its `sleep 600`), nothing else. */
function reapFixtures(): void {
  if (!existsSync(pidsFile)) return;
  for (const pid of readFileSync(pidsFile, "utf8").split(/\s+/).filter(Boolean).map(Number)) {
    const argv = argvOf(pid);
    if (pidAlive(pid) && argv[0] === "sleep" && argv[1] === "600") {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
  }
  writeFileSync(pidsFile, "");
}

afterEach(() => reapFixtures());

afterAll(async () => {
  reapFixtures();
  await tmux?.kill();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  s?.cleanup();
});

/** A PATH whose first directory holds `tool` → test/fixtures/fault/hang-detached. */
function pathWithHanging(tool: "tmux" | "systemctl"): string {
  const dir = mkdtempSync(join(tmpdir(), `mf-fault-hang-${tool}-`));
  dirs.push(dir);
  chmodSync(join(FAULT, "hang-detached"), 0o755);
  symlinkSync(join(FAULT, "hang-detached"), join(dir, tool));
  return `${dir}:${process.env["PATH"] ?? "/usr/bin:/bin"}`;
}

/** fleet ps has returned, and the fake tool's detached child still hangs: mosaic did not wait for it. */
function expectReturnedWhileHanging(): void {
  const pids = readFileSync(pidsFile, "utf8").split(/\s+/).filter(Boolean).map(Number);
  const hanging = pids.filter((pid) => pidAlive(pid) && argvOf(pid)[1] === "600");
  expect(hanging.length, "the fake tool's hang ended before fleet ps did").toBeGreaterThan(0);
}

function env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return cliEnv({
    TMUX_TMPDIR: tmux.tmpdir,
    MOSAIC_HOME: s.home,
    HOME: s.dir,
    XDG_RUNTIME_DIR: noManager,
    MOSAIC_TIMEOUT_MS: "500",
    MF_FAKE_PIDS: pidsFile,
    ...extra,
  });
}

const shapes = [
  { shape: "exits 0 at once, its setsid child holding stdout", vars: { MF_HANG_PARENT: undefined } },
  { shape: "hangs, its setsid child holding stdout", vars: { MF_HANG_PARENT: "1" } },
] as const;

describe("a tool whose child leaves its process group and holds stdout open", () => {
  for (const { shape, vars } of shapes) {
    const hangs = vars.MF_HANG_PARENT === "1";
    it(`a tmux that ${shape}: fleet ps exits 0 within seconds, no live pane claimed${hangs ? " (TmuxTimeout Unknown)" : ""}, heartbeat still shown`, async () => {
      s.heartbeat("hang-a", `ts=${nowS()} pid=${process.pid} status=idle`);
      const run = await mosaic(
        ["fleet", "ps", "-f", file, "-o", "json"],
        env({ PATH: pathWithHanging("tmux"), ...vars }),
        KILL_AFTER_MS,
      );
      expect(readFileSync(pidsFile, "utf8").trim(), "the fake tmux was not called").not.toBe("");
      expect(run.timedOut, `fleet ps still running after ${KILL_AFTER_MS} ms with MOSAIC_TIMEOUT_MS=500`).toBe(false);
      expect(run.code, run.stderr).toBe(0);
      expectReturnedWhileHanging();
      const status = JSON.parse(run.stdout) as FleetStatus;
      for (const agent of status.agents) {
        if (hangs) {
          expect(conditionOf(agent, "PaneDead"), agent.name).toMatchObject({
            status: "Unknown",
            reason: "TmuxTimeout",
          });
          expect(agent.pane.state).toBe("unknown");
        } else {
          // The tool exited 0 having said nothing: whatever mosaic makes of that, never a live pane.
          expect(agent.pane.state, agent.name).not.toBe("alive");
          expect(conditionOf(agent, "PaneDead").status, agent.name).not.toBe("False");
        }
      }
      // The rest of the row: the heartbeat was read and judged.
      expect(agentOf(status, "hang-a").heartbeat).toMatchObject({ state: "healthy", pid: process.pid });
      expect(conditionOf(agentOf(status, "hang-a"), "Stale")).toMatchObject({
        status: "False",
        reason: "HeartbeatFresh",
      });
    }, 90_000);

    it(`a systemctl that ${shape}: fleet ps exits 0 within seconds, no active unit claimed${hangs ? " (SystemdTimeout Unknown)" : ""}, tmux columns still filled`, async () => {
      const run = await mosaic(
        ["fleet", "ps", "-f", file, "-o", "json"],
        env({ PATH: pathWithHanging("systemctl"), ...vars }),
        KILL_AFTER_MS,
      );
      expect(readFileSync(pidsFile, "utf8").trim(), "the fake systemctl was not called").not.toBe("");
      expect(run.timedOut, `fleet ps still running after ${KILL_AFTER_MS} ms with MOSAIC_TIMEOUT_MS=500`).toBe(false);
      expect(run.code, run.stderr).toBe(0);
      expectReturnedWhileHanging();
      const status = JSON.parse(run.stdout) as FleetStatus;
      for (const agent of status.agents) {
        if (hangs) {
          expect(conditionOf(agent, "UnitDown"), agent.name).toMatchObject({
            status: "Unknown",
            reason: "SystemdTimeout",
          });
          expect(conditionOf(agent, "BootDisabled"), agent.name).toMatchObject({
            status: "Unknown",
            reason: "SystemdTimeout",
          });
          expect(agent.unit).toMatchObject({ active: "unknown", enabled: "unknown" });
        } else {
          // The tool exited 0 having said nothing: whatever mosaic makes of that, never an active unit.
          expect(agent.unit.active, agent.name).not.toBe("active");
          expect(conditionOf(agent, "UnitDown").status, agent.name).not.toBe("False");
        }
        expect(agent.pane).toMatchObject({ state: "alive", pid: await tmux.panePid(agent.name) });
        expect(conditionOf(agent, "PaneDead")).toMatchObject({ status: "False" });
      }
    }, 90_000);
  }

  it("the table view is bounded too, and still shows the pane columns (systemctl exits at once, its setsid child holding stdout)", async () => {
    const run = await mosaic(["fleet", "ps", "-f", file], env({ PATH: pathWithHanging("systemctl") }), KILL_AFTER_MS);
    expect(run.timedOut).toBe(false);
    expect(run.code, run.stderr).toBe(0);
    expectReturnedWhileHanging();
    const rows = parseTable(run.stdout).rows;
    expect(rows.map((r) => [r["NAME"], r["PANE"]])).toEqual([
      ["hang-a", "alive"],
      ["hang-b", "alive"],
    ]);
    for (const row of rows) expect(row["UNIT"], row["NAME"]).not.toMatch(/^active\//);
  }, 90_000);
});
