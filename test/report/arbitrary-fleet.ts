// fast-check arbitraries for the human renderers' property tests: fleets of random
// agents whose names mix ASCII, East Asian wide characters, combining marks, emoji
// sequences and control bytes (up to 64 characters), in every condition state.

import fc from "fast-check";
import type {
  AgentStatus,
  Condition,
  ConditionStatus,
  ConditionType,
  FleetStatus,
  Reason,
} from "../../src/diff/types.js";
import { CONDITION_TYPES } from "../../src/diff/types.js";

/** Pieces a name is built from: each is one or more characters of a different width class. */
const NAME_PIECES = [
  "a",
  "Z",
  "7",
  "-",
  "_",
  ".",
  "漢",
  "字",
  "Ａ",
  "ｶ",
  "e\u0301",
  "a\u0308",
  "🙂",
  "👩‍💻",
  "🇩🇪",
  "\u001b",
  "\u0007",
  " ",
  "é",
  "ß",
];

export const arbName: fc.Arbitrary<string> = fc
  .array(fc.constantFrom(...NAME_PIECES), { minLength: 1, maxLength: 64 })
  .map((pieces) => pieces.join(""))
  .filter((name) => [...name].length <= 64);

const FALSE_REASON: Record<ConditionType, Reason> = {
  PaneDead: "PaneAlive",
  Stale: "HeartbeatFresh",
  Drift: "RuntimeMatches",
  BootDisabled: "UnitEnabled",
  UnitDown: "UnitActive",
  CrashLoop: "NotRestarting",
  AwaitingInput: "NotWaiting",
  NoProgress: "NotWorking",
};
const TRUE_REASON: Record<ConditionType, Reason> = {
  PaneDead: "ProcessExited",
  Stale: "HeartbeatExpired",
  Drift: "RuntimeMismatch",
  BootDisabled: "UnitNotEnabled",
  UnitDown: "UnitFailed",
  CrashLoop: "RestartLoop",
  AwaitingInput: "WaitingForOperator",
  NoProgress: "NoActivity",
};
const UNKNOWN_REASONS: Reason[] = [
  "RemoteHost",
  "TenantNotVisible",
  "TmuxUnavailable",
  "TmuxTimeout",
  "SystemdUnavailable",
  "NoProcess",
  "NoHeartbeat",
];

function condition(type: ConditionType, status: ConditionStatus, unknownReason: Reason): Condition {
  const reason = status === "False" ? FALSE_REASON[type] : status === "True" ? TRUE_REASON[type] : unknownReason;
  return { type, status, reason, message: `${type} is ${status} (${reason})` };
}

/** All five conditions, each False, True or Unknown (the Unknown ones with one of a few reasons). */
export const arbConditions: fc.Arbitrary<Condition[]> = fc
  .tuple(
    fc.array(fc.constantFrom<ConditionStatus>("True", "False", "Unknown"), {
      minLength: CONDITION_TYPES.length,
      maxLength: CONDITION_TYPES.length,
    }),
    fc.array(fc.constantFrom(...UNKNOWN_REASONS), {
      minLength: CONDITION_TYPES.length,
      maxLength: CONDITION_TYPES.length,
    }),
  )
  .map(([statuses, reasons]) => CONDITION_TYPES.map((type, i) => condition(type, statuses[i]!, reasons[i]!)));

/** The same five conditions, all False: a healthy agent. */
export function allFalse(): Condition[] {
  return CONDITION_TYPES.map((type) => condition(type, "False", "RemoteHost"));
}

export const arbAgent: fc.Arbitrary<AgentStatus> = fc
  .record({
    name: arbName,
    tenant: fc.constantFrom("jarvis", "alice", "a-rather-long-tenant-name"),
    host: fc.constantFrom("W-jarvis", "W-other", "build-host-with-a-long-name-01"),
    desired: fc.constantFrom("claude", "codex", "pi", "shell", "stub"),
    actual: fc.option(fc.constantFrom("claude", "codex", "stub", "bash"), { nil: null }),
    command: fc.option(fc.string({ maxLength: 40 }), { nil: null }),
    active: fc.constantFrom("active", "inactive", "failed", "activating", "unknown"),
    enabled: fc.constantFrom("enabled", "disabled", "static", "masked", "unknown", "linked-runtime"),
    pane: fc.constantFrom("alive", "dead", "missing", "unknown"),
    pid: fc.option(fc.integer({ min: 1, max: 4_194_304 }), { nil: null }),
    idle: fc.option(fc.integer({ min: 0, max: 10_000_000 }), { nil: null }),
    hbState: fc.constantFrom("healthy", "stale", "unknown"),
    age: fc.option(fc.double({ min: -100, max: 1e7, noNaN: true }), { nil: null }),
    expected: fc.boolean(),
    probe: fc.option(
      fc.record({ answered: fc.boolean(), rtt_ms: fc.option(fc.integer({ min: 0, max: 60_000 }), { nil: null }) }),
      { nil: undefined },
    ),
    conditions: arbConditions,
  })
  .map((r) => {
    const agent: AgentStatus = {
      name: r.name,
      tenant_id: r.tenant,
      host: r.host,
      lifecycle: "core",
      socket: "mosaic-factory",
      runtime: { desired: r.desired, actual: r.actual, command: r.command },
      unit: {
        name: `mosaic-agent@${r.name}.service`,
        active: r.active,
        sub: "running",
        enabled: r.enabled,
        load: "loaded",
      },
      pane: { state: r.pane, target: r.pid === null ? null : "%1", pid: r.pid, command: null, idle_s: r.idle },
      heartbeat: {
        state: r.hbState,
        age_s: r.age,
        pid: null,
        status: null,
        interval_s: 15,
        expected: r.expected,
        ...(r.probe === undefined ? {} : { probe: r.probe }),
      },
      conditions: r.conditions,
    };
    return agent;
  });

/** A status around the given agents, on host W-jarvis. */
export function statusOf(
  agents: AgentStatus[],
  extra: Partial<Pick<FleetStatus, "unmanaged" | "sources">> = {},
): FleetStatus {
  return {
    apiVersion: "mosaic.fleet/v1",
    kind: "FleetStatus",
    fleet: "mosaic-factory",
    roster: "/home/jarvis/.config/mosaic/fleet/roster.yaml",
    observedAt: "2026-06-20T12:00:00.000Z",
    tenant_id: "jarvis",
    host: "W-jarvis",
    agents,
    unmanaged: extra.unmanaged ?? [],
    sources: extra.sources ?? [],
  };
}

export const arbFleet: fc.Arbitrary<FleetStatus> = fc
  .record({
    agents: fc.uniqueArray(arbAgent, { maxLength: 12, selector: (a) => a.name }),
    unmanaged: fc.array(
      fc.record({
        session: arbName,
        socket: fc.constant("mosaic-factory"),
        tenant_id: fc.constant("jarvis"),
        host: fc.constant("W-jarvis"),
      }),
      { maxLength: 2 },
    ),
    sources: fc.array(
      fc.record({
        source: fc.constantFrom("tmux", "systemd"),
        tenant_id: fc.constant("jarvis"),
        host: fc.constant("W-jarvis"),
        reason: fc.constantFrom<Reason>("TmuxUnavailable", "SystemdUnavailable"),
        message: fc.string({ maxLength: 120 }),
      }),
      { maxLength: 2 },
    ),
  })
  .map(({ agents, unmanaged, sources }) => statusOf(agents, { unmanaged, sources }));
