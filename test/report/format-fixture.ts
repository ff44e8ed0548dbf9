import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import type { AgentStatus, Condition, ConditionType, FleetStatus } from "../../src/diff/types.js";
import type { HistoryEntry } from "../../src/report/history.js";

// One fixed FleetStatus for every report format's golden file: a compliant agent, the
// drifted canary-pi (Drift and BootDisabled True), a remote agent (all Unknown), an
// agent without a heartbeat (Stale Unknown), an unmanaged session and a fix plan.

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), "golden-formats");

/** Compare with a golden file; `UPDATE_GOLDEN=1` rewrites it. */
export function expectGolden(name: string, actual: string): void {
  const path = join(GOLDEN_DIR, name);
  if (process.env["UPDATE_GOLDEN"] === "1") {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(path, actual);
  }
  if (!existsSync(path))
    throw new Error(`golden file ${path} is missing: run UPDATE_GOLDEN=1 npx vitest run test/report/format-`);
  expect(actual).toBe(readFileSync(path, "utf8"));
}

const FALSE_REASONS: Record<ConditionType, Condition> = {
  PaneDead: { type: "PaneDead", status: "False", reason: "PaneAlive", message: "pane %1 is alive" },
  Stale: { type: "Stale", status: "False", reason: "HeartbeatFresh", message: "heartbeat 3s old (limit 45s)" },
  Drift: { type: "Drift", status: "False", reason: "RuntimeMatches", message: "pane runs shell (bash)" },
  BootDisabled: { type: "BootDisabled", status: "False", reason: "UnitEnabled", message: "unit is enabled" },
  UnitDown: { type: "UnitDown", status: "False", reason: "UnitActive", message: "unit is active" },
  CrashLoop: { type: "CrashLoop", status: "False", reason: "NotRestarting", message: "0 restarts" },
  AwaitingInput: { type: "AwaitingInput", status: "False", reason: "NotWaiting", message: "status idle" },
  NoProgress: { type: "NoProgress", status: "False", reason: "NotWorking", message: "status idle" },
};

function conditions(overrides: Partial<Record<ConditionType, Condition>>): Condition[] {
  return (Object.keys(FALSE_REASONS) as ConditionType[]).map((type) => overrides[type] ?? FALSE_REASONS[type]);
}

export function agent(name: string, overrides: Partial<AgentStatus> = {}): AgentStatus {
  return {
    name,
    tenant_id: "jarvis",
    host: "W-jarvis",
    lifecycle: "core",
    socket: "mosaic-factory",
    runtime: { desired: "shell", actual: "shell", command: "bash" },
    unit: {
      name: `mosaic-agent@${name}.service`,
      active: "active",
      sub: "running",
      enabled: "enabled",
      load: "loaded",
    },
    pane: { state: "alive", target: "%1", pid: 4100, command: "bash", idle_s: 40 },
    heartbeat: { state: "healthy", age_s: 3, pid: 4101, status: "idle", interval_s: 15, expected: true },
    conditions: conditions({}),
    ...overrides,
  };
}

function unknownEverywhere(reason: Condition["reason"], message: string): Condition[] {
  return (Object.keys(FALSE_REASONS) as ConditionType[]).map((type) => ({ type, status: "Unknown", reason, message }));
}

export function fixtureStatus(): FleetStatus {
  return {
    apiVersion: "mosaic.fleet/v1",
    kind: "FleetStatus",
    fleet: "mosaic-factory",
    roster: "/home/jarvis/.config/mosaic/fleet/roster.yaml",
    observedAt: "2026-06-20T12:00:00.000Z",
    host: "W-jarvis",
    tenant_id: "jarvis",
    agents: [
      agent("_holder", {
        heartbeat: { state: "unknown", age_s: null, pid: null, status: null, interval_s: 15, expected: false },
        conditions: conditions({
          Stale: {
            type: "Stale",
            status: "False",
            reason: "HeartbeatNotExpected",
            message: "roster sets heartbeat: false",
          },
        }),
      }),
      agent("canary-pi", {
        runtime: { desired: "pi", actual: "stub", command: "python3 dogfood-agent.py" },
        unit: {
          name: "mosaic-agent@canary-pi.service",
          active: "active",
          sub: "exited",
          enabled: "disabled",
          load: "loaded",
        },
        pane: { state: "alive", target: "%3", pid: 4242, command: "python3", idle_s: 12 },
        heartbeat: { state: "healthy", age_s: 3.1, pid: 4250, status: "idle", interval_s: 15, expected: true },
        conditions: conditions({
          Drift: {
            type: "Drift",
            status: "True",
            reason: "RuntimeMismatch",
            message: "roster runtime pi, pane runs stub (python3 dogfood-agent.py | tee `log`)",
          },
          BootDisabled: {
            type: "BootDisabled",
            status: "True",
            reason: "UnitNotEnabled",
            message: "unit is active but disabled at boot",
          },
        }),
      }),
      agent("worker-remote", {
        host: "W-other",
        unit: {
          name: "mosaic-agent@worker-remote.service",
          active: "unknown",
          sub: "unknown",
          enabled: "unknown",
          load: "unknown",
        },
        pane: { state: "unknown", target: null, pid: null, command: null, idle_s: null },
        heartbeat: { state: "unknown", age_s: null, pid: null, status: null, interval_s: 15, expected: true },
        runtime: { desired: "codex", actual: null, command: null },
        conditions: unknownEverywhere("RemoteHost", "agent runs on host W-other; this is W-jarvis"),
      }),
      agent("dogfood-coder", {
        runtime: { desired: "stub", actual: "stub", command: "mosaic agent stub" },
        heartbeat: { state: "unknown", age_s: null, pid: null, status: null, interval_s: 15, expected: true },
        conditions: conditions({
          Stale: {
            type: "Stale",
            status: "Unknown",
            reason: "NoHeartbeat",
            message: "no heartbeat file run/dogfood-coder.hb",
          },
          AwaitingInput: {
            type: "AwaitingInput",
            status: "Unknown",
            reason: "NoHeartbeat",
            message: "no fresh heartbeat to tell: no heartbeat file dogfood-coder.hb",
          },
          NoProgress: {
            type: "NoProgress",
            status: "Unknown",
            reason: "NoHeartbeat",
            message: "no fresh heartbeat to tell: no heartbeat file dogfood-coder.hb",
          },
        }),
      }),
      agent("asks-operator", {
        runtime: { desired: "claude", actual: "claude", command: "claude" },
        heartbeat: {
          state: "healthy",
          age_s: 2,
          pid: 4301,
          status: "waiting",
          interval_s: 15,
          expected: true,
          since: 1781956680,
          note: "Claude needs your permission to use Bash",
        },
        conditions: conditions({
          AwaitingInput: {
            type: "AwaitingInput",
            status: "True",
            reason: "WaitingForOperator",
            message: "waiting for the operator for 2m: Claude needs your permission to use Bash",
          },
        }),
      }),
      agent("stuck-worker", {
        heartbeat: {
          state: "healthy",
          age_s: 4,
          pid: 4401,
          status: "working",
          interval_s: 15,
          expected: true,
          since: 1781949600,
        },
        pane: { state: "alive", target: "%7", pid: 4400, command: "bash", idle_s: 2400 },
        conditions: conditions({
          NoProgress: {
            type: "NoProgress",
            status: "True",
            reason: "NoActivity",
            message:
              "working, but no pane output or status change since 2026-06-20T11:20:00Z (40m, more than attention.progress_timeout 30m)",
          },
        }),
      }),
      agent("died-early", {
        pane: {
          state: "dead",
          target: "%9",
          pid: 4500,
          command: null,
          idle_s: 60,
          exit_status: 1,
          exit: { status: 1, signal: null, lastLines: ["stdin is not a terminal"] },
        },
        heartbeat: { state: "stale", age_s: 60, pid: 4501, status: "idle", interval_s: 15, expected: true },
        conditions: conditions({
          PaneDead: {
            type: "PaneDead",
            status: "True",
            reason: "ProcessExited",
            message: "pane %9 process exited with status 1; last output: stdin is not a terminal",
          },
          Stale: {
            type: "Stale",
            status: "True",
            reason: "HeartbeatPidGone",
            message: "heartbeat pid 4501 is not running",
          },
          AwaitingInput: {
            type: "AwaitingInput",
            status: "Unknown",
            reason: "HeartbeatPidGone",
            message: "no fresh heartbeat to tell: heartbeat pid 4501 is not running",
          },
          NoProgress: {
            type: "NoProgress",
            status: "False",
            reason: "NoProcess",
            message: "no running pane; PaneDead covers it",
          },
        }),
      }),
    ],
    unmanaged: [{ session: "scratch", socket: "mosaic-factory", tenant_id: "jarvis", host: "W-jarvis" }],
    sources: [],
    fixPlan: [
      {
        agent: "canary-pi",
        tenant_id: "jarvis",
        host: "W-jarvis",
        condition: "BootDisabled",
        argv: ["systemctl", "--user", "enable", "mosaic-agent@canary-pi.service"],
        disruptive: false,
        why: "unit is active but disabled at boot; enabling makes it start at boot without touching the running agent",
      },
      {
        agent: "canary-pi",
        tenant_id: "jarvis",
        host: "W-jarvis",
        condition: "Drift",
        argv: ["systemctl", "--user", "restart", "mosaic-agent@canary-pi.service"],
        disruptive: true,
        why: "roster runtime pi, pane runs stub; restart so the unit starts the roster's runtime",
      },
    ],
  };
}

/** A fleet with no agents: every format must say UNKNOWN. */
export function emptyStatus(): FleetStatus {
  return { ...fixtureStatus(), agents: [], unmanaged: [], fixPlan: [] };
}

/** Terminal escapes and markup in an agent name, a session name and a condition message. */
export const HOSTILE_NAME = "evil\x1b]52;c;cm0gLXJmIH4=\x07<script>alert(1)</script>|`x`";
export const HOSTILE_MESSAGE =
  "\x1b]0;pwned title\x07\x1b[31mred\x1b[0m & \"q\" 'a' </failure> ]]> | a\nb \u009b2J \u0000 \uffff \ud800 end";

export function hostileStatus(): FleetStatus {
  const base = fixtureStatus();
  return {
    ...base,
    agents: [
      agent(HOSTILE_NAME, {
        runtime: { desired: "pi", actual: "stub", command: HOSTILE_MESSAGE },
        conditions: conditions({
          Drift: { type: "Drift", status: "True", reason: "RuntimeMismatch", message: HOSTILE_MESSAGE },
        }),
      }),
    ],
    unmanaged: [{ session: HOSTILE_NAME, socket: "mosaic-factory", tenant_id: "jarvis", host: "W-jarvis" }],
    sources: [
      { source: "tmux", tenant_id: "jarvis", host: "W-jarvis", reason: "TmuxUnavailable", message: HOSTILE_MESSAGE },
    ],
    fixPlan: [
      {
        agent: HOSTILE_NAME,
        tenant_id: "jarvis",
        host: "W-jarvis",
        condition: "Drift",
        argv: ["systemctl", "--user", "restart", `mosaic-agent@${HOSTILE_NAME}.service`],
        disruptive: true,
        why: HOSTILE_MESSAGE,
      },
    ],
  };
}

export function fixtureHistory(): HistoryEntry[] {
  const run = (observedAt: string, compliant: number, nonCompliant: number, unknown: number): HistoryEntry => {
    const agents = compliant + nonCompliant + unknown;
    const verdict = nonCompliant > 0 ? "NONCOMPLIANT" : unknown > 0 || agents === 0 ? "UNKNOWN" : "COMPLIANT";
    return { observedAt, fleet: "mosaic-factory", agents, compliant, nonCompliant, unknown, unmanaged: 0, verdict };
  };
  return [
    run("2026-06-20T09:00:00.000Z", 4, 0, 0),
    run("2026-06-20T10:00:00.000Z", 0, 0, 0),
    run("2026-06-20T11:00:00.000Z", 2, 1, 1),
    run("2026-06-20T12:00:00.000Z", 1, 1, 2),
  ];
}

/** The path of an optional external checker (promtool, xmllint, chromium), or null. */
export function findTool(name: string, candidates: readonly string[] = []): string | null {
  const dirs = (process.env["PATH"] ?? "").split(":").filter(Boolean);
  for (const path of [...candidates, ...dirs.map((dir) => join(dir, name))]) {
    if (existsSync(path)) return path;
  }
  return null;
}

/** Say loudly, once per file, that a check is skipped and how to enable it. */
export function warnMissingTool(name: string, install: string): void {
  const line = "!".repeat(78);
  console.warn(
    `\n${line}\n!! SKIPPED: ${name} is not installed, so its checks did not run.\n!! Install it with: ${install}\n${line}\n`,
  );
}

/** No raw C0/C1 control character (other than newline) may reach a report. */
// eslint-disable-next-line no-control-regex
export const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
