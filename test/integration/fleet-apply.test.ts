// `mosaic fleet apply` against the production-like fleet (fleet-production.test.ts: the
// holder and four agents started — not enabled — through the first, oneshot agent unit
// installed as mosaic-agent@.service), on a private tmux server and user manager; then
// the migration to the supervised unit, systemd restarting a killed agent, and CrashLoop.

import { spawn } from "node:child_process";
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import { CONTRIB_UNIT_DIR, startUserManager, type UserManager } from "../helpers/systemd.js";
import { skipOutsideCi } from "../helpers/skip.js";
import {
  BIN,
  DOGFOOD,
  HOST,
  ROOT,
  USER,
  agentOf,
  cliEnv,
  conditionOf,
  localDefaults,
  mosaic,
  parseTable,
  psJson,
  scratch,
  waitUntil,
  type Scratch,
} from "./fleet-support.js";

const AGENTS = ["canary-pi", "dogfood-coder", "dogfood-orchestrator", "dogfood-reviewer"] as const;
const ALL = ["_holder", ...AGENTS] as const;
const unitOf = (name: string) => (name === "_holder" ? "mosaic-fleet-holder.service" : `mosaic-agent@${name}.service`);
const SUPERVISED = readFileSync(join(CONTRIB_UNIT_DIR, "mosaic-agent@.service"), "utf8");

let tmux: TmuxServer | undefined;
let m: UserManager | null = null;
let s: Scratch | undefined;
let rosterFile = "";
let env: NodeJS.ProcessEnv = {};
/** A PATH whose systemctl takes 1.5 s for `enable` (the real one for everything else). */
let slowPath = "";
let piBin = "";

function need(ctx: { skip: (note?: string) => never }): { m: UserManager; tmux: TmuxServer; s: Scratch } {
  if (!m || !tmux || !s) return skipOutsideCi(ctx, "no systemd user manager available (see the warning above)");
  return { m, tmux, s };
}

/** What systemd says of every unit: the facts apply must (or must not) change. */
async function unitFacts(manager: UserManager): Promise<Record<string, Record<string, string>>> {
  const facts: Record<string, Record<string, string>> = {};
  for (const name of ALL)
    facts[name] = await manager.show(unitOf(name), "UnitFileState", "ActiveState", "SubState", "InvocationID");
  return facts;
}

async function panePid(server: TmuxServer, name: string): Promise<number | null> {
  const shown = await server.tmux("list-panes", "-s", "-t", `=${name}`, "-F", "#{pane_dead} #{pane_pid}");
  if (!shown.ok) return null;
  const [dead, pid] = (shown.stdout.split("\n")[0] ?? "").split(" ");
  return dead === "0" ? Number(pid) : null;
}

const apply = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
  mosaic(["fleet", "apply", "-f", rosterFile, ...args], { ...env, ...extra }, 90_000);

beforeAll(async () => {
  tmux = await startTmuxServer("fleet-apply", { start: false });
  s = scratch("mf-apply-");
  m = await startUserManager({ env: { TMUX_TMPDIR: tmux.tmpdir, HOME: s.dir } });
  if (!m) return;
  await m.installContribUnits({ legacyAgentUnit: true });
  await m.writeFleetEnv({
    MOSAIC_FLEET_SOCKET: tmux.socket,
    TMUX_TMPDIR: tmux.tmpdir,
    HOME: s.dir,
    MOSAIC_BIN: `${process.execPath} ${BIN}`,
    MOSAIC_HOME: s.home,
  });
  for (const name of AGENTS) await m.writeAgentEnv(name, { MOSAIC_AGENT_COMMAND: `python3 ${DOGFOOD}` });
  const started = await m.systemctl("start", "mosaic-fleet-holder.service", ...AGENTS.map(unitOf));
  expect(started.ok, started.message).toBe(true);

  rosterFile = s.roster("mosaic-factory.yaml", {
    version: 1,
    fleet: "mosaic-factory",
    defaults: localDefaults(tmux.socket),
    agents: [
      { name: "_holder", runtime: "shell", heartbeat: false, unit: "mosaic-fleet-holder.service" },
      { name: "canary-pi", runtime: "pi", heartbeat: false },
      { name: "dogfood-coder", runtime: "stub", heartbeat: false },
      { name: "dogfood-orchestrator", runtime: "stub", heartbeat: false },
      { name: "dogfood-reviewer", runtime: "stub", heartbeat: false },
    ],
  });
  const bin = join(s.dir, "bin");
  writeFileSync(join(s.dir, "placeholder"), "");
  await import("node:fs/promises").then((fs) => fs.mkdir(bin, { recursive: true }));
  writeFileSync(
    join(bin, "systemctl"),
    `#!/bin/sh\ncase " $* " in *" enable "*) sleep 1.5;; esac\nexec /usr/bin/systemctl "$@"\n`,
  );
  chmodSync(join(bin, "systemctl"), 0o755);
  // A `pi` runtime for canary-pi: a python script whose name is pi (argv[1] under the interpreter).
  piBin = join(bin, "pi");
  writeFileSync(piBin, "#!/usr/bin/python3\nimport time\nwhile True:\n    time.sleep(60)\n");
  chmodSync(piBin, 0o755);
  env = cliEnv({ ...m.env, TMUX_TMPDIR: tmux.tmpdir, MOSAIC_HOME: s.home, HOME: s.dir, MOSAIC_LOG_LEVEL: "info" });
  slowPath = `${bin}:${env["PATH"] ?? "/usr/bin:/bin"}`;
  // Every agent's session exists before anything is asked.
  expect(
    await waitUntil(async () => (await Promise.all(ALL.map((n) => panePid(tmux!, n)))).every(Boolean), 20_000),
  ).toBe(true);
}, 60_000);

afterAll(async () => {
  await m?.stop();
  await tmux?.kill();
  s?.cleanup();
});

describe("fleet apply on the production-like fleet", () => {
  it("--dry-run prints the plan and changes nothing (systemctl --user says so)", async (ctx) => {
    const { m } = need(ctx);
    const before = await unitFacts(m);
    const run = await apply(["--dry-run"]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toContain("systemctl --user enable mosaic-agent@canary-pi.service");
    expect(run.stdout).toMatch(/systemctl --user restart mosaic-agent@canary-pi\.service\n\s+disruptive; skipped/);
    expect(run.stdout).toContain("Dry run: nothing was changed.");
    expect(run.stdout).not.toMatch(/\[\d+\/\d+\]/);
    expect(await unitFacts(m)).toEqual(before);
    for (const name of ALL) expect(before[name]?.["UnitFileState"], name).toBe("disabled");
  });

  it("without a terminal and without --yes: exit 2, one sentence, nothing done", async (ctx) => {
    const { m } = need(ctx);
    const before = await unitFacts(m);
    const run = await apply([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^mosaic: not a terminal, so not asking: pass --yes.*nothing was done\n$/m);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(await unitFacts(m)).toEqual(before);
  });

  it("two applies at once: one runs, the other says so and exits 2", async (ctx) => {
    const { m, tmux } = need(ctx);
    const pids = new Map<string, number | null>();
    for (const name of AGENTS) pids.set(name, await panePid(tmux, name));
    // The first one's `enable` is slow (a systemctl wrapper on PATH), so it holds the lock a while.
    const first = apply(["--yes"], { PATH: slowPath });
    const lockDir = join(s!.home, "fleet", "run");
    // Held: the lock file names its holder while held (and is emptied on release).
    const held = () =>
      readdirSync(lockDir).some(
        (f) => f.startsWith("fleet-apply.") && readFileSync(join(lockDir, f), "utf8").startsWith("pid="),
      );
    expect(await waitUntil(held, 20_000)).toBe(true);
    const second = await apply(["--yes"]);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(
      /^mosaic: another `mosaic fleet apply` \(pid=\d+ .*\) is running for fleet mosaic-factory; nothing was done\n$/,
    );
    const done = await first;
    // Enabled everything; canary-pi's restart is disruptive, so skipped: not converged.
    expect(done.code, done.stderr + done.stdout).toBe(1);
    expect(done.stdout).toMatch(
      /restart mosaic-agent@canary-pi\.service: skipped \(disruptive; needs --allow-disruptive\)/,
    );
    expect(done.stdout).toContain("Not converged:");
    for (const name of ALL)
      expect(await m.show(unitOf(name), "UnitFileState"), name).toEqual({ UnitFileState: "enabled" });
    const { status } = await psJson(rosterFile, env);
    for (const name of ALL)
      expect(conditionOf(agentOf(status, name), "BootDisabled"), name).toMatchObject({ status: "False" });
    // Nothing disruptive ran: every pane is the one it was.
    for (const name of AGENTS) expect(await panePid(tmux, name), name).toBe(pids.get(name));
    // Every action is a structured line: who, what, result.
    const records = done.stderr
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r["event"] === "fleet.apply.step");
    expect(records.filter((r) => r["result"] === "ok")).toHaveLength(ALL.length);
    for (const r of records) {
      expect(r["who"]).toMatchObject({ user: USER });
      expect(typeof r["agent"]).toBe("string");
    }
    expect(records.find((r) => r["result"] === "skipped")).toMatchObject({ agent: "canary-pi", action: "restart" });
  }, 120_000);

  it("a second apply --yes has nothing to run and touches nothing", async (ctx) => {
    const { m } = need(ctx);
    const before = await unitFacts(m);
    const run = await apply(["--yes"]);
    expect(run.code).toBe(1); // canary-pi's Drift needs --allow-disruptive
    expect(run.stdout).toContain("Nothing to run; nothing was changed.");
    expect(run.stdout).not.toMatch(/: ok/);
    expect(await unitFacts(m)).toEqual(before);
  });

  it("SIGKILL mid-run leaves nothing that blocks the next apply", async (ctx) => {
    const { m } = need(ctx);
    expect((await m.systemctl("disable", unitOf("dogfood-reviewer"))).ok).toBe(true);
    const child = spawn(process.execPath, [BIN, "fleet", "apply", "-f", rosterFile, "--yes"], {
      cwd: ROOT,
      env: { ...env, PATH: slowPath },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    // Killed while its (slow) enable runs: it holds the lock.
    expect(await waitUntil(() => out.includes("Plan:") && out.includes("\n\n"), 20_000)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 500));
    child.kill("SIGKILL");
    await exited;
    const next = await apply(["--yes"]);
    expect(next.stderr).not.toContain("another `mosaic fleet apply`");
    // It ran: planned and finished (the killed run's own `systemctl enable` may have finished meanwhile).
    expect(next.stdout).toContain("Plan:");
    expect([0, 1]).toContain(next.code);
    expect(await m.show(unitOf("dogfood-reviewer"), "UnitFileState")).toEqual({ UnitFileState: "enabled" });
  }, 120_000);

  it("on a terminal it asks once: anything but y changes nothing (exit 2); y applies", async (ctx) => {
    const { m } = need(ctx);
    expect((await m.systemctl("disable", unitOf("dogfood-orchestrator"))).ok).toBe(true);
    // script(1) gives apply a real terminal; the answer is typed on it.
    const onTty = async (answer: string) => {
      const { execa } = await import("execa");
      const command = [process.execPath, BIN, "fleet", "apply", "-f", rosterFile, "--agent", "dogfood-orchestrator"]
        .map((w) => `'${w.replace(/'/g, "'\\''")}'`)
        .join(" ");
      return execa("script", ["-qec", command, "/dev/null"], {
        cwd: ROOT,
        env,
        extendEnv: false,
        reject: false,
        input: answer,
        timeout: 60_000,
      });
    };
    const no = await onTty("n\n");
    expect(String(no.stdout)).toContain("Apply 1 step? [y/N]");
    expect(String(no.stdout)).toContain("not applied; nothing was done");
    expect(no.exitCode).toBe(2);
    expect(await m.show(unitOf("dogfood-orchestrator"), "UnitFileState")).toEqual({ UnitFileState: "disabled" });
    const yes = await onTty("y\n");
    expect(String(yes.stdout)).toMatch(/enable mosaic-agent@dogfood-orchestrator\.service: .*ok/);
    expect(await m.show(unitOf("dogfood-orchestrator"), "UnitFileState")).toEqual({ UnitFileState: "enabled" });
  }, 120_000);

  it("the drifted canary-pi is restarted only with --allow-disruptive", async (ctx) => {
    const { m, tmux } = need(ctx);
    await m.writeAgentEnv("canary-pi", { MOSAIC_AGENT_COMMAND: piBin });
    const pid = await panePid(tmux, "canary-pi");
    const without = await apply(["--yes", "--agent", "canary-pi"]);
    expect(without.code).toBe(1);
    expect(await panePid(tmux, "canary-pi")).toBe(pid);
    const withIt = await apply(["--yes", "--allow-disruptive", "--agent", "canary-pi"]);
    expect(withIt.stdout).toMatch(/restart mosaic-agent@canary-pi\.service: ok/);
    expect(withIt.code, withIt.stdout).toBe(0);
    expect(withIt.stdout).toContain("Converged");
    const now = await panePid(tmux, "canary-pi");
    expect(now).not.toBe(pid);
    const { status } = await psJson(rosterFile, env);
    expect(conditionOf(agentOf(status, "canary-pi"), "Drift")).toMatchObject({ status: "False" });
    // --agent kept the others out of it.
    expect(withIt.stdout).not.toContain("dogfood-coder");
  }, 120_000);

  it("bad input: an unknown --agent is exit 2 and one sentence", async (ctx) => {
    need(ctx);
    const run = await apply(["--yes", "--agent", "nobody\u001b[2J"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^mosaic: no agent named "nobody\\x1b\[2J" in the roster/m);
    expect(run.stderr).not.toContain("\u001b");
  });
});

describe("the supervised unit", () => {
  it("migration: with the supervised unit installed, apply moves an agent off its oneshot run (disruptive)", async (ctx) => {
    const { m, tmux } = need(ctx);
    await m.installUnit("mosaic-agent@.service", SUPERVISED);
    const plan = await apply(["--dry-run"]);
    expect(plan.stdout).toContain("tmux -L " + tmux.socket + " kill-session -t =dogfood-coder");
    expect(plan.stdout).toMatch(/LegacyUnit/);
    const skipped = await apply(["--yes", "--agent", "dogfood-coder"]);
    expect(skipped.code).toBe(1);
    expect(await m.show(unitOf("dogfood-coder"), "SubState")).toEqual({ SubState: "exited" });
    const moved = await apply(["--yes", "--allow-disruptive", "--agent", "dogfood-coder"]);
    expect(moved.code, moved.stdout + moved.stderr).toBe(0);
    expect(await m.show(unitOf("dogfood-coder"), "SubState", "Type")).toEqual({ SubState: "running", Type: "exec" });
    const owner = await tmux.tmux("show-options", "-v", "-t", "dogfood-coder", "@mosaic-run");
    expect(owner.stdout.trim()).toMatch(/^\d+ \d+$/);
    // Idempotent: nothing left to do for it.
    const again = await apply(["--yes", "--allow-disruptive", "--agent", "dogfood-coder"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Nothing to run");
  }, 120_000);

  it("killing the agent's process: systemd brings it back within RestartSec + 2 s, NRestarts reads 1", async (ctx) => {
    const { m, tmux } = need(ctx);
    const pid = await panePid(tmux, "dogfood-coder");
    expect(pid).not.toBeNull();
    const { RestartUSec } = await m.show(unitOf("dogfood-coder"), "RestartUSec");
    const restartMs = Number(/^(\d+)s$/.exec(RestartUSec ?? "")?.[1] ?? "2") * 1000;
    const killedAt = Date.now();
    process.kill(pid as number, "SIGKILL");
    expect(
      await waitUntil(async () => {
        const now = await panePid(tmux, "dogfood-coder");
        return now !== null && now !== pid;
      }, restartMs + 2_000),
      `back after ${Date.now() - killedAt} ms`,
    ).toBe(true);
    expect(await m.show(unitOf("dogfood-coder"), "NRestarts")).toEqual({ NRestarts: "1" });
    const { status } = await psJson(rosterFile, env);
    const coder = agentOf(status, "dogfood-coder");
    expect(coder.unit.n_restarts).toBe(1);
    expect(conditionOf(coder, "CrashLoop")).toMatchObject({ status: "False", reason: "NotRestarting" });
    const wide = parseTable((await mosaic(["fleet", "ps", "-f", rosterFile, "-o", "wide"], env)).stdout);
    expect(wide.rows.find((r) => r["NAME"] === "dogfood-coder")?.["RESTARTS"]).toBe("1");
  }, 60_000);

  it("a command that exits at once, again and again: CrashLoop True with the count and the last exit", async (ctx) => {
    const { m, s, tmux } = need(ctx);
    await m.installUnit("mosaic-agent@.service", SUPERVISED); // (already, after the migration test)
    await m.writeAgentEnv("crasher", { MOSAIC_AGENT_COMMAND: "exit 3" });
    const crashRoster = s.roster("crash.yaml", {
      version: 1,
      fleet: "crash",
      defaults: localDefaults(tmux.socket),
      agents: [{ name: "crasher", runtime: "shell", heartbeat: false }],
    });
    expect((await m.systemctl("start", unitOf("crasher"))).ok).toBe(true);
    // Five quick exits: NRestarts reaches 4 (then systemd gives up at its start limit).
    // Each start boots node (`mosaic agent run`), so on a loaded machine this takes a while.
    expect(
      await waitUntil(async () => Number((await m.show(unitOf("crasher"), "NRestarts")).NRestarts) >= 4, 90_000, 200),
      JSON.stringify(
        await m.show(unitOf("crasher"), "NRestarts", "ActiveState", "SubState", "Result", "ExecMainStatus"),
      ) + (await m.systemctl("status", "--no-pager", "-n", "20", unitOf("crasher"))).stdout,
    ).toBe(true);
    // Between attempts, or failed: fleet ps says CrashLoop, with the count and the exit.
    let crash = conditionOf(agentOf((await psJson(crashRoster, env)).status, "crasher"), "CrashLoop");
    expect(
      await waitUntil(
        async () => {
          crash = conditionOf(agentOf((await psJson(crashRoster, env)).status, "crasher"), "CrashLoop");
          return crash.status === "True" && crash.message.includes("exited with status 3");
        },
        60_000,
        100,
      ),
      JSON.stringify(crash),
    ).toBe(true);
    expect(["StartLimitHit", "RestartLoop"]).toContain(crash.reason);
    expect(crash.message).toMatch(/\b([4-9]|\d\d+) restarts\b/);
    await m.systemctl("stop", unitOf("crasher"));
    await m.systemctl("reset-failed", unitOf("crasher"));
  }, 200_000);

  it("stopping a supervised unit kills its session (and only its own)", async (ctx) => {
    const { m, tmux } = need(ctx);
    expect((await m.systemctl("stop", unitOf("dogfood-coder"))).ok).toBe(true);
    expect(await panePid(tmux, "dogfood-coder")).toBeNull();
    expect((await tmux.tmux("has-session", "-t", "=dogfood-coder")).ok).toBe(false);
    for (const name of ["_holder", "canary-pi", "dogfood-orchestrator"])
      expect(await panePid(tmux, name), name).not.toBeNull();
    expect(existsSync(tmux.socketPath)).toBe(true);
  }, 60_000);
});

void HOST;
