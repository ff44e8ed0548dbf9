import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ensurePrivateRunDir, readHeartbeat } from "../heartbeat/index.js";
import { writeFileAtomic } from "../system/index.js";

// The acknowledgement path: proof that an agent accepted one specific message. The stub
// acknowledges each line it reads; a real runtime does it through a hook adapter (Claude
// Code's and Codex's UserPromptSubmit hook carries the exact prompt). Either way the
// heartbeat gains `ack=<sha256(message)[:12]>` and `acks=<count>`, which `agent send
// --verify` waits for (docs/heartbeat.md).

/** The acknowledgement id of one message (or input line): sha256, first 12 hex digits. */
export function ackId(message: string): string {
  return createHash("sha256").update(message, "utf8").digest("hex").slice(0, 12);
}

/** The runtimes whose hook payloads this adapter reads. */
export const HOOK_RUNTIMES = ["claude-code", "codex"] as const;
export type HookRuntime = (typeof HOOK_RUNTIMES)[number];

/** What a hook's stdin says: the submitted prompt, for UserPromptSubmit; else nothing to acknowledge. */
export type HookEvent =
  | { kind: "prompt"; prompt: string; event: string }
  | { kind: "other"; event: string }
  | { kind: "invalid"; why: string };

/**
 * Read one hook payload (JSON on stdin). Claude Code and Codex both name the event
 * `hook_event_name` and put the exact submitted text in `prompt` on UserPromptSubmit
 * (test/fixtures/runtimes/*-hook-*.json).
 */
export function parseHookPayload(runtime: HookRuntime, text: string): HookEvent {
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return { kind: "invalid", why: `the ${runtime} hook payload is not JSON` };
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload))
    return { kind: "invalid", why: `the ${runtime} hook payload is not a JSON object` };
  const record = payload as Record<string, unknown>;
  const event = record["hook_event_name"];
  if (typeof event !== "string")
    return { kind: "invalid", why: `the ${runtime} hook payload names no hook_event_name` };
  if (event !== "UserPromptSubmit") return { kind: "other", event };
  const prompt = record["prompt"];
  if (typeof prompt !== "string")
    return { kind: "invalid", why: `the ${runtime} UserPromptSubmit payload has no prompt` };
  return { kind: "prompt", prompt, event };
}

export interface AckTarget {
  runDir: string;
  name: string;
  /** The process the heartbeat vouches for: the agent, not the short-lived hook. */
  pid: number;
  nowS?: number;
}

/**
 * Acknowledge `message` in the agent's heartbeat: one atomic rewrite (src/system/files.ts)
 * of `NAME.hb` carrying on seq and the ack count of the line it replaces when
 * that line vouched for the same process. Returns the id written.
 */
export function writeAck(target: AckTarget, message: string): string {
  ensurePrivateRunDir(target.runDir);
  const id = ackId(message);
  const path = join(target.runDir, `${target.name}.hb`);
  const previous = readHeartbeat(path);
  const same = previous.state === "present" && previous.record.pid === target.pid ? previous.record : null;
  const acks = same?.fields["acks"];
  const fields = [
    `ts=${target.nowS ?? Math.floor(Date.now() / 1000)}`,
    `pid=${target.pid}`,
    "status=busy",
    `seq=${(same?.seq ?? 0) + 1}`,
    `name=${target.name}`,
    ...(same?.probe !== undefined ? [`probe=${same.probe}`] : []),
    `ack=${id}`,
    `acks=${(acks !== undefined && /^\d+$/.test(acks) ? Number(acks) : 0) + 1}`,
  ];
  const written = writeFileAtomic(path, `${fields.join(" ")}\n`, { mode: 0o600 });
  if (!written.ok) throw new Error(written.message);
  return id;
}

/** Shells a hook command runs under (`sh -c "mosaic agent hook …"`): not the agent. */
const SHELLS = new Set(["sh", "bash", "dash", "zsh", "fish", "env", "timeout"]);

/** The agent a hook runs for: the nearest ancestor that is not a shell wrapping the hook command. */
export function hookOwnerPid(startPid: number = process.ppid, procRoot = "/proc"): number {
  let pid = startPid;
  for (let hops = 0; hops < 8 && pid > 1; hops += 1) {
    let stat: string;
    try {
      stat = readFileSync(`${procRoot}/${pid}/stat`, "latin1");
    } catch {
      return startPid;
    }
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    if (!SHELLS.has(comm)) return pid;
    pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  }
  return startPid;
}
