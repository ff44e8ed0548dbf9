import { MAX_PID, STATUS_RE, heartbeatFileName, type HeartbeatInvalidReason } from "../heartbeat/index.js";
import type { AgentSpec } from "../spec/index.js";
import type { AgentFacts, HeartbeatState, Reason } from "./types.js";

// Heartbeat health (docs/heartbeat.md, Health rule): healthy while now - ts <= 3 × interval and the
// writer's pid is alive and is the process that wrote it; a timestamp from the future
// is a clock anomaly, never healthy.

export const STALE_AFTER_INTERVALS = 3;
/** Small clock differences between writer and reader are not anomalies. */
export const FUTURE_TOLERANCE_S = 5;
/** A pid's start time is read in clock ticks; allow that much slack against `ts`. */
const START_SLACK_MS = 2_000;

export interface HeartbeatHealth {
  state: HeartbeatState;
  reason: Reason;
  message: string;
  ageS: number | null;
}

const INVALID_REASON: Record<HeartbeatInvalidReason, Reason> = {
  Malformed: "HeartbeatMalformed",
  Untrusted: "HeartbeatUntrusted",
  Symlink: "HeartbeatUntrusted",
  NotRegularFile: "HeartbeatUnreadable",
  TooLarge: "HeartbeatUnreadable",
  ReadError: "HeartbeatUnreadable",
};

/** The protocol's bounds (what the parser enforces), checked again for records built elsewhere. */
function wellFormed(record: { ts: number; pid: number; status: string }): boolean {
  return (
    Number.isSafeInteger(record.ts) &&
    record.ts >= 0 &&
    record.ts < 1e12 &&
    Number.isSafeInteger(record.pid) &&
    record.pid > 0 &&
    record.pid <= MAX_PID &&
    STATUS_RE.test(record.status)
  );
}

/** Judge one agent's heartbeat at `nowMs`. */
export function heartbeatHealth(agent: AgentSpec, facts: AgentFacts, nowMs: number): HeartbeatHealth {
  const hb = facts.heartbeat;
  if (hb.state === "missing") {
    return {
      state: "unknown",
      reason: "NoHeartbeat",
      message: `no heartbeat file ${heartbeatFileName(agent.name)}`,
      ageS: null,
    };
  }
  if (hb.state === "invalid") {
    return { state: "unknown", reason: INVALID_REASON[hb.reason], message: hb.message, ageS: null };
  }
  const { record } = hb;
  // The parser guarantees these; a record built any other way is judged the same.
  if (!wellFormed(record)) {
    return { state: "unknown", reason: "HeartbeatMalformed", message: "heartbeat record is malformed", ageS: null };
  }
  // Judge on the exact age; round only what is shown. No usable clock, no verdict.
  if (!Number.isFinite(nowMs))
    return { state: "unknown", reason: "ClockAnomaly", message: "the clock gave no usable time", ageS: null };
  const exactAgeS = nowMs / 1000 - record.ts;
  const ageS = Math.round(exactAgeS * 10) / 10;
  const limit = STALE_AFTER_INTERVALS * agent.heartbeat.intervalS;
  const writer = facts.heartbeatProcess;
  // A dead writer is stale whatever its ts claims (docs/heartbeat.md).
  if (writer === null) {
    return { state: "stale", reason: "HeartbeatPidGone", message: `heartbeat pid ${record.pid} is not running`, ageS };
  }
  if (exactAgeS < -FUTURE_TOLERANCE_S) {
    return {
      state: "unknown",
      reason: "ClockAnomaly",
      message: `heartbeat ts is ${Math.round(-ageS)}s in the future (clock anomaly)`,
      ageS,
    };
  }
  if (writer.startedAtMs > record.ts * 1000 + START_SLACK_MS) {
    return {
      state: "stale",
      reason: "HeartbeatPidReused",
      message: `heartbeat pid ${record.pid} now belongs to a process started after the heartbeat (${writer.comm})`,
      ageS,
    };
  }
  if (exactAgeS > limit) {
    return {
      state: "stale",
      reason: "HeartbeatExpired",
      message: `last heartbeat ${Math.round(ageS)}s ago, more than 3 × ${agent.heartbeat.intervalS}s`,
      ageS,
    };
  }
  return {
    state: "healthy",
    reason: "HeartbeatFresh",
    message: `last heartbeat ${Math.max(0, Math.round(ageS))}s ago`,
    ageS: Math.max(0, ageS),
  };
}
