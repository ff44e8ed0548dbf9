// `mosaic demo [--down]` against a private systemd user manager and a private
// TMUX_TMPDIR: the demo starts its units (active, not enabled), shows canary-pi drifted
// and BootDisabled; running it twice joins the first (never replaces it), and a demo of
// another MOSAIC_DEMO_HOME does not take its unit files; --down removes every process,
// session, unit, unit file and file it created, and nothing else (an unrelated tmux
// session on another socket and an unrelated unit file survive).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import { startUserManager, type UserManager } from "../helpers/systemd.js";
import {
  agentOf,
  assertBuilt,
  cliEnv,
  driftedAgents,
  mosaic,
  pidAlive,
  pidsWithEnv,
  psJson,
  readHb,
  rowOf,
  tableIn,
  UID,
  waitUntil,
} from "./agent-support.js";
import { skipOutsideCi } from "../helpers/skip.js";

const DEMO_AGENTS = ["canary-pi", "dogfood-coder", "dogfood-orchestrator", "dogfood-reviewer"];
const DEMO_UNITS = ["mosaic-demo-holder.service", ...DEMO_AGENTS.map((a) => `mosaic-demo-agent@${a}.service`)];
const DEMO_UNIT_FILES = ["mosaic-demo-holder.service", "mosaic-demo-agent@.service"];
const UNRELATED_UNIT = "mosaic-agent@.service"; // an operator's real fleet template, next to the demo's

// Without XDG_RUNTIME_DIR the CLI would fall back to a real manager at /run/user/UID.
const realManager = [`/run/user/${UID}/systemd/private`, `/run/user/${UID}/bus`].find((p) => existsSync(p));

let tmux: TmuxServer;
let m: UserManager | null = null;
let base: string;
let demoHome: string;
let env: NodeJS.ProcessEnv;
let firstUp: { stdout: string; panePids: number[]; stubPids: number[] } | null = null;

interface DemoStateFile {
  sessions: string[];
  panePids: number[];
  units: string[];
  unitFiles: string[];
  mode: string;
}

function demoState(): DemoStateFile {
  return JSON.parse(readFileSync(join(demoHome, "demo-state.json"), "utf8")) as DemoStateFile;
}

function stubPids(): number[] {
  return DEMO_AGENTS.map((name) => readHb(join(demoHome, "fleet", "run", `${name}.hb`))?.pid ?? -1);
}

/** `tmux -L mosaic-demo …` in our private TMUX_TMPDIR (the demo's socket, created by the demo under test). */
function demoTmux(...args: string[]) {
  return execa("tmux", ["-L", "mosaic-demo", ...args], {
    env: tmux.childEnv(),
    extendEnv: false,
    reject: false,
    timeout: 5_000,
  });
}

async function listDemoUnits(): Promise<string> {
  const listed = await (m as UserManager).systemctl(
    "list-units",
    "--all",
    "--plain",
    "--no-legend",
    "--full",
    "mosaic-demo*",
  );
  return listed.stdout.trim();
}

beforeAll(async () => {
  assertBuilt();
  tmux = await startTmuxServer("demo-sd");
  // An unrelated session on another socket in the same TMUX_TMPDIR, named like a demo agent.
  await tmux.newSession("canary-pi", ["sleep", "600"]);
  base = mkdtempSync(join(tmpdir(), "mf-demo-sd-"));
  demoHome = join(base, "demo-home");
  // HOME: the units' login shells (the _holder pane) must not run root's own profile.
  m = await startUserManager({ env: { TMUX_TMPDIR: tmux.tmpdir, HOME: base } });
  if (!m) return;
  writeFileSync(
    join(m.unitDir, UNRELATED_UNIT),
    "[Unit]\nDescription=not the demo's\n\n[Service]\nType=oneshot\nExecStart=/bin/true\n",
  );
  await m.systemctl("daemon-reload");
  env = cliEnv({
    HOME: base,
    ...m.env,
    TMUX_TMPDIR: tmux.tmpdir,
    MOSAIC_DEMO_HOME: demoHome,
    NO_COLOR: "1",
  });
}, 60_000);

afterAll(async () => {
  if (m && existsSync(join(demoHome, "demo-state.json"))) await mosaic(["demo", "--down"], env, 60_000);
  await m?.stop();
  if (tmux) {
    // Only if a failed test left the demo's server (on our private TMUX_TMPDIR) running.
    await demoTmux("kill-server");
    await tmux.kill();
  }
  if (base) rmSync(base, { recursive: true, force: true });
}, 90_000);

describe("mosaic demo with a systemd user manager", () => {
  it("exits 0, starts its units active but disabled, and shows canary-pi with Drift and BootDisabled", async (ctx) => {
    if (!m) return skipOutsideCi(ctx, "no systemd user manager here");
    const run = await mosaic(["demo"], env, 90_000);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Started 5 systemd user units \(not enabled at boot/);
    expect(run.stdout).toContain(`MOSAIC_HOME=${demoHome}`);
    const table = tableIn(run.stdout);
    const canary = rowOf(table, "canary-pi");
    expect(canary["CONDITIONS"]).toMatch(/\bDrift\b/);
    expect(canary["CONDITIONS"]).toMatch(/\bBootDisabled\b/);
    expect(canary["RUNTIME"]).toMatch(/pi \(stub\)/);
    expect(canary["UNIT"]).toBe("active/disabled");
    for (const name of ["dogfood-coder", "dogfood-orchestrator", "dogfood-reviewer"]) {
      const row = rowOf(table, name);
      expect(row["CONDITIONS"], name).toMatch(/\bBootDisabled\b/);
      expect(row["CONDITIONS"], name).not.toMatch(/Drift|Stale|PaneDead|UnitDown/);
      expect(row["UNIT"]).toBe("active/disabled");
      expect(row["HEARTBEAT"]).toMatch(/^healthy/);
    }
    expect(run.stdout).toMatch(/systemctl --user enable mosaic-demo-agent@canary-pi\.service/);

    for (const unit of DEMO_UNITS) {
      expect(await m.show(unit, "ActiveState", "UnitFileState"), unit).toEqual({
        ActiveState: "active",
        UnitFileState: "disabled",
      });
    }
    const state = demoState();
    expect(state.mode).toBe("systemd");
    expect(state.unitFiles.sort()).toEqual(DEMO_UNIT_FILES.map((f) => join(m!.unitDir, f)).sort());
    firstUp = { stdout: run.stdout, panePids: state.panePids, stubPids: stubPids() };
    expect(firstUp.stubPids.every((pid) => pid > 0 && pidAlive(pid))).toBe(true);

    // The same verdict through the JSON a script would read.
    const { status } = await psJson({ ...env, MOSAIC_HOME: demoHome });
    const pi = agentOf(status, "canary-pi");
    expect(pi.conditions.find((c) => c.type === "Drift")).toMatchObject({ status: "True", reason: "RuntimeMismatch" });
    expect(pi.conditions.find((c) => c.type === "BootDisabled")).toMatchObject({
      status: "True",
      reason: "UnitNotEnabled",
    });

    // The two stubs that play agent state (MOSAIC_STUB_STATUS from the units' env files):
    // one waits for its operator, one works without output until NoProgress.
    const played = await waitUntil(async () => {
      const { status: now } = await psJson({ ...env, MOSAIC_HOME: demoHome });
      const reviewer = agentOf(now, "dogfood-reviewer").conditions.find((c) => c.type === "AwaitingInput");
      const orchestrator = agentOf(now, "dogfood-orchestrator").conditions.find((c) => c.type === "NoProgress");
      return reviewer?.status === "True" && orchestrator?.status === "True";
    }, 30_000);
    expect(played, "dogfood-reviewer AwaitingInput and dogfood-orchestrator NoProgress").toBe(true);
    expect(pi.runtime).toMatchObject({ desired: "pi", actual: "stub" });
    expect(pi.unit).toMatchObject({ active: "active", enabled: "disabled" });
  }, 120_000);

  it("only canary-pi drifts: the _holder (runtime shell, tmux's default login shell) does not", async (ctx) => {
    if (!m || !firstUp) return skipOutsideCi(ctx, "the demo did not come up");
    const drifted = await driftedAgents({ ...env, MOSAIC_HOME: demoHome });
    expect(
      drifted.map((line) => line.split(":")[0]),
      drifted.join("\n"),
    ).toEqual(["canary-pi"]);
  });

  it("running it again joins the first demo (same processes, units still active)", async (ctx) => {
    if (!m || !firstUp) return skipOutsideCi(ctx, "the demo did not come up");
    const run = await mosaic(["demo"], env, 90_000);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/already running/);
    expect(rowOf(tableIn(run.stdout), "canary-pi")["CONDITIONS"]).toMatch(/Drift/);
    for (const pid of [...firstUp.panePids, ...firstUp.stubPids])
      expect(pidAlive(pid), `demo pid ${pid} was replaced`).toBe(true);
    expect(stubPids()).toEqual(firstUp.stubPids);
    for (const unit of DEMO_UNITS) {
      expect(await m.show(unit, "ActiveState", "UnitFileState"), unit).toEqual({
        ActiveState: "active",
        UnitFileState: "disabled",
      });
    }
    const sessions = await demoTmux("list-sessions", "-F", "#{session_name}");
    expect(String(sessions.stdout).trim().split("\n").sort()).toEqual(["_holder", ...DEMO_AGENTS].sort());
  }, 120_000);

  it("a demo of another MOSAIC_DEMO_HOME (same name, another tmux dir) refuses the running demo's unit files", async (ctx) => {
    if (!m || !firstUp) return skipOutsideCi(ctx, "the demo did not come up");
    const otherTmux = await startTmuxServer("demo-sd-other", { start: false });
    const otherHome = join(base, "other-home");
    try {
      const before = readFileSync(join(m.unitDir, DEMO_UNIT_FILES[1] as string), "utf8");
      const run = await mosaic(
        ["demo"],
        { ...env, TMUX_TMPDIR: otherTmux.tmpdir, MOSAIC_DEMO_HOME: otherHome },
        60_000,
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/belongs to another mosaic demo \(MOSAIC_HOME=.*demo-home\).*--name/);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(readFileSync(join(m.unitDir, DEMO_UNIT_FILES[1] as string), "utf8")).toBe(before);
      expect(stubPids()).toEqual(firstUp.stubPids);
      for (const pid of firstUp.stubPids) expect(pidAlive(pid)).toBe(true);
      const down = await mosaic(
        ["demo", "--down"],
        { ...env, TMUX_TMPDIR: otherTmux.tmpdir, MOSAIC_DEMO_HOME: otherHome },
        60_000,
      );
      expect(down.code, down.stderr).toBe(0);
      for (const pid of firstUp.stubPids) expect(pidAlive(pid), "another demo's --down hit this one").toBe(true);
      expect(existsSync(otherHome)).toBe(false);
    } finally {
      await otherTmux.kill();
    }
  }, 120_000);

  it("--name b runs beside it with its own units; its --down removes only those", async (ctx) => {
    if (!m || !firstUp) return skipOutsideCi(ctx, "the demo did not come up");
    const up = await mosaic(["demo", "--name", "b"], env, 90_000);
    expect(up.code, up.stderr).toBe(0);
    const named = ["mosaic-demo-b-holder.service", ...DEMO_AGENTS.map((a) => `mosaic-demo-b-agent@${a}.service`)];
    for (const unit of [...named, ...DEMO_UNITS]) {
      expect((await m.show(unit, "ActiveState")).ActiveState, unit).toBe("active");
    }
    const down = await mosaic(["demo", "--down", "--name", "b"], env, 90_000);
    expect(down.code, down.stderr).toBe(0);
    for (const unit of named) expect((await m.show(unit, "ActiveState")).ActiveState, unit).not.toBe("active");
    for (const unit of DEMO_UNITS) expect((await m.show(unit, "ActiveState")).ActiveState, unit).toBe("active");
    for (const file of ["mosaic-demo-b-holder.service", "mosaic-demo-b-agent@.service"])
      expect(existsSync(join(m.unitDir, file)), file).toBe(false);
    for (const file of DEMO_UNIT_FILES) expect(existsSync(join(m.unitDir, file)), file).toBe(true);
    expect(stubPids()).toEqual(firstUp.stubPids);
  }, 180_000);

  it("--down removes every process, session, unit, unit file and file of the demo, and nothing else", async (ctx) => {
    if (!m || !firstUp) return skipOutsideCi(ctx, "the demo did not come up");
    const state = demoState();
    const stubs = stubPids();
    const serverPid = Number(String((await demoTmux("display-message", "-p", "#{pid}")).stdout).trim());
    expect(serverPid).toBeGreaterThan(0);
    expect(pidsWithEnv("MOSAIC_HOME", demoHome).length).toBeGreaterThan(0);

    const run = await mosaic(["demo", "--down"], env, 90_000);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Demo removed/);

    // Processes: panes, stubs, the demo's tmux server; and anything else carrying its MOSAIC_HOME.
    const everyPid = [...state.panePids, ...stubs, serverPid];
    expect(
      await waitUntil(() => everyPid.every((pid) => !pidAlive(pid)), 5_000),
      `alive: ${everyPid.filter(pidAlive).join(" ")}`,
    ).toBe(true);
    expect(pidsWithEnv("MOSAIC_HOME", demoHome)).toEqual([]);
    // Sessions: no server answers on the demo's socket.
    expect((await demoTmux("list-sessions")).exitCode).not.toBe(0);
    // Units: none loaded, none on disk.
    expect(await listDemoUnits()).toBe("");
    const files = await m.systemctl("list-unit-files", "--plain", "--no-legend", "mosaic-demo*");
    expect(files.stdout.trim()).toBe("");
    for (const file of DEMO_UNIT_FILES) expect(existsSync(join(m.unitDir, file)), file).toBe(false);
    // Files: MOSAIC_DEMO_HOME is gone entirely.
    expect(existsSync(demoHome)).toBe(false);
    expect(readdirSync(base)).not.toContain("demo-home");

    // …and nothing else: the unrelated session and unit file survive.
    expect((await tmux.tmux("has-session", "-t", "=canary-pi")).ok).toBe(true);
    expect(existsSync(join(m.unitDir, UNRELATED_UNIT))).toBe(true);
  }, 120_000);

  it("--down from a shell that cannot reach the demo's user manager does not claim its units are gone while leaving them", async (ctx) => {
    if (!m) return skipOutsideCi(ctx, "no systemd user manager here");
    if (realManager !== undefined)
      return skipOutsideCi(ctx, `a real user manager answers at ${realManager}; not talking to it`);
    const up = await mosaic(["demo"], env, 90_000);
    expect(up.code, up.stderr).toBe(0);
    // Same demo, same TMUX_TMPDIR, but no XDG_RUNTIME_DIR / XDG_CONFIG_HOME (e.g. a `sudo -i` or cron shell).
    const noManager = cliEnv({ HOME: base, TMUX_TMPDIR: tmux.tmpdir, MOSAIC_DEMO_HOME: demoHome, NO_COLOR: "1" });
    const run = await mosaic(["demo", "--down"], noManager, 60_000);
    const outcome = {
      exit: run.code,
      claimsRemoved: /Demo removed/.test(run.stdout),
      unitsStillLoaded: (await listDemoUnits())
        .split("\n")
        .filter(Boolean)
        .map((line) => line.split(/\s+/).slice(0, 4).join(" ")),
      unitFilesStillThere: DEMO_UNIT_FILES.filter((file) => existsSync(join(m!.unitDir, file))),
      recordKept: existsSync(join(demoHome, "demo-state.json")),
    };
    const leftBehind = outcome.unitsStillLoaded.length > 0 || outcome.unitFilesStillThere.length > 0;
    // Either it removed everything, or it says it could not and keeps the record for a later --down.
    if (leftBehind) {
      expect(outcome, JSON.stringify(outcome)).toMatchObject({ claimsRemoved: false, recordKept: true });
      expect(outcome.exit).not.toBe(0);
    }
    // With the manager reachable again, --down finishes the job.
    if (existsSync(join(demoHome, "demo-state.json")))
      expect((await mosaic(["demo", "--down"], env, 60_000)).code).toBe(0);
  }, 120_000);

  it("--down with nothing up: exit 0, 'No demo to remove'", async (ctx) => {
    if (!m) return skipOutsideCi(ctx, "no systemd user manager here");
    const run = await mosaic(["demo", "--down"], env, 30_000);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/No demo to remove/);
    expect(existsSync(demoHome)).toBe(false);
    expect((await tmux.tmux("has-session", "-t", "=canary-pi")).ok).toBe(true);
  });
});
