// `mosaic fleet ps --watch -o json` against a private tmux fleet, its stdout a pipe (not
// a TTY): one JSON document per line, one per change. A killed session must show up as
// `pane.state: "missing"` within a second, a dead pane (remain-on-exit) as "dead" within
// a second; SIGINT ends the watcher at once and leaves the fleet's socket exactly as it
// was: no control client left attached, the same sessions.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import type { AgentStatus, FleetStatus } from "../../src/diff/types.js";
import { BIN, ROOT, cliEnv, localDefaults, scratch, waitUntil, type Scratch } from "./fleet-support.js";

const SLEEPER = { sleeper: { match: ["sleep"] } };
/** The debug record the watch writes at the end of every round (a full pass, an event's re-read, a clock tick). */
const ROUND_STEP = "watch.round";
/** The watch must report a change within this long of it happening. */
const WITHIN_MS = 1_000;

let fleet: TmuxServer;
let s: Scratch;
let noManager = "";

interface Doc {
  at: number;
  status: FleetStatus;
}

/** A running `fleet ps --watch -o json`, its stdout split into timestamped documents. */
class Watcher {
  readonly docs: Doc[] = [];
  readonly junk: string[] = [];
  stderr = "";
  exit: { code: number | null; signal: NodeJS.Signals | null; at: number } | null = null;
  private partial = "";
  private stderrPartial = "";
  readonly logs: { at: number; record: Record<string, unknown> }[] = [];
  private cycleHooks: (() => void)[] = [];
  readonly exited: Promise<void>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on("data", (chunk: Buffer) => {
      const now = performance.now();
      const lines = (this.partial + chunk.toString("utf8")).split("\n");
      this.partial = lines.pop() ?? "";
      for (const line of lines) {
        try {
          this.docs.push({ at: now, status: JSON.parse(line) as FleetStatus });
        } catch {
          this.junk.push(line);
        }
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      const now = performance.now();
      const text = chunk.toString("utf8");
      this.stderr += text;
      const lines = (this.stderrPartial + text).split("\n");
      this.stderrPartial = lines.pop() ?? "";
      for (const line of lines) {
        try {
          const record = JSON.parse(line) as Record<string, unknown>;
          this.logs.push({ at: now, record });
          const step = record["step"];
          if (step === ROUND_STEP) for (const hook of this.cycleHooks.splice(0)) hook();
        } catch {
          // not a log record; kept in stderr
        }
      }
    });
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exit = { code, signal, at: performance.now() };
        resolve();
      });
    });
  }

  /** The first document at or after `since` (performance.now()) that satisfies `test`. */
  async waitFor(test: (status: FleetStatus) => boolean, since: number, timeoutMs: number): Promise<Doc | null> {
    let found: Doc | null = null;
    await waitUntil(
      () => {
        found = this.docs.find((d) => d.at >= since && test(d.status)) ?? null;
        return found !== null || this.exit !== null;
      },
      timeoutMs,
      5,
    );
    return found;
  }

  /**
   * Run `act` synchronously the moment the watcher has logged the end of its next round
   * (watch.round: a full pass, an event's re-read or a clock tick): whatever `act`
   * changes, that round has already looked. Needs MOSAIC_LOG_LEVEL=debug.
   */
  afterNextObservation(act: () => void): Promise<number> {
    return new Promise((resolve) => {
      this.cycleHooks.push(() => {
        const at = performance.now();
        act();
        resolve(at);
      });
    });
  }

  stop(): void {
    if (this.exit === null) this.child.kill("SIGKILL");
  }
}

const live: Watcher[] = [];

function watch(roster: string, extraArgs: string[] = [], extraEnv: Record<string, string> = {}): Watcher {
  const child = spawn(process.execPath, [BIN, "fleet", "ps", "--watch", "-o", "json", "-f", roster, ...extraArgs], {
    cwd: ROOT,
    env: cliEnv({
      TMUX_TMPDIR: fleet.tmpdir,
      MOSAIC_HOME: s.home,
      HOME: s.dir,
      XDG_RUNTIME_DIR: noManager,
      ...extraEnv,
    }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const watcher = new Watcher(child);
  live.push(watcher);
  return watcher;
}

function agent(status: FleetStatus, name: string): AgentStatus | undefined {
  return status.agents.find((a) => a.name === name);
}

async function clients(): Promise<string[]> {
  const result = await fleet.tmux("list-clients", "-F", "#{client_name} #{client_session} #{client_flags}");
  return result.stdout.split("\n").filter(Boolean);
}

async function sessions(): Promise<string[]> {
  const result = await fleet.tmux("list-sessions", "-F", "#{session_name}");
  return result.stdout.split("\n").filter(Boolean).sort();
}

function roster(name: string, agents: string[]): string {
  return s.roster(`${name}.yaml`, {
    version: 1,
    defaults: localDefaults(fleet.socket, { heartbeat: false }),
    runtimes: SLEEPER,
    agents: agents.map((n) => ({ name: n, runtime: "sleeper" })),
  });
}

/** Start the watcher, wait for its first document and for its control client to attach. */
async function startWatching(
  file: string,
  names: string[],
  extraArgs: string[] = [],
  extraEnv: Record<string, string> = {},
): Promise<Watcher> {
  const w = watch(file, extraArgs, extraEnv);
  const first = await w.waitFor((st) => names.every((n) => agent(st, n)?.pane.state === "alive"), 0, 10_000);
  expect(first, `no first document; stderr: ${w.stderr}; junk: ${w.junk.join("\n")}`).not.toBeNull();
  // The event source is a read-only control client on the fleet socket.
  expect(
    await waitUntil(async () => (await clients()).length === 1, 5_000),
    `watcher never attached: ${JSON.stringify(await clients())}`,
  ).toBe(true);
  const [client] = await clients();
  expect(client).toMatch(/control-mode/);
  expect(client).toMatch(/read-only/);
  expect(client).toMatch(/ignore-size/);
  return w;
}

/** SIGINT: exit 0 within a second; no client left; the sessions unchanged. */
async function interruptAndCheck(w: Watcher): Promise<void> {
  const before = await sessions();
  const sent = performance.now();
  w.child.kill("SIGINT");
  await Promise.race([w.exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  expect(w.exit, "the watcher is still running 5 s after SIGINT").not.toBeNull();
  const took = w.exit!.at - sent;
  // Exit 0, as the README says: not death by the signal (execa's signal-exit once re-raised it: 130).
  expect(w.exit!.code, JSON.stringify(w.exit)).toBe(0);
  expect(took, `exit took ${Math.round(took)} ms after SIGINT`).toBeLessThan(WITHIN_MS);
  // Nothing but diagnostics (when asked for) on stderr: no error, no stack.
  expect(w.stderr.split("\n").filter((line) => line !== "" && !line.startsWith("{"))).toEqual([]);
  for (const { record } of w.logs) expect(record["level"], JSON.stringify(record)).toBeLessThan(40);
  expect(await clients()).toEqual([]);
  expect(await sessions()).toEqual(before);
  expect(w.junk, "non-JSON lines on stdout").toEqual([]);
}

beforeAll(async () => {
  s = scratch("mf-watch-ps-");
  noManager = join(s.dir, "no-manager");
  mkdirSync(noManager, { mode: 0o700 });
  fleet = await startTmuxServer("watch-ps");
  // Like _holder in production: the server never runs out of sessions.
  await fleet.newSession("keeper", ["sleep", "600"]);
});

afterEach(() => {
  for (const w of live.splice(0)) w.stop();
});

afterAll(async () => {
  await fleet?.kill();
  s?.cleanup();
});

describe("fleet ps --watch -o json", () => {
  it("a killed session shows pane.state missing within a second (attached session or not); SIGINT ends it cleanly", async () => {
    const names = ["wa", "wb", "wc"];
    for (const n of names) await fleet.newSession(n, ["sleep", "600"]);
    const w = await startWatching(roster("killed", names), names);
    const attachedTo = (await clients())[0]?.split(" ")[1];

    // First a session the control client is NOT attached to, then the one it is.
    const order = [
      ...names.filter((n) => n !== attachedTo).slice(0, 1),
      ...(attachedTo && names.includes(attachedTo) ? [attachedTo] : names.slice(1, 2)),
    ];
    expect(order).toHaveLength(2);
    const latencies: Record<string, number> = {};
    for (const victim of order) {
      const t0 = performance.now();
      expect((await fleet.tmux("kill-session", "-t", `=${victim}`)).ok).toBe(true);
      const doc = await w.waitFor((st) => agent(st, victim)?.pane.state === "missing", t0, 5_000);
      expect(doc, `no document with ${victim} missing; stderr: ${w.stderr}`).not.toBeNull();
      latencies[victim] = Math.round(doc!.at - t0);
      const victimRow = agent(doc!.status, victim)!;
      expect(victimRow.conditions.find((c) => c.type === "PaneDead")).toMatchObject({
        status: "True",
        reason: "PaneMissing",
      });
      // The others are still alive in that very document.
      for (const other of names.filter((n) => !order.slice(0, order.indexOf(victim) + 1).includes(n))) {
        expect(agent(doc!.status, other)?.pane.state).toBe("alive");
      }
    }
    for (const [victim, ms] of Object.entries(latencies)) {
      expect(ms, `${victim} reported missing ${ms} ms after the kill (all: ${JSON.stringify(latencies)})`).toBeLessThan(
        WITHIN_MS,
      );
    }
    // Every document is a full FleetStatus, one per line, and only changes are printed.
    for (const d of w.docs) expect(d.status).toMatchObject({ apiVersion: "mosaic.fleet/v1", kind: "FleetStatus" });
    const prints = w.docs.map((d) => JSON.stringify(d.status.agents.map((a) => [a.name, a.pane.state])));
    for (let i = 1; i < prints.length; i += 1)
      expect(prints[i], "two identical documents in a row").not.toBe(prints[i - 1]);

    // The control client re-attached to a session that still exists.
    expect(await waitUntil(async () => (await clients()).length === 1, 3_000)).toBe(true);
    await interruptAndCheck(w);
    expect(await sessions()).toEqual(["keeper", names.find((n) => !order.includes(n))!].sort());
  }, 30_000);

  /** Sessions whose pane stays, dead, when its process exits; returns the pane pids. */
  async function remainOnExitSessions(names: string[]): Promise<Record<string, number>> {
    const pids: Record<string, number> = {};
    for (const n of names) {
      // One tmux command: the option is set before anything can exit.
      const made = await fleet.tmux(
        "new-session",
        "-d",
        "-s",
        n,
        "--",
        "sleep 600",
        ";",
        "set-option",
        "-w",
        "-t",
        `=${n}:`,
        "remain-on-exit",
        "on",
      );
      expect(made.ok, made.message).toBe(true);
      pids[n] = await fleet.panePid(n);
    }
    return pids;
  }

  // The worst moment for a pane to die is just after the watcher looked: made exact here
  // by killing the pane the instant the watcher has logged the end of a round (debug
  // log). tmux sends control clients no notification when a pane dies under
  // remain-on-exit, so if nothing else reacts to it, only the next full pass can show it.
  it("with remain-on-exit on, a pane process killed right after an observation shows pane.state dead within a second", async () => {
    const names = ["da", "db"];
    const pids = await remainOnExitSessions(names);
    const w = await startWatching(roster("dead", names), names, [], { MOSAIC_LOG_LEVEL: "debug" });
    const latencies: number[] = [];
    for (const victim of names) {
      await new Promise((resolve) => setTimeout(resolve, 300)); // let event-driven re-observations settle
      const t0 = await w.afterNextObservation(() => process.kill(pids[victim]!, "SIGKILL"));
      const doc = await w.waitFor((st) => agent(st, victim)?.pane.state === "dead", t0, 5_000);
      expect(doc, `no document with ${victim} dead; stderr: ${w.stderr.slice(-2000)}`).not.toBeNull();
      latencies.push(Math.round(doc!.at - t0));
      expect(agent(doc!.status, victim)?.conditions.find((c) => c.type === "PaneDead")).toMatchObject({
        status: "True",
        reason: "ProcessExited",
      });
    }
    // The debug log went to stderr only: stdout stayed one JSON document per line.
    expect(w.junk).toEqual([]);
    expect(w.logs.some((l) => l.record["step"] === "observe.tmux")).toBe(true);
    await interruptAndCheck(w);
    // The dead panes are still there (remain-on-exit), untouched by the watcher.
    for (const n of names) {
      const dead = await fleet.tmux("display-message", "-p", "-t", `=${n}:`, "#{pane_dead}");
      expect(dead.stdout.trim()).toBe("1");
    }
    expect(Math.max(...latencies), `dead reported ${JSON.stringify(latencies)} ms after the kill`).toBeLessThan(
      WITHIN_MS,
    );
  }, 30_000);

  // `--interval` is only a floor ("re-observe at least this often"); changes come as
  // events. With a 10 s floor, what is reported within a second came from an event.
  it("--interval 10s: a killed session is still reported missing within a second (tmux event)", async () => {
    const names = ["ea", "eb"];
    for (const n of names) await fleet.newSession(n, ["sleep", "600"]);
    const w = await startWatching(roster("events-missing", names), names, ["--interval", "10s"]);
    for (const victim of names) {
      const t0 = performance.now();
      expect((await fleet.tmux("kill-session", "-t", `=${victim}`)).ok).toBe(true);
      const doc = await w.waitFor((st) => agent(st, victim)?.pane.state === "missing", t0, 1_500);
      expect(doc, `${victim} not reported missing within 1.5 s with --interval 10s`).not.toBeNull();
      expect(doc!.at - t0).toBeLessThan(WITHIN_MS);
      // The control client follows: it re-attaches when its session was the one killed.
      expect(await waitUntil(async () => (await clients()).length === 1, 3_000)).toBe(true);
    }
    await interruptAndCheck(w);
  }, 30_000);

  it("--interval 10s: a pane that dies under remain-on-exit is reported dead within a second", async () => {
    const names = ["fa"];
    const pids = await remainOnExitSessions(names);
    const w = await startWatching(roster("events-dead", names), names, ["--interval", "10s"]);
    const t0 = performance.now();
    process.kill(pids["fa"]!, "SIGKILL");
    const doc = await w.waitFor((st) => agent(st, "fa")?.pane.state === "dead", t0, 1_500);
    await interruptAndCheck(w);
    expect(
      doc,
      "the dead pane was not reported within 1.5 s: nothing but the --interval floor notices a pane dying",
    ).not.toBeNull();
    expect(doc!.at - t0).toBeLessThan(WITHIN_MS);
  }, 30_000);

  it("SIGTERM ends it cleanly too, and a watcher started before the server has sessions still ends cleanly", async () => {
    const names = ["ta"];
    await fleet.newSession("ta", ["sleep", "600"]);
    const w = await startWatching(roster("term", names), names);
    const before = await sessions();
    const sent = performance.now();
    w.child.kill("SIGTERM");
    await Promise.race([w.exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    expect(w.exit).not.toBeNull();
    expect(w.exit!.at - sent).toBeLessThan(WITHIN_MS);
    expect(w.exit!.code === 0 || w.exit!.signal === "SIGTERM", JSON.stringify(w.exit)).toBe(true);
    expect(await clients()).toEqual([]);
    expect(await sessions()).toEqual(before);

    // A roster whose sessions do not exist yet: no control client can attach; SIGINT still ends it.
    const w2 = watch(roster("nothing-yet", ["not-yet"]));
    const first = await w2.waitFor((st) => agent(st, "not-yet")?.pane.state === "missing", 0, 10_000);
    expect(first).not.toBeNull();
    await interruptAndCheck(w2);
  }, 30_000);
});
