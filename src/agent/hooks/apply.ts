import {
  ensurePrivateRunDir,
  formatHeartbeat,
  heartbeatPath,
  readHeartbeat,
  writeHeartbeatFile,
  type HeartbeatRecord,
} from "../../heartbeat/index.js";
import { processAlive, readProcess } from "../../system/index.js";
import { ackId } from "../stub.js";
import type { HookUpdate } from "./events.js";

// A hook is a short-lived process: it turns one runtime event into one heartbeat line
// and leaves. The line carries on from the one it replaces (seq, acks, since for an
// unchanged status, the last probe echo) and vouches for a process that outlives the
// hook: the writer already named there while it lives (`mosaic agent heartbeat`
// beside the runtime), else the runtime itself — the first ancestor that is not a shell.

/** Programs a runtime may start a hook through; the runtime is above them. */
const WRAPPERS = new Set(["sh", "bash", "dash", "zsh", "ash", "busybox", "env", "timeout", "nice", "nohup", "mosaic"]);

/** The runtime process above this hook: the first ancestor that is not a shell or wrapper. */
export function runtimePid(start: number = process.ppid): number {
  let pid = start;
  for (let hops = 0; hops < 8 && pid > 1; hops++) {
    const info = readProcess(pid);
    if (info === null) break;
    if (!WRAPPERS.has(info.comm)) return pid;
    pid = info.ppid;
  }
  return start;
}

export interface ApplyOptions {
  runDir: string;
  name: string;
  nowMs: number;
  /** The process to vouch for when no live writer is named in the file. */
  runtimePid: number;
}

/** The line that records `update` on top of `previous`. */
export function hookLine(update: HookUpdate, previous: HeartbeatRecord | null, options: ApplyOptions): string {
  const nowS = Math.floor(options.nowMs / 1000);
  const keepPid = previous !== null && previous.pid !== options.runtimePid && processAlive(previous.pid);
  const sameStatus = previous?.status === update.status;
  const previousAcks = Number(previous?.fields["acks"] ?? 0);
  const acks = Number.isSafeInteger(previousAcks) ? previousAcks : 0;
  const ack = update.prompt !== undefined ? ackId(update.prompt) : previous?.ack;
  return formatHeartbeat({
    ts: nowS,
    pid: keepPid && previous ? previous.pid : options.runtimePid,
    status: update.status,
    seq: (previous?.seq ?? 0) + 1,
    name: options.name,
    ...(previous?.probe !== undefined ? { probe: previous.probe } : {}),
    ...(ack !== undefined ? { ack, acks: update.prompt !== undefined ? acks + 1 : acks } : {}),
    since: sameStatus && previous?.since !== undefined ? Math.min(previous.since, nowS) : nowS,
    ...(update.note !== undefined ? { note: update.note } : {}),
  });
}

/** Record one hook event in the agent's heartbeat file. Throws only on an unusable run directory. */
export function applyHookUpdate(update: HookUpdate, options: ApplyOptions): string {
  ensurePrivateRunDir(options.runDir);
  const hb = readHeartbeat(heartbeatPath(options.runDir, options.name));
  const line = hookLine(update, hb.state === "present" ? hb.record : null, options);
  writeHeartbeatFile(options.runDir, options.name, line);
  return line;
}
