// `mosaic demo [--down]` where no systemd user manager is reachable (no XDG_RUNTIME_DIR
// and no /run/user/UID manager): tmux-only mode. It must still exit 0, say why the unit
// columns are unknown, show canary-pi's Drift, and --down must clean up exactly what it
// made. Also: --down with nothing up, a second `demo` joining the running one (never
// replacing it), two `demo` at once, a dead demo's remains cleared, a demo socket
// already taken by someone else's server, and two demos side by side (--name).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import {
  BIN,
  assertBuilt,
  cliEnv,
  driftedAgents,
  mosaic,
  pidAlive,
  pidsWithEnv,
  readHb,
  rowOf,
  tableIn,
  UID,
  waitUntil,
} from "./agent-support.js";

const DEMO_AGENTS = ["canary-pi", "dogfood-coder", "dogfood-orchestrator", "dogfood-reviewer"];

// Without XDG_RUNTIME_DIR the CLI falls back to /run/user/UID: if a real manager lives
// there, this file would talk to a manager it did not create, so it refuses to run.
const realManager = [`/run/user/${UID}/systemd/private`, `/run/user/${UID}/bus`].find((p) => existsSync(p));

if (realManager !== undefined) {
  process.stderr.write(
    `\n!! SKIPPING the tmux-only demo tests: a real user manager answers at ${realManager}, and these tests never talk to a manager they did not create.\n\n`,
  );
}

let tmux: TmuxServer;
let base: string;
let demoHome: string;
let env: NodeJS.ProcessEnv;
let first: { panePids: number[]; stubPids: number[] } | null = null;

function demoTmux(tmpdirPath: string, ...args: string[]) {
  return execa("tmux", ["-f", "/dev/null", "-L", "mosaic-demo", ...args], {
    env: cliEnv({ TMUX_TMPDIR: tmpdirPath }),
    extendEnv: false,
    reject: false,
    timeout: 5_000,
  });
}

function stubPids(): number[] {
  return DEMO_AGENTS.map((name) => readHb(join(demoHome, "fleet", "run", `${name}.hb`))?.pid ?? -1);
}

beforeAll(async () => {
  assertBuilt();
  tmux = await startTmuxServer("demo-tmux");
  await tmux.newSession("dogfood-coder", ["sleep", "600"]); // unrelated, named like a demo agent, on another socket
  base = mkdtempSync(join(tmpdir(), "mf-demo-tmux-"));
  demoHome = join(base, "demo-home");
  env = cliEnv({
    HOME: base,
    TMUX_TMPDIR: tmux.tmpdir,
    MOSAIC_DEMO_HOME: demoHome,
    NO_COLOR: "1",
    XDG_CACHE_HOME: join(base, "cache"),
  });
  expect(env["XDG_RUNTIME_DIR"]).toBeUndefined();
}, 60_000);

afterAll(async () => {
  if (existsSync(join(demoHome, "demo-state.json"))) await mosaic(["demo", "--down"], env, 60_000);
  if (tmux) {
    await demoTmux(tmux.tmpdir, "kill-server"); // only a server our own demo runs left on our private TMUX_TMPDIR
    await tmux.kill();
  }
  if (base) rmSync(base, { recursive: true, force: true });
}, 90_000);

describe.skipIf(realManager !== undefined)("mosaic demo, tmux only (no systemd user manager)", () => {
  it("--down with nothing up: exit 0, 'No demo to remove', creates nothing", async () => {
    const run = await mosaic(["demo", "--down"], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/No demo to remove/);
    expect(run.stderr).toBe("");
    expect(existsSync(demoHome)).toBe(false);
  });

  it("exits 0, says why the unit columns are unknown, and shows canary-pi's Drift", async () => {
    const run = await mosaic(["demo"], env, 60_000);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/tmux only/);
    expect(run.stdout).toMatch(/no systemd user manager is reachable/);
    expect(run.stdout).toMatch(/unit columns will read unknown/);
    const table = tableIn(run.stdout);
    const canary = rowOf(table, "canary-pi");
    expect(canary["CONDITIONS"]).toMatch(/\bDrift\b/);
    expect(canary["UNIT"]).toBe("unknown/unknown");
    for (const name of ["dogfood-coder", "dogfood-orchestrator", "dogfood-reviewer"]) {
      const row = rowOf(table, name);
      expect(row["HEARTBEAT"], name).toMatch(/^healthy/);
      expect(row["CONDITIONS"], name).not.toMatch(/Drift|Stale|PaneDead/);
      expect(row["RUNTIME"]).toBe("stub");
    }
    expect(rowOf(table, "worker-1")["PANE"]).toBe("missing"); // ephemeral, not started
    const state = JSON.parse(readFileSync(join(demoHome, "demo-state.json"), "utf8")) as {
      mode: string;
      panePids: number[];
      units: string[];
    };
    expect(state.mode).toBe("tmux");
    expect(state.units).toEqual([]);
    first = { panePids: state.panePids, stubPids: stubPids() };
    expect(first.stubPids.every((pid) => pid > 0 && pidAlive(pid))).toBe(true);
  }, 90_000);

  it("only canary-pi drifts: the _holder session (runtime shell, tmux's default login shell) does not", async () => {
    if (!first) return;
    const drifted = await driftedAgents({ ...env, MOSAIC_HOME: demoHome });
    expect(
      drifted.map((line) => line.split(":")[0]),
      drifted.join("\n"),
    ).toEqual(["canary-pi"]);
  });

  it("running it again (twice at once, from two shells) joins the running demo: same processes, no warning needed", async () => {
    if (!first) return;
    const [a, b] = await Promise.all([mosaic(["demo"], env, 60_000), mosaic(["demo"], env, 60_000)]);
    for (const run of [a, b]) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/already running.*showing it, not starting another/);
      expect(rowOf(tableIn(run.stdout), "canary-pi")["CONDITIONS"]).toMatch(/Drift/);
    }
    for (const pid of [...first.panePids, ...first.stubPids])
      expect(pidAlive(pid), `demo pid ${pid} replaced`).toBe(true);
    expect(stubPids()).toEqual(first.stubPids);
    const sessions = await demoTmux(tmux.tmpdir, "list-sessions", "-F", "#{session_name}");
    expect(String(sessions.stdout).trim().split("\n").sort()).toEqual(["_holder", ...DEMO_AGENTS].sort());
  }, 90_000);

  it("a second demo beside it (--name second): own socket, MOSAIC_HOME and processes; each --down removes only its own", async () => {
    if (!first) return;
    const secondHome = `${demoHome}-second`;
    const up = await mosaic(["demo", "--name", "second"], env, 60_000);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain(`tmux socket "mosaic-demo-second" with MOSAIC_HOME=${secondHome}`);
    expect(up.stdout).not.toMatch(/already running/);
    expect(rowOf(tableIn(up.stdout), "canary-pi")["CONDITIONS"]).toMatch(/Drift/);
    const secondTmux = (...args: string[]) =>
      execa("tmux", ["-f", "/dev/null", "-L", "mosaic-demo-second", ...args], {
        env: cliEnv({ TMUX_TMPDIR: tmux.tmpdir }),
        extendEnv: false,
        reject: false,
        timeout: 5_000,
      });
    const secondSessions = await secondTmux("list-sessions", "-F", "#{session_name}");
    expect(String(secondSessions.stdout).trim().split("\n").sort()).toEqual(["_holder", ...DEMO_AGENTS].sort());
    const secondStubs = DEMO_AGENTS.map((name) => readHb(join(secondHome, "fleet", "run", `${name}.hb`))?.pid ?? -1);
    expect(secondStubs.every((pid) => pid > 0 && pidAlive(pid))).toBe(true);
    // The first demo is untouched, and `fleet ps` in each home sees only its own fleet.
    expect(stubPids()).toEqual(first?.stubPids);
    const ps = await mosaic(["fleet", "ps", "-o", "json"], { ...env, MOSAIC_HOME: secondHome });
    expect((JSON.parse(ps.stdout) as { fleet: string }).fleet).toBe("mosaic-demo-second");

    // The default demo's --down leaves the named one running…
    const downFirst = await mosaic(["demo", "--down"], env, 60_000);
    expect(downFirst.code, downFirst.stderr).toBe(0);
    expect(await waitUntil(() => first!.stubPids.every((pid) => !pidAlive(pid)), 5_000)).toBe(true);
    expect(
      secondStubs.every((pid) => pidAlive(pid)),
      "the default demo's --down hit the named one",
    ).toBe(true);
    expect((await secondTmux("has-session", "-t", "=_holder")).exitCode).toBe(0);
    // …and the named one's --down removes only it.
    const downSecond = await mosaic(["demo", "--down", "--name", "second"], env, 60_000);
    expect(downSecond.code, downSecond.stderr).toBe(0);
    expect(await waitUntil(() => secondStubs.every((pid) => !pidAlive(pid)), 5_000)).toBe(true);
    expect((await secondTmux("list-sessions")).exitCode).not.toBe(0);
    expect(existsSync(secondHome)).toBe(false);
    expect(pidsWithEnv("MOSAIC_HOME", secondHome)).toEqual([]);

    // Bring the default demo back for the tests below.
    const again = await mosaic(["demo"], env, 60_000);
    expect(again.code, again.stderr).toBe(0);
  }, 180_000);

  it("a demo whose processes are gone is not joined: its remains are cleared and it starts afresh", async () => {
    if (!first) return;
    const before = stubPids();
    // Our own demo's server, on our private TMUX_TMPDIR: it dies with everything in it.
    await demoTmux(tmux.tmpdir, "kill-server");
    expect(await waitUntil(() => before.every((pid) => !pidAlive(pid)), 5_000)).toBe(true);
    const run = await mosaic(["demo"], env, 60_000);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/no longer running: removing what is left of it first/);
    expect(run.stdout).not.toMatch(/already running/);
    expect(stubPids().every((pid) => pid > 0 && pidAlive(pid))).toBe(true);
  }, 90_000);

  it("a `mosaic demo` killed (SIGKILL) half-way blocks nothing: the next one clears what it left and comes up", async () => {
    if (!first) return;
    expect((await mosaic(["demo", "--down"], env, 60_000)).code).toBe(0);
    const stateFile = join(demoHome, "demo-state.json");
    const child = execa(process.execPath, [BIN, "demo"], { env, extendEnv: false, reject: false, timeout: 60_000 });
    const halfway = await waitUntil(
      () => {
        try {
          const state = JSON.parse(readFileSync(stateFile, "utf8")) as { sessions: string[]; complete?: boolean };
          return state.complete === false && state.sessions.length >= 2;
        } catch {
          return false;
        }
      },
      30_000,
      5,
    );
    child.kill("SIGKILL");
    await child;
    expect(halfway, "never saw the demo half-started").toBe(true);
    // The lock died with its holder (flock), and the record says what to clear.
    const run = await mosaic(["demo"], env, 60_000);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/never finished starting: removing what is left of it first/);
    expect(stubPids().every((pid) => pid > 0 && pidAlive(pid))).toBe(true);
    const sessions = await demoTmux(tmux.tmpdir, "list-sessions", "-F", "#{session_name}");
    expect(String(sessions.stdout).trim().split("\n").sort()).toEqual(["_holder", ...DEMO_AGENTS].sort());
  }, 120_000);

  for (const bad of ["Upper", "-x", "a b", "x".repeat(17), "../up"]) {
    it(`--name ${JSON.stringify(bad)}: exit 2, one line, nothing created`, async () => {
      const run = await mosaic(["demo", "--name", bad], env);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(run.stdout).toBe("");
    });
  }

  it("--down removes its sessions, processes and files, and leaves the unrelated session alone", async () => {
    if (!first) return;
    const state = JSON.parse(readFileSync(join(demoHome, "demo-state.json"), "utf8")) as { panePids: number[] };
    const stubs = stubPids();
    const serverPid = Number(String((await demoTmux(tmux.tmpdir, "display-message", "-p", "#{pid}")).stdout).trim());
    expect(serverPid).toBeGreaterThan(0);

    // `fleet ps` inside the demo cached the demo roster's fleet: that entry goes too.
    const cached = () =>
      existsSync(join(base, "cache", "mosaic"))
        ? readdirSync(join(base, "cache", "mosaic")).filter((f) => f.startsWith("roster-"))
        : [];
    expect(cached()).toHaveLength(1);

    const run = await mosaic(["demo", "--down"], env, 60_000);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Demo removed/);
    expect(cached(), "the demo roster's cache entry was left behind").toEqual([]);
    const everyPid = [...state.panePids, ...stubs, serverPid];
    expect(
      await waitUntil(() => everyPid.every((pid) => !pidAlive(pid)), 5_000),
      `alive: ${everyPid.filter(pidAlive).join(" ")}`,
    ).toBe(true);
    expect(pidsWithEnv("MOSAIC_HOME", demoHome)).toEqual([]);
    expect(pidsWithEnv("MOSAIC_DEMO_HOME", demoHome)).toEqual([]);
    expect((await demoTmux(tmux.tmpdir, "list-sessions")).exitCode).not.toBe(0);
    expect(existsSync(demoHome)).toBe(false);
    expect((await tmux.tmux("has-session", "-t", "=dogfood-coder")).ok).toBe(true);

    const again = await mosaic(["demo", "--down"], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/No demo to remove/);
  }, 90_000);

  it("--down removes only the demo's own files from a MOSAIC_DEMO_HOME that holds something else", async () => {
    const shared = join(base, "shared-home");
    const sharedEnv = { ...env, MOSAIC_DEMO_HOME: shared };
    mkdirSync(join(shared, "fleet", "run"), { recursive: true, mode: 0o700 });
    writeFileSync(join(shared, "notes.txt"), "mine\n");
    writeFileSync(join(shared, "fleet", "run", "other-agent.hb"), "ts=1 pid=1 status=idle\n", { mode: 0o600 });
    const up = await mosaic(["demo"], sharedEnv, 60_000);
    expect(up.code, up.stderr).toBe(0);
    const down = await mosaic(["demo", "--down"], sharedEnv, 60_000);
    expect(down.code, down.stderr).toBe(0);
    expect(readFileSync(join(shared, "notes.txt"), "utf8")).toBe("mine\n");
    expect(readdirSync(join(shared, "fleet", "run"))).toEqual(["other-agent.hb"]);
    expect(readdirSync(shared).sort()).toEqual(["fleet", "notes.txt"]);
    expect(readdirSync(join(shared, "fleet"))).toEqual(["run"]);
    expect((await demoTmux(tmux.tmpdir, "list-sessions")).exitCode).not.toBe(0);
  }, 90_000);

  it("refuses to take over a demo socket someone else's server is using, and leaves it running", async () => {
    const foreign = mkdtempSync(join(tmpdir(), "mf-demo-foreign-"));
    try {
      const made = await demoTmux(foreign, "new-session", "-d", "-s", "mine", "sleep", "600");
      expect(made.exitCode, String(made.stderr)).toBe(0);
      const foreignEnv = { ...env, TMUX_TMPDIR: foreign };
      const run = await mosaic(["demo"], foreignEnv, 60_000);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/already has a server the demo did not start/);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect((await demoTmux(foreign, "has-session", "-t", "=mine")).exitCode).toBe(0);
      const down = await mosaic(["demo", "--down"], foreignEnv);
      expect(down.code).toBe(0);
      expect((await demoTmux(foreign, "has-session", "-t", "=mine")).exitCode).toBe(0);
      expect(existsSync(demoHome)).toBe(false);
    } finally {
      await demoTmux(foreign, "kill-server");
      rmSync(foreign, { recursive: true, force: true });
    }
  }, 90_000);
});
