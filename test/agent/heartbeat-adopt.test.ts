// A responder beside a hooked runtime (`mosaic agent heartbeat NAME` while the runtime's
// hooks run `mosaic agent hook …`): the hook's line names the responder's pid (alive),
// and the responder's next beats keep the hook's status, since, note and ack instead of
// beating them away (docs/heartbeat.md, "Runtime adapters").

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyHookUpdate } from "../../src/agent/hooks/apply.js";
import { ackId } from "../../src/agent/stub.js";
import { parseHeartbeat } from "../../src/heartbeat/grammar.js";
import { HeartbeatWriter } from "../../src/heartbeat/writer.js";

let runDir: string;
let writer: HeartbeatWriter | undefined;

beforeEach(() => {
  runDir = join(mkdtempSync(join(tmpdir(), "mf-adopt-")), "run");
});
afterEach(() => {
  writer?.stop();
  rmSync(join(runDir, ".."), { recursive: true, force: true });
});

const current = () => {
  const parsed = parseHeartbeat(readFileSync(join(runDir, "a.hb"), "utf8"));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.record;
};

describe("heartbeat responder adopting hook lines", () => {
  it("keeps the hook's state and pid through its own beats, and counts seq on", () => {
    writer = new HeartbeatWriter({ runDir, name: "a", intervalS: 3600, adopt: true });
    writer.start();
    const before = current();
    expect(before).toMatchObject({ pid: process.pid, status: "idle" });
    // The hook vouches for the live responder already named in the file, not the runtime.
    applyHookUpdate({ status: "working", prompt: "hello" }, { runDir, name: "a", nowMs: Date.now(), runtimePid: 1 });
    applyHookUpdate(
      { status: "waiting", note: "Allow Bash?" },
      { runDir, name: "a", nowMs: Date.now(), runtimePid: 1 },
    );
    expect(current()).toMatchObject({ pid: process.pid, status: "waiting", ack: ackId("hello") });
    const hookSeq = current().seq ?? 0;
    writer.write();
    writer.write();
    expect(current()).toMatchObject({
      pid: process.pid,
      status: "waiting",
      note: "Allow Bash?",
      ack: ackId("hello"),
      seq: hookSeq + 2,
    });
    expect(current().fields["acks"]).toBe("1");
  });

  it("without adopt (the stub), its own state wins", () => {
    writer = new HeartbeatWriter({ runDir, name: "a", intervalS: 3600 });
    writer.start();
    applyHookUpdate({ status: "waiting" }, { runDir, name: "a", nowMs: Date.now(), runtimePid: 1 });
    writer.write();
    expect(current().status).toBe("idle");
  });
});
