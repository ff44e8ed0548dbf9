// The heartbeat protocol's one home (docs/heartbeat.md): the run directory's layout,
// the line grammar, the writer agents use, the reader observers use, and both ends of
// the probe. Other folders import it through this file.

export {
  agentOfHeartbeatFile,
  heartbeatFileName,
  heartbeatPath,
  isHeartbeatPath,
  probeFileName,
  probePath,
  runDirOf,
  sendLockPath,
} from "./layout.js";
export {
  AGENT_STATUSES,
  formatHeartbeat,
  MAX_HEARTBEAT_BYTES,
  MAX_PID,
  parseHeartbeat,
  STATUS_RE,
  TOKEN_RE,
  type AgentStatusWord,
  type HeartbeatLine,
  type HeartbeatParseResult,
} from "./grammar.js";
export type { HeartbeatInvalidReason, HeartbeatObservation, HeartbeatRecord } from "./types.js";
export { ensurePrivateRunDir, RunDirRefused } from "./run-dir.js";
export { HeartbeatWriter, writeHeartbeatFile, type HeartbeatWriterOptions } from "./writer.js";
export { checkRunDir, readHeartbeat, readHeartbeats, type HeartbeatReadOptions } from "./reader.js";
export { PROBE_NONCE_RE, readProbe } from "./probe-file.js";

/** `probeHeartbeats`: the prober's end of the probe, loaded on first use. */
export const heartbeatProber = () => import("./prober.js");
