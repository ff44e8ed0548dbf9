// `mosaic fleet report` on a fleet run the production way: a private systemd user
// manager runs the contrib units (mosaic-fleet-holder.service owns the tmux server,
// mosaic-agent@good.service runs `mosaic agent stub`, which writes real heartbeats),
// both enabled. That fleet is COMPLIANT (exit 0, every format says so); an unmanaged
// session makes it not; and the contrib report timer + service run the report through
// the manager, exit 1 counting as success and exit 2 as failure.

import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTRIB_UNIT_DIR, startUserManager, type UserManager } from "../helpers/systemd.js";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import type { FleetStatus } from "../../src/diff/types.js";
import {
  BIN,
  agentOf,
  cliEnv,
  conditionOf,
  conditionSummary,
  localDefaults,
  mosaic,
  scratch,
  waitUntil,
  type Scratch,
} from "./fleet-support.js";
import {
  REPORT_FORMATS,
  chromiumDom,
  findAll,
  markdownTables,
  parseDom,
  parseJunit,
  parsePrometheus,
  promtoolCheck,
  textOf,
  warnMissing,
  writeTemp,
} from "./report-support.js";
import { skipOutsideCi } from "../helpers/skip.js";

type ReportDoc = FleetStatus & { summary: { verdict: string; agents: number; compliant: number; unmanaged: number } };

/** systemd's built-in PATH for user managers (systemd 252). */
const SYSTEMD_USER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

let tmux: TmuxServer | undefined;
let m: UserManager | null = null;
let s: Scratch;
let compliantRoster = "";
let driftedRoster = "";

const need = (ctx: { skip: (note?: string) => never }): { m: UserManager; tmux: TmuxServer } => {
  if (!m || !tmux) return skipOutsideCi(ctx, "no systemd user manager available (see the warning above)");
  return { m, tmux };
};

const env = (extra: Record<string, string | undefined> = {}) =>
  cliEnv({ ...(m?.env ?? {}), TMUX_TMPDIR: tmux?.tmpdir, MOSAIC_HOME: s.home, HOME: s.dir, ...extra });

beforeAll(async () => {
  s = scratch("mf-report-sd-");
  // No server yet: the holder unit starts it, so it lives in the holder's cgroup.
  tmux = await startTmuxServer("report-sd", { start: false });
  // The manager's environment reaches the holder, so the tmux server and every pane get
  // MOSAIC_HOME (the stub's heartbeats land in s.runDir). HOME: %h of the units.
  const managerEnv: Record<string, string> = { TMUX_TMPDIR: tmux.tmpdir, MOSAIC_HOME: s.home, HOME: s.dir };
  // bin/mosaic is `#!/usr/bin/env node`: under the manager's default PATH it must find node.
  const nodeDir = dirname(process.execPath);
  if (!SYSTEMD_USER_PATH.split(delimiter).includes(nodeDir)) managerEnv["PATH"] = `${nodeDir}:${SYSTEMD_USER_PATH}`;
  m = await startUserManager({ env: managerEnv });
  if (!m) return;
  await m.installContribUnits();
  // The supervised agent unit runs `$MOSAIC_BIN agent run good -- …`.
  await m.writeFleetEnv({ MOSAIC_FLEET_SOCKET: tmux.socket, TMUX_TMPDIR: tmux.tmpdir, MOSAIC_BIN: BIN });
  await m.writeAgentEnv("good", { MOSAIC_AGENT_COMMAND: `${BIN} agent stub` });
  const started = await m.systemctl("enable", "--now", "mosaic-fleet-holder.service", "mosaic-agent@good.service");
  expect(started.ok, started.message).toBe(true);
  const hb = join(s.runDir, "good.hb");
  expect(await waitUntil(() => existsSync(hb), 15_000), `no heartbeat from the stub at ${hb}`).toBe(true);

  const agents = [
    { name: "_holder", runtime: "shell", heartbeat: false, unit: "mosaic-fleet-holder.service" },
    { name: "good", runtime: "stub" },
  ];
  compliantRoster = s.roster("compliant.yaml", {
    version: 1,
    fleet: "report-sd",
    defaults: localDefaults(tmux.socket),
    agents,
  });
  driftedRoster = s.roster("drifted.yaml", {
    version: 1,
    fleet: "report-sd",
    defaults: localDefaults(tmux.socket),
    agents: [agents[0], { name: "good", runtime: "pi" }],
  });
}, 60_000);

afterAll(async () => {
  await m?.stop();
  await tmux?.kill();
  s?.cleanup();
});

/** Whether a format's output states COMPLIANT (and nothing contradicting it). */
async function saysCompliant(format: (typeof REPORT_FORMATS)[number], text: string): Promise<boolean> {
  switch (format) {
    case "json":
      return (JSON.parse(text) as ReportDoc).summary.verdict === "COMPLIANT";
    case "junit": {
      const doc = parseJunit(text);
      return doc.suites[0]?.properties["verdict"] === "COMPLIANT" && doc.failures === 0 && doc.errors === 0;
    }
    case "prometheus": {
      const tool = await promtoolCheck(text);
      if (tool !== null) expect(tool.code, tool.output).toBe(0);
      const { samples } = parsePrometheus(text);
      const verdict = samples.find((x) => x.name === "mosaic_fleet_verdict" && x.value === 1)?.labels["verdict"];
      return samples.find((x) => x.name === "mosaic_fleet_compliant")?.value === 1 && verdict === "COMPLIANT";
    }
    case "markdown": {
      markdownTables(text); // well-formed tables
      return /^# .*: COMPLIANT$/.test(text.split("\n")[0] ?? "");
    }
    case "html": {
      const dom = await chromiumDom(writeTemp(s.dir, "verdict.html", text));
      const source = dom === null ? text : dom;
      if (dom === null)
        warnMissing("/usr/bin/chromium", "the HTML verdict is read from the source, not from a browser's DOM");
      const title =
        dom === null ? (/<title>(.*)<\/title>/.exec(text)?.[1] ?? "") : textOf(findAll(parseDom(dom), "title")[0]!);
      return /: COMPLIANT$/.test(title) && source.includes("badge-COMPLIANT");
    }
  }
}

describe("a compliant fleet run by the contrib units", () => {
  it("fleet report exits 0 and every format says COMPLIANT", async (ctx) => {
    need(ctx);
    const json = await mosaic(["fleet", "report", "--format", "json", "-f", compliantRoster], env());
    expect(json.code, `${json.stderr}\n${json.stdout}`).toBe(0);
    const doc = JSON.parse(json.stdout) as ReportDoc;
    for (const agent of doc.agents) {
      expect(conditionSummary(agent), agent.name).toEqual({
        PaneDead: "False/PaneAlive",
        Stale: agent.name === "_holder" ? "False/HeartbeatNotExpected" : "False/HeartbeatFresh",
        Drift: "False/RuntimeMatches",
        BootDisabled: "False/UnitEnabled",
        UnitDown: "False/UnitActive",
        CrashLoop: "False/NotRestarting",
        AwaitingInput: agent.name === "_holder" ? "False/HeartbeatNotExpected" : "False/NotWaiting",
        NoProgress: agent.name === "_holder" ? "False/HeartbeatNotExpected" : "False/NotWorking",
      });
      expect(agent.unit, agent.name).toMatchObject({ active: "active", enabled: "enabled" });
    }
    expect(doc.agents.map((a) => a.name).sort()).toEqual(["_holder", "good"]);
    expect(doc.summary).toMatchObject({ verdict: "COMPLIANT", agents: 2, compliant: 2, unmanaged: 0 });
    expect(agentOf(doc, "good").heartbeat.state).toBe("healthy");
    expect(doc.unmanaged).toEqual([]);
    for (const format of REPORT_FORMATS) {
      const run = await mosaic(["fleet", "report", "--format", format, "-f", compliantRoster], env());
      expect(run.code, `${format}: ${run.stderr}`).toBe(0);
      expect(await saysCompliant(format, run.stdout), `${format} does not say COMPLIANT:\n${run.stdout}`).toBe(true);
    }
  }, 60_000);

  it("an unmanaged session: exit 1, and then no format may still say COMPLIANT", async (ctx) => {
    const { tmux } = need(ctx);
    await tmux.newSession("stray", ["sleep", "600"]);
    try {
      const disagreements: string[] = [];
      for (const format of REPORT_FORMATS) {
        const run = await mosaic(["fleet", "report", "--format", format, "-f", compliantRoster], env());
        expect(run.code, `${format}: ${run.stderr}`).toBe(1);
        expect(run.stdout).toMatch(/stray/);
        if (await saysCompliant(format, run.stdout)) disagreements.push(format);
      }
      // The exit code says "not compliant"; a report that says COMPLIANT contradicts it
      // (a Prometheus alert on mosaic_fleet_compliant, or a green JUnit suite, would miss it).
      expect(disagreements, "formats that say COMPLIANT while fleet report exits 1").toEqual([]);
    } finally {
      await tmux.tmux("kill-session", "-t", "=stray");
    }
  }, 60_000);
});

describe("the contrib report timer through the user manager", () => {
  const reportEnv = (vars: Record<string, string>) => {
    const dir = join(m!.mosaicHome, "fleet");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "report.env"),
      `${Object.entries(vars)
        .map(([k, v]) => `${k}=${v}`)
        .join("\n")}\n`,
    );
  };

  it("mosaic-fleet-report.timer fires, the service writes valid JSON, and exit 1 (non-compliant) is Result=success", async (ctx) => {
    const { m } = need(ctx);
    const out = join(s.dir, "timer-out");
    mkdirSync(out);
    const file = join(out, "report.json");
    reportEnv({
      MOSAIC_BIN: BIN,
      MOSAIC_ROSTER: driftedRoster,
      MOSAIC_REPORT_FORMAT: "json",
      MOSAIC_REPORT_OUTPUT: file,
    });
    copyFileSync(join(CONTRIB_UNIT_DIR, "mosaic-fleet-report.timer"), join(m.unitDir, "mosaic-fleet-report.timer"));
    // Only the schedule changes: fire one second after the timer starts, precisely.
    const dropIn = join(m.unitDir, "mosaic-fleet-report.timer.d");
    mkdirSync(dropIn, { recursive: true });
    writeFileSync(
      join(dropIn, "test.conf"),
      "[Timer]\nOnCalendar=\nOnActiveSec=1s\nAccuracySec=1ms\nRandomizedDelaySec=0\nPersistent=false\n",
    );
    expect((await m.systemctl("daemon-reload")).ok).toBe(true);
    const verify = await m.systemctl(
      "show",
      "-p",
      "LoadState",
      "mosaic-fleet-report.timer",
      "mosaic-fleet-report.service",
    );
    expect(verify.stdout).not.toMatch(/LoadState=(?!loaded)/);

    const started = await m.systemctl("start", "mosaic-fleet-report.timer");
    expect(started.ok, started.message).toBe(true);
    const t0 = Date.now();
    expect(
      await waitUntil(() => existsSync(file), 10_000),
      `no report at ${file} within 10 s; ${readFileSync(m.logFile, "utf8").slice(-2000)}`,
    ).toBe(true);
    // The unit is done when it is inactive again with an exit timestamp.
    const finished = async () => {
      const p = await m.show("mosaic-fleet-report.service", "ActiveState", "ExecMainExitTimestampMonotonic");
      return (
        p["ActiveState"] !== "activating" &&
        p["ActiveState"] !== "active" &&
        (p["ExecMainExitTimestampMonotonic"] ?? "0") !== "0"
      );
    };
    expect(await waitUntil(finished, 10_000)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(10_000);

    const doc = JSON.parse(readFileSync(file, "utf8")) as ReportDoc;
    expect(doc.summary.verdict).toBe("NONCOMPLIANT");
    expect(conditionOf(agentOf(doc, "good"), "Drift")).toMatchObject({ status: "True", reason: "RuntimeMismatch" });
    // Observed through the same manager: units visible, not SystemdUnavailable.
    expect(agentOf(doc, "good").unit).toMatchObject({ active: "active", enabled: "enabled" });
    const props = await m.show("mosaic-fleet-report.service", "Result", "ExecMainStatus", "ActiveState");
    expect(props).toMatchObject({ Result: "success", ExecMainStatus: "1", ActiveState: "inactive" });
    // %h is the manager's HOME (s.dir), never the real home.
    expect(existsSync(join(s.dir, ".local", "state", "mosaic"))).toBe(true);
    expect(readdirSync(out)).toEqual(["report.json"]);
    // It was the timer that started the service.
    const timer = await m.show("mosaic-fleet-report.timer", "LastTriggerUSec", "LastTriggerUSecMonotonic", "Triggers");
    expect(timer["Triggers"]).toBe("mosaic-fleet-report.service");
    // Never triggered reads "n/a" / "0"; a trigger is a timestamp / a time span.
    expect(timer["LastTriggerUSec"], JSON.stringify(timer)).not.toMatch(/^(n\/a|0|)$/);
    expect(timer["LastTriggerUSecMonotonic"], JSON.stringify(timer)).not.toMatch(/^(0|)$/);
    const stopped = await m.systemctl("stop", "mosaic-fleet-report.timer");
    expect(stopped.ok, stopped.message).toBe(true);
  }, 60_000);

  it("exit 2 (output directory missing) fails the service: Result=exit-code", async (ctx) => {
    const { m } = need(ctx);
    const file = join(s.dir, "no-such-dir", "report.json");
    reportEnv({
      MOSAIC_BIN: BIN,
      MOSAIC_ROSTER: compliantRoster,
      MOSAIC_REPORT_FORMAT: "json",
      MOSAIC_REPORT_OUTPUT: file,
    });
    await m.systemctl("reset-failed", "mosaic-fleet-report.service");
    const run = await m.systemctl("start", "mosaic-fleet-report.service");
    expect(run.ok).toBe(false); // oneshot: start waits, and reports the failure
    const props = await m.show("mosaic-fleet-report.service", "Result", "ExecMainStatus", "ActiveState");
    expect(props).toMatchObject({ Result: "exit-code", ExecMainStatus: "2", ActiveState: "failed" });
    expect(existsSync(join(s.dir, "no-such-dir"))).toBe(false);
    await m.systemctl("reset-failed", "mosaic-fleet-report.service");
  }, 60_000);

  it("a compliant fleet through the service: exit 0, Result=success, verdict COMPLIANT", async (ctx) => {
    const { m } = need(ctx);
    const out = join(s.dir, "service-ok");
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
    const file = join(out, "fleet.prom");
    reportEnv({
      MOSAIC_BIN: BIN,
      MOSAIC_ROSTER: compliantRoster,
      MOSAIC_REPORT_FORMAT: "prometheus",
      MOSAIC_REPORT_OUTPUT: file,
    });
    const run = await m.systemctl("start", "mosaic-fleet-report.service");
    expect(run.ok, `${run.message}\n${readFileSync(m.logFile, "utf8").slice(-2000)}`).toBe(true);
    const props = await m.show("mosaic-fleet-report.service", "Result", "ExecMainStatus");
    expect(props).toMatchObject({ Result: "success", ExecMainStatus: "0" });
    const { samples } = parsePrometheus(readFileSync(file, "utf8"));
    expect(samples.find((x) => x.name === "mosaic_fleet_compliant")?.value).toBe(1);
  }, 60_000);
});
