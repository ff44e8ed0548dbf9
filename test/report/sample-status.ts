// One fixed FleetStatus, written out by hand (no observer, no diff engine), that every
// report test renders: the production fleet of docs/json.md plus one agent in each
// other interesting state.

import type { AgentStatus, Condition, ConditionType, FixStep, FleetStatus } from "../../src/diff/types.js";

const TYPES: ConditionType[] = [
  "PaneDead",
  "Stale",
  "Drift",
  "BootDisabled",
  "UnitDown",
  "CrashLoop",
  "AwaitingInput",
  "NoProgress",
];

/** All five conditions; `over` replaces the ones a row is about. Default: False, all fine. */
function conds(
  over: Partial<Record<ConditionType, [Condition["status"], Condition["reason"], string]>> = {},
): Condition[] {
  const fine: Record<ConditionType, [Condition["status"], Condition["reason"], string]> = {
    PaneDead: ["False", "PaneAlive", "pane is running"],
    Stale: ["False", "HeartbeatFresh", "last heartbeat 3s ago"],
    Drift: ["False", "RuntimeMatches", "pane runs the roster's runtime"],
    BootDisabled: ["False", "UnitEnabled", "unit is enabled"],
    UnitDown: ["False", "UnitActive", "unit is active (exited)"],
    CrashLoop: ["False", "NotRestarting", "0 restarts"],
    AwaitingInput: ["False", "NotWaiting", "status idle"],
    NoProgress: ["False", "NotWorking", "status idle"],
  };
  return TYPES.map((type) => {
    const [status, reason, message] = over[type] ?? fine[type];
    return { type, status, reason, message };
  });
}

function agent(a: Partial<AgentStatus> & { name: string }): AgentStatus {
  return {
    tenant_id: "jarvis",
    host: "W-jarvis",
    lifecycle: "core",
    socket: "mosaic-factory",
    runtime: { desired: "stub", actual: "stub", command: "python3 dogfood-agent.py" },
    unit: {
      name: `mosaic-agent@${a.name}.service`,
      active: "active",
      sub: "exited",
      enabled: "enabled",
      load: "loaded",
    },
    pane: { state: "alive", target: "%5", pid: 4251, command: "python3", idle_s: 4 },
    heartbeat: { state: "healthy", age_s: 1.2, pid: 4260, status: "idle", interval_s: 15, expected: true, seq: 9 },
    conditions: conds(),
    ...a,
  };
}

export function sampleStatus(): FleetStatus {
  const notEnabled = (unit: string): [Condition["status"], Condition["reason"], string] => [
    "True",
    "UnitNotEnabled",
    `${unit} is active but disabled: it will not come back after a reboot`,
  ];
  return {
    apiVersion: "mosaic.fleet/v1",
    kind: "FleetStatus",
    fleet: "mosaic-factory",
    roster: "roster/mosaic-factory.yaml",
    observedAt: "2026-06-20T12:00:00.000Z",
    host: "W-jarvis",
    tenant_id: "jarvis",
    agents: [
      agent({
        name: "_holder",
        runtime: { desired: "shell", actual: "shell", command: "-bash" },
        unit: {
          name: "mosaic-fleet-holder.service",
          active: "active",
          sub: "exited",
          enabled: "disabled",
          load: "loaded",
        },
        pane: { state: "alive", target: "%0", pid: 4170, command: "bash", idle_s: 180 },
        heartbeat: { state: "unknown", age_s: null, pid: null, status: null, interval_s: 15, expected: false },
        conditions: conds({
          Stale: ["False", "HeartbeatNotExpected", "roster expects no heartbeat"],
          BootDisabled: notEnabled("mosaic-fleet-holder.service"),
        }),
      }),
      agent({
        name: "canary-pi",
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
        conditions: conds({
          Drift: ["True", "RuntimeMismatch", "roster runtime pi, pane runs stub (python3 dogfood-agent.py)"],
          BootDisabled: notEnabled("mosaic-agent@canary-pi.service"),
        }),
      }),
      agent({ name: "dogfood-coder" }),
      agent({
        name: "dogfood-reviewer",
        pane: { state: "dead", target: "%6", pid: 4301, command: "python3", idle_s: 7200, exit_status: 1 },
        runtime: { desired: "stub", actual: null, command: null },
        heartbeat: { state: "stale", age_s: 5400, pid: 4310, status: "busy", interval_s: 15, expected: true },
        conditions: conds({
          PaneDead: ["True", "ProcessExited", "pane %6 process exited with status 1"],
          Stale: ["True", "HeartbeatPidGone", "heartbeat pid 4310 is not running"],
          Drift: ["Unknown", "NoProcess", "no running process in the pane to compare"],
        }),
      }),
      agent({
        name: "worker-1",
        lifecycle: "ephemeral",
        runtime: { desired: "codex", actual: null, command: null },
        unit: {
          name: "mosaic-agent@worker-1.service",
          active: "inactive",
          sub: "dead",
          enabled: "disabled",
          load: "loaded",
        },
        pane: { state: "missing", target: null, pid: null, command: null, idle_s: null },
        heartbeat: { state: "unknown", age_s: null, pid: null, status: null, interval_s: 15, expected: true },
        conditions: conds({
          PaneDead: ["False", "NotScheduled", "ephemeral agent is not running"],
          Stale: ["False", "NotScheduled", "ephemeral agent is not running"],
          Drift: ["False", "NotScheduled", "ephemeral agent is not running"],
          BootDisabled: ["False", "BootNotRequired", "ephemeral agents are not started at boot"],
          UnitDown: ["False", "NotScheduled", "ephemeral mosaic-agent@worker-1.service is inactive"],
        }),
      }),
      agent({
        name: "far-away",
        host: "W-other",
        runtime: { desired: "claude", actual: null, command: null },
        unit: {
          name: "mosaic-agent@far-away.service",
          active: "unknown",
          sub: "unknown",
          enabled: "unknown",
          load: "unknown",
        },
        pane: { state: "unknown", target: null, pid: null, command: null, idle_s: null },
        heartbeat: { state: "unknown", age_s: null, pid: null, status: null, interval_s: 15, expected: true },
        conditions: TYPES.map((type) => ({
          type,
          status: "Unknown",
          reason: "RemoteHost",
          message: "agent runs on host W-other; this is W-jarvis",
        })),
      }),
    ],
    unmanaged: [{ session: "scratch", socket: "mosaic-factory", tenant_id: "jarvis", host: "W-jarvis" }],
    sources: [],
  };
}

export function sampleFixPlan(): FixStep[] {
  const who = (agent: string) => ({ agent, tenant_id: "jarvis", host: "W-jarvis" });
  return [
    {
      ...who("_holder"),
      condition: "BootDisabled",
      argv: ["systemctl", "--user", "enable", "mosaic-fleet-holder.service"],
      disruptive: false,
      why: "mosaic-fleet-holder.service is active but disabled; enabling makes it start at boot without touching the running agent",
    },
    {
      ...who("canary-pi"),
      condition: "BootDisabled",
      argv: ["systemctl", "--user", "enable", "mosaic-agent@canary-pi.service"],
      disruptive: false,
      why: "mosaic-agent@canary-pi.service is active but disabled; enabling makes it start at boot without touching the running agent",
    },
    {
      ...who("canary-pi"),
      condition: "Drift",
      argv: ["systemctl", "--user", "restart", "mosaic-agent@canary-pi.service"],
      disruptive: true,
      why: "roster runtime pi, pane runs stub (python3 dogfood-agent.py); restart so the unit starts the roster's runtime",
    },
    {
      ...who("dogfood-reviewer"),
      condition: "PaneDead",
      argv: ["systemctl", "--user", "restart", "mosaic-agent@dogfood-reviewer.service"],
      disruptive: true,
      why: "pane %6 process exited with status 1; the unit is still active, so restart the unit to recreate the pane",
    },
  ];
}
