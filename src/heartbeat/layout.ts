import { join } from "node:path";

// The run directory's layout (docs/heartbeat.md): `$MOSAIC_HOME/fleet/run` holds one
// `NAME.hb` per agent (written by the agent), one `NAME.probe` per pending probe
// (written by an observer) and one `NAME.send.lock` per sender. Every file name is
// built here, so the writer, the reader, the prober and the watcher cannot disagree.

/** Where an agent's heartbeats live under one MOSAIC_HOME: `$MOSAIC_HOME/fleet/run`. */
export function runDirOf(mosaicHome: string): string {
  return join(mosaicHome, "fleet", "run");
}

const HB = ".hb";
const PROBE = ".probe";

/** `NAME.hb`: the agent's one heartbeat line. */
export function heartbeatFileName(name: string): string {
  return `${name}${HB}`;
}

/** `NAME.probe`: an observer's nonce waiting for the agent's echo. */
export function probeFileName(name: string): string {
  return `${name}${PROBE}`;
}

/** `RUNDIR/NAME.hb`. */
export function heartbeatPath(runDir: string, name: string): string {
  return join(runDir, heartbeatFileName(name));
}

/** `RUNDIR/NAME.probe`. */
export function probePath(runDir: string, name: string): string {
  return join(runDir, probeFileName(name));
}

/** `RUNDIR/NAME.send.lock`: the lock that serialises `agent send` per agent. */
export function sendLockPath(runDir: string, name: string): string {
  return join(runDir, `${name}.send.lock`);
}

/** The agent a run-directory entry is the heartbeat of (`NAME.hb` → NAME), else null. */
export function agentOfHeartbeatFile(file: string): string | null {
  return file.endsWith(HB) && file.length > HB.length && !file.startsWith(".") ? file.slice(0, -HB.length) : null;
}

/** Whether a path (or file name) is a heartbeat file, for watchers that see whole paths. */
export function isHeartbeatPath(path: string): boolean {
  return path.endsWith(HB);
}

// Temp files are the atomic writer's (src/system/files.ts): `.NAME.hb.PID.RANDOM.tmp`,
// dot-named and ending in .tmp, so no reader or watcher ever takes one for a heartbeat.
