// Diagnostics (docs/commands.md Environment, MOSAIC_LOG_LEVEL): pino JSON lines on stderr, never on
// stdout, so `fleet ps -o json | jq` keeps working at any level. At debug every observer
// says what it did and how long it took; at the default level a healthy run is silent;
// a failed observation (no tmux server) is data (an Unknown condition), logged at info
// with its reason.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUserManager, type UserManager } from "../helpers/systemd.js";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import type { FleetStatus } from "../../src/diff/types.js";
import {
  agentOf,
  cliEnv,
  conditionOf,
  localDefaults,
  mosaic,
  scratch,
  type CliRun,
  type Scratch,
} from "./fleet-support.js";

const OBSERVERS = ["observe.tmux", "observe.systemd", "observe.proc", "observe.heartbeat"] as const;

let fleet: TmuxServer | undefined;
let m: UserManager | null = null;
let s: Scratch;
let noManager = "";
let healthy = "";
let noServer = "";

/** With the private user manager when there is one (a fully observable run), else none. */
function env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return cliEnv({
    ...(m?.env ?? { XDG_RUNTIME_DIR: noManager }),
    TMUX_TMPDIR: fleet?.tmpdir,
    MOSAIC_HOME: s.home,
    HOME: s.dir,
    ...extra,
  });
}

interface LogRecord {
  level: number;
  time: number;
  pid: number;
  name: string;
  msg: string;
  step?: string;
  ms?: number;
  ok?: boolean;
  problem?: string;
  [key: string]: unknown;
}

/** Every stderr line as a pino record; fails on any line that is not one. */
function records(run: CliRun): LogRecord[] {
  return run.stderr
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      let record: LogRecord;
      try {
        record = JSON.parse(line) as LogRecord;
      } catch {
        throw new Error(`stderr line is not a JSON log record: ${JSON.stringify(line)}`);
      }
      expect(record).toMatchObject({ name: "mosaic" });
      expect(typeof record.level).toBe("number");
      expect(typeof record.time).toBe("number");
      expect(typeof record.msg).toBe("string");
      return record;
    });
}

/** stdout is exactly one JSON document: JSON.parse takes all of it, and no log record leaked in. */
function oneDocument(run: CliRun): FleetStatus {
  expect(run.stdout).not.toMatch(/"level":\s*\d+.*"msg"/);
  expect(run.stdout.trimStart().startsWith("{")).toBe(true);
  let doc: FleetStatus;
  try {
    doc = JSON.parse(run.stdout) as FleetStatus;
  } catch (error) {
    throw new Error(
      `stdout is not exactly one JSON document (${(error as Error).message}):\n${run.stdout.slice(0, 2000)}`,
      { cause: error },
    );
  }
  expect(doc.kind).toBe("FleetStatus");
  return doc;
}

beforeAll(async () => {
  s = scratch("mf-log-");
  noManager = join(s.dir, "no-manager");
  mkdirSync(noManager, { mode: 0o700 });
  fleet = await startTmuxServer("log-diag");
  await fleet.newSession("logged", ["sleep", "600"]);
  m = await startUserManager({ env: { HOME: s.dir } });
  let unit = "mosaic-agent@{name}.service";
  if (m) {
    // A real, active and enabled unit for the agent: nothing about the run is abnormal.
    await m.installUnit(
      "mf-log@.service",
      "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n\n[Install]\nWantedBy=default.target\n",
    );
    const started = await m.systemctl("enable", "--now", "mf-log@logged.service");
    expect(started.ok, started.message).toBe(true);
    unit = "mf-log@{name}.service";
  }
  const doc = (socket: string) => ({
    version: 1,
    defaults: localDefaults(socket, { heartbeat: false, unit }),
    runtimes: { sleeper: { match: ["sleep"] } },
    agents: [{ name: "logged", runtime: "sleeper" }],
  });
  healthy = s.roster("healthy.yaml", doc(fleet.socket));
  noServer = s.roster("no-server.yaml", doc(`mf-log-nobody-${process.pid}`));
}, 60_000);

afterAll(async () => {
  await m?.stop();
  await fleet?.kill();
  s?.cleanup();
});

describe("MOSAIC_LOG_LEVEL", () => {
  it("debug: stdout is exactly one JSON document; stderr has pino lines for every observer with ms", async () => {
    const run = await mosaic(["fleet", "ps", "-f", healthy, "-o", "json"], env({ MOSAIC_LOG_LEVEL: "debug" }));
    expect(run.code, run.stderr).toBe(0);
    const doc = oneDocument(run);
    expect(agentOf(doc, "logged").pane.state).toBe("alive");
    const logs = records(run);
    for (const step of OBSERVERS) {
      const found = logs.filter((r) => r.step === step);
      expect(found.length, `no ${step} record in:\n${run.stderr}`).toBeGreaterThanOrEqual(1);
      for (const record of found) {
        expect(typeof record.ms, `${step} without ms: ${JSON.stringify(record)}`).toBe("number");
        expect(record.ms).toBeGreaterThanOrEqual(0);
        expect(record.ms).toBeLessThan(10_000);
        expect(record.pid).toBe(logs[0]!.pid);
      }
    }
    // A healthy run: every observer at debug, none failed.
    for (const record of logs.filter((r) => r.step?.startsWith("observe."))) {
      if (m) expect(record.level, JSON.stringify(record)).toBe(20);
      expect(record.ok === undefined || record.ok === true || !m).toBe(true);
    }
    expect(logs.find((r) => r.step === "observe.tmux")?.["socket"]).toBe(fleet!.socket);
  });

  it("debug: fleet report's stdout is the report alone (JSON parses, prometheus has no stray line)", async () => {
    const json = await mosaic(
      ["fleet", "report", "--format", "json", "-f", healthy],
      env({ MOSAIC_LOG_LEVEL: "debug" }),
    );
    expect([0, 1]).toContain(json.code);
    oneDocument(json);
    expect(records(json).some((r) => r.step === "observe.tmux")).toBe(true);
    const prom = await mosaic(
      ["fleet", "report", "--format", "prometheus", "-f", healthy],
      env({ MOSAIC_LOG_LEVEL: "debug" }),
    );
    for (const line of prom.stdout.split("\n").filter(Boolean)) expect(line).toMatch(/^(# (HELP|TYPE) |mosaic_)/);
  });

  for (const level of [undefined, "warn"]) {
    it(`${level === undefined ? "unset (default warn)" : `MOSAIC_LOG_LEVEL=${level}`}: a healthy run prints no diagnostics at all`, async () => {
      if (!m)
        process.stderr.write(
          "!! no systemd user manager here: the 'healthy' run has systemd Unknown (still below warn)\n",
        );
      const run = await mosaic(["fleet", "ps", "-f", healthy, "-o", "json"], env({ MOSAIC_LOG_LEVEL: level }));
      expect(run.code).toBe(0);
      expect(run.stderr).toBe("");
      const doc = oneDocument(run);
      if (m) {
        const agent = agentOf(doc, "logged");
        expect(
          agent.conditions.every((c) => c.status === "False"),
          JSON.stringify(agent.conditions),
        ).toBe(true);
      }
    });
  }

  it("info: a failed observation (no tmux server) is logged with its reason; stdout still one JSON document", async () => {
    const run = await mosaic(["fleet", "ps", "-f", noServer, "-o", "json"], env({ MOSAIC_LOG_LEVEL: "info" }));
    expect(run.code, run.stderr).toBe(0);
    const doc = oneDocument(run);
    expect(conditionOf(agentOf(doc, "logged"), "PaneDead")).toMatchObject({
      status: "Unknown",
      reason: "TmuxUnavailable",
    });
    const logs = records(run);
    const failed = logs.filter((r) => r.step === "observe.tmux");
    expect(failed, run.stderr).toHaveLength(1);
    expect(failed[0]).toMatchObject({ level: 30, ok: false, socket: `mf-log-nobody-${process.pid}` });
    expect(failed[0]!.problem).toMatch(/no tmux server/);
    expect(typeof failed[0]!.ms).toBe("number");
    // info hides the debug records of the observers that worked.
    expect(
      logs.every((r) => r.level >= 30),
      run.stderr,
    ).toBe(true);
  });

  it("default level: the same failed observation is data (Unknown), not a diagnostic: stderr stays empty", async () => {
    const run = await mosaic(["fleet", "ps", "-f", noServer, "-o", "json"], env());
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(conditionOf(agentOf(oneDocument(run), "logged"), "PaneDead").reason).toBe("TmuxUnavailable");
  });

  it("silent: nothing on stderr even at debug-worthy events; an unknown level falls back without breaking stdout", async () => {
    const silent = await mosaic(["fleet", "ps", "-f", noServer, "-o", "json"], env({ MOSAIC_LOG_LEVEL: "silent" }));
    expect(silent.code).toBe(0);
    expect(silent.stderr).toBe("");
    oneDocument(silent);
    const odd = await mosaic(["fleet", "ps", "-f", healthy, "-o", "json"], env({ MOSAIC_LOG_LEVEL: "DEBUG" }));
    expect(odd.code).toBe(0);
    oneDocument(odd);
    // Level names are case-insensitive: DEBUG is debug.
    expect(records(odd).some((r) => r.step === "observe.proc")).toBe(true);
  });
});
