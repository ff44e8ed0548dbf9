// The acknowledgement path: hook payloads recorded from Claude Code and Codex, the ack
// written into the heartbeat as the stub writes it, and the `agent hook` command run as
// the runtimes run it (JSON on stdin, through `sh -c`).

import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ackId, hookOwnerPid, parseHookPayload, writeAck } from "../../src/agent/ack.js";
import { readHeartbeat } from "../../src/heartbeat/index.js";
import { assertBuilt, BIN, cliEnv } from "../integration/agent-support.js";
import { PYTHON } from "../integration/send-support.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "runtimes");
const fixture = (name: string) => readFileSync(join(FIXTURES, name), "utf8");

let base = "";
let runDir = "";
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), "mf-ack-"));
  runDir = join(base, "mosaic", "fleet", "run");
  mkdirSync(runDir, { recursive: true });
  chmodSync(runDir, 0o700);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe("hook payloads as the real runtimes send them", () => {
  it("Claude Code's and Codex's UserPromptSubmit carry the exact prompt", () => {
    expect(parseHookPayload("claude-code", fixture("claude-hook-UserPromptSubmit.json"))).toEqual({
      kind: "prompt",
      prompt: "hello",
      event: "UserPromptSubmit",
    });
    expect(parseHookPayload("codex", fixture("codex-hook-UserPromptSubmit.json"))).toMatchObject({
      kind: "prompt",
      prompt: "hello",
    });
  });

  it("other events acknowledge nothing", () => {
    for (const name of [
      "claude-hook-SessionStart.json",
      "claude-hook-Notification.json",
      "codex-hook-SessionStart.json",
    ]) {
      expect(parseHookPayload("claude-code", fixture(name)).kind, name).toBe("other");
    }
  });

  it("anything that is not a hook payload is invalid, never a crash", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const event = parseHookPayload("claude-code", text);
        expect(["prompt", "other", "invalid"]).toContain(event.kind);
      }),
    );
    expect(parseHookPayload("codex", "[]").kind).toBe("invalid");
    expect(parseHookPayload("codex", '{"hook_event_name":"UserPromptSubmit"}').kind).toBe("invalid");
  });
});

describe("writeAck", () => {
  it("writes ack=sha256(prompt)[:12] and counts acks for the same process, carrying seq on", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 5 }), (prompts) => {
        rmSync(join(runDir, "a.hb"), { force: true });
        prompts.forEach((prompt, i) => {
          expect(writeAck({ runDir, name: "a", pid: process.pid }, prompt)).toBe(ackId(prompt));
          const hb = readHeartbeat(join(runDir, "a.hb"));
          expect(hb.state).toBe("present");
          if (hb.state !== "present") return;
          expect(hb.record).toMatchObject({ ack: ackId(prompt), pid: process.pid, seq: i + 1, status: "busy" });
          expect(hb.record.fields["acks"]).toBe(String(i + 1));
        });
      }),
    );
  });

  it("a heartbeat of another process starts the count afresh", () => {
    writeAck({ runDir, name: "b", pid: 1 }, "x");
    writeAck({ runDir, name: "b", pid: process.pid }, "y");
    const hb = readHeartbeat(join(runDir, "b.hb"));
    expect(hb.state === "present" && hb.record.fields["acks"]).toBe("1");
  });
});

describe("mosaic agent hook", () => {
  it("run by a runtime through sh -c: acknowledges the prompt for the runtime (its pid), prints nothing, exit 0", () => {
    assertBuilt();
    const env = cliEnv({ MOSAIC_HOME: join(base, "mosaic"), MOSAIC_AGENT_NAME: "hooked" });
    // The "runtime" is a python process; the hook runs under `sh -c`, as Claude Code runs it.
    const hook = `${process.execPath} ${BIN} agent hook claude-code`;
    const runtime = `import os, subprocess, sys\nopen(sys.argv[1], "w").write(str(os.getpid()))\nsys.exit(subprocess.run(["sh", "-c", sys.argv[2]]).returncode)`;
    const run = spawnSync(PYTHON, ["-c", runtime, join(base, "owner"), hook], {
      env,
      input: fixture("claude-hook-UserPromptSubmit.json"),
      encoding: "utf8",
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe("");
    const hb = readHeartbeat(join(runDir, "hooked.hb"));
    expect(hb.state === "present" && hb.record.ack).toBe(ackId("hello"));
    expect(hb.state === "present" && hb.record.pid).toBe(Number(readFileSync(join(base, "owner"), "utf8")));
  });

  it("a payload it cannot read, or an unknown runtime: exit 0 (a hook never blocks its runtime), nothing on stdout, nothing written", () => {
    const env = cliEnv({ MOSAIC_HOME: join(base, "mosaic"), MOSAIC_AGENT_NAME: "bad" });
    for (const [args, input] of [
      [["claude-code"], "not json"],
      [["gemini"], "{}"],
    ] as const) {
      const run = spawnSync(process.execPath, [BIN, "agent", "hook", ...args], { env, input, encoding: "utf8" });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toBe("");
    }
    expect(readHeartbeat(join(runDir, "bad.hb")).state).toBe("missing");
  });

  it("hookOwnerPid skips the shells between a hook and its runtime", () => {
    expect(hookOwnerPid(process.pid)).toBe(process.pid);
  });
});
