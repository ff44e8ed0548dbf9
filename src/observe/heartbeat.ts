import { readHeartbeats } from "../heartbeat/index.js";
import { clockMs, log } from "../log.js";
import type { HeartbeatObservation } from "./types.js";

// The heartbeat observer: the fleet's heartbeat files read through the protocol's own
// reader (src/heartbeat/), timed like every other source. No subprocess.

/** Read one tenant's expected heartbeats from its run directory, as `uid` must own them. */
export function observeHeartbeats(
  where: { tenant: string; host: string },
  runDir: string,
  names: readonly string[],
  uid: number,
): Map<string, HeartbeatObservation> {
  const started = clockMs();
  const heartbeats = readHeartbeats(runDir, names, { uid });
  log(
    "debug",
    {
      step: "observe.heartbeat",
      tenant_id: where.tenant,
      host: where.host,
      files: heartbeats.size,
      ms: Math.round(clockMs() - started),
    },
    "observe.heartbeat done",
  );
  return heartbeats;
}
