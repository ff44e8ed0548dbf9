import { randomBytes } from "node:crypto";
import { unlinkSync, watch } from "node:fs";
import { writeFileAtomic } from "../system/index.js";
import { join } from "node:path";
import { agentOfHeartbeatFile, heartbeatPath, isHeartbeatPath, probeFileName, probePath } from "./layout.js";
import { readProbe } from "./probe-file.js";
import { checkRunDir, readHeartbeat } from "./reader.js";

// `fleet ps --probe`: write a nonce to each agent's NAME.probe and wait, bounded, for
// its responder to echo it in NAME.hb. The round trip proves the agent's heartbeat
// loop is alive now, not merely that it wrote a file once.

interface ProbeResult {
  nonce: string;
  /** Milliseconds from writing the probe to seeing its echo; null if unanswered. */
  rttMs: number | null;
}

/** How often one probe is written again after others overwrote it (a bound, not a schedule). */
const MAX_REWRITES = 20;

interface ProbeOptions {
  timeoutMs: number;
  uid: number;
}

function writeProbe(dir: string, name: string, nonce: string): void {
  const written = writeFileAtomic(join(dir, probeFileName(name)), `${nonce}\n`, {
    mode: 0o600,
    durable: false,
    keepModeAndOwner: false,
    replaceAnyEntry: true,
  });
  if (!written.ok) throw new Error(written.message);
}

/** Probe every named agent at once; resolves when all answered or the time is up. */
export async function probeHeartbeats(
  runDir: string,
  names: readonly string[],
  options: ProbeOptions,
): Promise<Map<string, ProbeResult>> {
  const results = new Map<string, ProbeResult>();
  // Never write into a directory we would not trust to read from.
  if (names.length === 0 || checkRunDir(runDir, options.uid) !== null) {
    for (const name of names) results.set(name, { nonce: "", rttMs: null });
    return results;
  }
  const pending = new Map<string, { nonce: string; started: number; rewrites: number }>();
  for (const name of names) {
    const nonce = `${randomBytes(6).toString("hex")}-${Date.now().toString(36)}`;
    const started = performance.now();
    try {
      writeProbe(runDir, name, nonce);
      pending.set(name, { nonce, started, rewrites: 0 });
    } catch {
      // Unwritable: reported as unanswered.
    }
    results.set(name, { nonce, rttMs: null });
  }

  const check = (name: string) => {
    const waiting = pending.get(name);
    if (!waiting) return;
    const hb = readHeartbeat(heartbeatPath(runDir, name), { uid: options.uid });
    if (hb.state === "present" && hb.record.probe === waiting.nonce) {
      results.set(name, { nonce: waiting.nonce, rttMs: Math.round((performance.now() - waiting.started) * 10) / 10 });
      pending.delete(name);
      return;
    }
    // Another prober (a cron report while an operator runs --probe) wrote its nonce over
    // ours. Once the responder has answered that one (or the file is gone), ours can no
    // longer be answered: write it again, and time the round trip from then. While the
    // other nonce waits for its answer we wait too, so two probers take turns and never
    // keep overwriting each other.
    const inFile = readProbe(probePath(runDir, name));
    if (inFile === waiting.nonce || waiting.rewrites >= MAX_REWRITES) return;
    const answeredOther = inFile === null || (hb.state === "present" && hb.record.probe === inFile);
    if (!answeredOther || checkRunDir(runDir, options.uid) !== null) return;
    try {
      writeProbe(runDir, name, waiting.nonce);
      waiting.started = performance.now();
      waiting.rewrites += 1;
    } catch {
      // Unwritable now: stays unanswered.
    }
  };

  await new Promise<void>((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      watcher?.close();
      clearInterval(poll);
      clearTimeout(timer);
      resolve();
    };
    const sweep = () => {
      for (const name of [...pending.keys()]) check(name);
      if (pending.size === 0) finish();
    };
    let watcher: ReturnType<typeof watch> | undefined;
    try {
      watcher = watch(runDir, { persistent: false }, (_event, file) => {
        const name = typeof file === "string" && isHeartbeatPath(file) ? agentOfHeartbeatFile(file) : null;
        if (name !== null) check(name);
        if (pending.size === 0) finish();
      });
      watcher.on("error", () => undefined);
    } catch {
      watcher = undefined;
    }
    // fs.watch can coalesce or miss events: a short poll is the floor.
    const poll = setInterval(sweep, 25);
    const timer = setTimeout(finish, options.timeoutMs);
    sweep();
  });

  for (const name of names) {
    // Only our own probe: a concurrent prober may have written its nonce since.
    const path = probePath(runDir, name);
    if (readProbe(path) !== results.get(name)?.nonce) continue;
    try {
      unlinkSync(path);
    } catch {
      // The responder or another prober removed it.
    }
  }
  return results;
}
