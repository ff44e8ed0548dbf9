// `fleet ps --watch` between full passes (docs/commands.md, Watch): each event re-observes
// only what it names. With `--interval 1h` the clock and the safety net never run during
// these tests, so whatever the watcher shows came from events alone. The property: after
// ANY sequence of changes to a real private tmux fleet and its heartbeat files (panes
// killed under remain-on-exit, sessions killed and started, panes respawned, heartbeats
// rewritten, removed, made invalid, their writers killed, unmanaged sessions, the tmux
// server itself killed), the watcher's last document equals a fresh `fleet ps -o json`,
// modulo clocks (ages, idle times, observedAt). Never a time asserted.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import type { FleetStatus } from "../../src/diff/types.js";
import { BIN, ROOT, cliEnv, localDefaults, psJson, scratch, sleep, waitUntil, type Scratch } from "./fleet-support.js";

const NAMES = ["ia", "ib", "ic", "id"] as const;
const STATUSES = ["idle", "working", "waiting"] as const;

let fleet: TmuxServer;
let s: Scratch;
let noManager = "";
let rosterFile = "";
/** One stand-in heartbeat writer per agent that is not in its pane (a sleep this test started). */
const helpers = new Map<string, ChildProcess>();
const watchers: Watcher[] = [];

/** A running `fleet ps --watch -o json`, its documents and its debug log records. */
class Watcher {
  readonly docs: FleetStatus[] = [];
  readonly logs: Record<string, unknown>[] = [];
  stderr = "";
  private partial = "";
  private errPartial = "";
  exited = false;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on("data", (chunk: Buffer) => {
      const lines = (this.partial + chunk.toString("utf8")).split("\n");
      this.partial = lines.pop() ?? "";
      for (const line of lines) this.docs.push(JSON.parse(line) as FleetStatus);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      this.stderr += text;
      const lines = (this.errPartial + text).split("\n");
      this.errPartial = lines.pop() ?? "";
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not a log record; kept in stderr
        }
      }
    });
    child.once("exit", () => (this.exited = true));
  }

  get latest(): FleetStatus | undefined {
    return this.docs[this.docs.length - 1];
  }

  stop(): void {
    if (!this.exited) this.child.kill("SIGKILL");
  }
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cliEnv({ TMUX_TMPDIR: fleet.tmpdir, MOSAIC_HOME: s.home, HOME: s.dir, XDG_RUNTIME_DIR: noManager, ...extra });
}

function startWatcher(extraEnv: Record<string, string> = {}): Watcher {
  const child = spawn(
    process.execPath,
    [BIN, "fleet", "ps", "--watch", "-o", "json", "--interval", "1h", "-f", rosterFile],
    { cwd: ROOT, env: env(extraEnv), stdio: ["ignore", "pipe", "pipe"] },
  );
  const w = new Watcher(child);
  watchers.push(w);
  return w;
}

/**
 * What a status says, without its clocks: ages and durations in messages become N. The
 * watch redraws on a condition's type, status and reason, not on its wording alone, so
 * an Unknown condition's message (tmux's own words for a server going away: "server
 * exited unexpectedly", then "no server running") is left out.
 */
function view(status: FleetStatus): unknown {
  const clockless = (text: string) => text.replace(/\d+(\.\d+)?(ms|s|m|h|d)\b/g, "N");
  return {
    agents: status.agents.map((a) => ({
      name: a.name,
      runtime: a.runtime,
      unit: a.unit,
      pane: { ...a.pane, idle_s: null },
      heartbeat: { ...a.heartbeat, age_s: null },
      conditions: a.conditions.map((c) => [
        c.type,
        c.status,
        c.reason,
        c.status === "Unknown" ? "" : clockless(c.message),
      ]),
    })),
    unmanaged: status.unmanaged,
    grouped: status.grouped ?? [],
    sources: status.sources.map((source) => [source.source, source.reason]),
  };
}

/** Wait until the watcher's last document says what a fresh full observation says. */
async function expectConverged(w: Watcher, label: string): Promise<void> {
  let fresh: unknown = null;
  let shown: unknown = null;
  const same = await waitUntil(
    async () => {
      fresh = view((await psJson(rosterFile, env())).status);
      shown = w.latest ? view(w.latest) : null;
      return JSON.stringify(fresh) === JSON.stringify(shown);
    },
    10_000,
    100,
  );
  if (!same) expect(shown, `${label}; watcher stderr: ${w.stderr.slice(-1500)}`).toEqual(fresh);
}

async function panePid(name: string): Promise<number | null> {
  const r = await fleet.tmux("display-message", "-p", "-t", `=${name}:`, "#{pane_pid} #{pane_dead}");
  const [pid, dead] = r.stdout.trim().split(" ");
  return r.ok && dead === "0" ? Number(pid) : null;
}

async function startSession(name: string): Promise<void> {
  // One tmux command: remain-on-exit is on before anything can exit.
  const made = await fleet.tmux(
    "new-session",
    "-d",
    "-s",
    name,
    "--",
    "sleep 600",
    ";",
    "set-option",
    "-w",
    "-t",
    `=${name}:`,
    "remain-on-exit",
    "on",
  );
  expect(made.ok, made.message).toBe(true);
}

function helperPid(name: string): number {
  let helper = helpers.get(name);
  if (helper === undefined || helper.exitCode !== null || helper.signalCode !== null) {
    helper = spawn("sleep", ["600"], { stdio: "ignore" });
    helpers.set(name, helper);
  }
  return helper.pid as number;
}

type Op =
  | { kind: "killPane"; agent: number }
  | { kind: "killSession"; agent: number }
  | { kind: "startSession"; agent: number }
  | { kind: "respawn"; agent: number }
  | { kind: "beat"; agent: number; status: number; writer: "pane" | "helper" | "gone"; note: boolean }
  | { kind: "dropBeat"; agent: number }
  | { kind: "junkBeat"; agent: number }
  | { kind: "killHelper"; agent: number }
  | { kind: "unmanaged"; on: boolean };

const agentIndex = fc.nat({ max: NAMES.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("killPane" as const), agent: agentIndex }),
  fc.record({ kind: fc.constant("killSession" as const), agent: agentIndex }),
  fc.record({ kind: fc.constant("startSession" as const), agent: agentIndex }),
  fc.record({ kind: fc.constant("respawn" as const), agent: agentIndex }),
  fc.record({
    kind: fc.constant("beat" as const),
    agent: agentIndex,
    status: fc.nat({ max: STATUSES.length - 1 }),
    writer: fc.constantFrom("pane" as const, "helper" as const, "gone" as const),
    note: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("dropBeat" as const), agent: agentIndex }),
  fc.record({ kind: fc.constant("junkBeat" as const), agent: agentIndex }),
  fc.record({ kind: fc.constant("killHelper" as const), agent: agentIndex }),
  fc.record({ kind: fc.constant("unmanaged" as const), on: fc.boolean() }),
);

/** A pid no process has: one this test started and reaped. */
let gonePid = 0;

async function apply(op: Op): Promise<void> {
  const name = "agent" in op ? NAMES[op.agent]! : "";
  switch (op.kind) {
    case "killPane": {
      const pid = await panePid(name);
      if (pid !== null) process.kill(pid, "SIGKILL");
      return;
    }
    case "killSession":
      await fleet.tmux("kill-session", "-t", `=${name}`);
      return;
    case "startSession":
      if ((await fleet.tmux("has-session", "-t", `=${name}`)).ok) return;
      await startSession(name);
      return;
    case "respawn":
      await fleet.tmux("respawn-pane", "-k", "-t", `=${name}:`);
      return;
    case "beat": {
      const pid = op.writer === "pane" ? await panePid(name) : op.writer === "helper" ? helperPid(name) : gonePid;
      const note = op.note ? " note=asked%20for%20Bash" : "";
      s.heartbeat(
        name,
        `ts=${Math.floor(Date.now() / 1000)} pid=${pid ?? gonePid} status=${STATUSES[op.status]} name=${name}${note}`,
      );
      return;
    }
    case "dropBeat":
      rmSync(join(s.runDir, `${name}.hb`), { force: true });
      return;
    case "junkBeat":
      s.heartbeat(name, "this is not a heartbeat");
      return;
    case "killHelper":
      helpers.get(name)?.kill("SIGKILL");
      return;
    case "unmanaged":
      if (op.on && !(await fleet.tmux("has-session", "-t", "=stray")).ok)
        await fleet.newSession("stray", ["sleep", "600"]);
      if (!op.on) await fleet.tmux("kill-session", "-t", "=stray");
      return;
  }
}

beforeAll(async () => {
  s = scratch("mf-watch-inc-");
  noManager = join(s.dir, "no-manager");
  mkdirSync(noManager, { mode: 0o700 });
  fleet = await startTmuxServer("watch-inc");
  await fleet.newSession("keeper", ["sleep", "600"]);
  for (const name of NAMES) await startSession(name);
  const gone = spawn("true", [], { stdio: "ignore" });
  gonePid = gone.pid as number;
  await new Promise((resolve) => gone.once("exit", resolve));
  rosterFile = s.roster("roster.yaml", {
    version: 1,
    // 60 s: fresh for 180 s, longer than any of these tests; no clock needed to judge.
    defaults: localDefaults(fleet.socket, { heartbeat: { interval: "60s" } }),
    runtimes: { sleeper: { match: ["sleep"] } },
    agents: NAMES.map((name) => ({ name, runtime: "sleeper" })),
  });
  for (const name of NAMES)
    s.heartbeat(name, `ts=${Math.floor(Date.now() / 1000)} pid=${await panePid(name)} status=idle name=${name}`);
});

afterEach(() => {
  for (const w of watchers.splice(0)) w.stop();
});

afterAll(async () => {
  for (const helper of helpers.values()) helper.kill("SIGKILL");
  await fleet?.kill();
  s?.cleanup();
});

describe("fleet ps --watch, incremental", () => {
  it("after any sequence of changes, the watcher shows what a fresh full observation shows (events only: --interval 1h)", async () => {
    const w = startWatcher();
    expect(await waitUntil(() => w.docs.length > 0, 10_000)).toBe(true);
    await expectConverged(w, "at start");
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 6 }), async (ops) => {
        run += 1;
        // No pause between changes: events arrive while a refresh is running, and merge.
        for (const op of ops) await apply(op);
        await expectConverged(w, `run ${run}: ${JSON.stringify(ops)}`);
      }),
      {
        numRuns: 10,
        endOnFailure: true,
        // Each change alone first: nothing else in the sequence may give it away.
        examples: [
          [[{ kind: "killPane", agent: 0 }]],
          [[{ kind: "respawn", agent: 0 }]],
          [[{ kind: "beat", agent: 1, status: 1, writer: "helper", note: true }]],
          [[{ kind: "killHelper", agent: 1 }]],
          [[{ kind: "killSession", agent: 2 }]],
          [[{ kind: "startSession", agent: 2 }]],
          [[{ kind: "unmanaged", on: true }]],
          [[{ kind: "junkBeat", agent: 3 }]],
          [[{ kind: "dropBeat", agent: 3 }]],
        ],
      },
    );
    // Last, the server itself: every pane Unknown, as a full pass says — nothing stale shown alive.
    await fleet.tmux("kill-server");
    await expectConverged(w, "tmux server killed");
    for (const agent of w.latest!.agents) expect(agent.pane.state).toBe("unknown");
    // (Started again for the other tests.)
    await fleet.newSession("keeper", ["sleep", "600"]);
    for (const name of NAMES) if (!(await fleet.tmux("has-session", "-t", `=${name}`)).ok) await startSession(name);
  }, 240_000);

  it("a heartbeat change re-reads that one heartbeat and nothing else; its writer exiting is shown at once, never a stale healthy", async () => {
    for (const name of NAMES) {
      if (!(await fleet.tmux("has-session", "-t", `=${name}`)).ok) await startSession(name);
      else if ((await panePid(name)) === null) await fleet.tmux("respawn-pane", "-k", "-t", `=${name}:`);
    }
    const writer = helperPid("ib");
    s.heartbeat("ib", `ts=${Math.floor(Date.now() / 1000)} pid=${writer} status=idle name=ib`);
    const w = startWatcher({ MOSAIC_LOG_LEVEL: "debug" });
    expect(
      await waitUntil(() => w.latest?.agents.find((a) => a.name === "ib")?.heartbeat.state === "healthy", 10_000),
      w.stderr.slice(-1500),
    ).toBe(true);
    await sleep(500); // the control client's own attach notification settles
    const from = w.logs.length;
    const docs = w.docs.length;
    s.heartbeat("ib", `ts=${Math.floor(Date.now() / 1000)} pid=${writer} status=waiting name=ib note=why`);
    expect(
      await waitUntil(
        () => w.docs.slice(docs).some((d) => d.agents.find((a) => a.name === "ib")?.heartbeat.status === "waiting"),
        10_000,
      ),
    ).toBe(true);
    const steps = w.logs.slice(from).map((record) => [record["step"], record["files"]]);
    // One heartbeat file read; no tmux, systemd or full /proc pass for a heartbeat.
    expect(steps.filter(([step]) => step === "observe.heartbeat")).toEqual([["observe.heartbeat", 1]]);
    expect(steps.filter(([step]) => step === "observe.tmux" || step === "observe.systemd")).toEqual([]);
    expect(steps.filter(([step]) => step === "observe.proc")).toEqual([]);

    // The writer (not the pane's process) exits: nothing but the pid watch can tell.
    const docs2 = w.docs.length;
    helpers.get("ib")?.kill("SIGKILL");
    expect(
      await waitUntil(
        () =>
          w.docs.slice(docs2).some((d) => {
            const hb = d.agents.find((a) => a.name === "ib")?.heartbeat;
            return hb?.state === "stale";
          }),
        10_000,
      ),
      "the heartbeat of a writer that exited still shows healthy",
    ).toBe(true);
    await expectConverged(w, "writer killed");
  }, 60_000);
});
