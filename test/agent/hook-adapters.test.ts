// Runtime adapters (docs/heartbeat.md, "Runtime adapters"): `mosaic agent hook
// claude-code|codex` fed the payloads recorded from the real runtimes
// (test/fixtures/runtimes, see its README.md for where each was recorded) write the
// expected heartbeat lines — status, since, note and the ack `agent send --verify`
// accepts; garbage (random bytes, huge, hostile JSON) never makes them exit non-zero,
// print on stdout, or take long. `mosaic agent setup` merges without losing anything.

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ackId } from "../../src/agent/stub.js";
import { recordHook } from "../../src/cli/commands/agent-hook.js";
import type { Io } from "../../src/cli/io.js";
import { parseHeartbeat } from "../../src/heartbeat/grammar.js";
import { BIN, ROOT, cleanEnv } from "../cli/run-cli.js";

const FIXTURES = join(ROOT, "test", "fixtures", "runtimes");
let base: string;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), "mosaic-hook-"));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

let homes = 0;
function home(): string {
  const dir = join(base, `home-${homes++}`);
  mkdirSync(dir);
  return dir;
}

function hook(mosaicHome: string, args: string[], input: string | Buffer, name = "agent-1") {
  const started = Date.now();
  const result = spawnSync(process.execPath, [BIN, "agent", "hook", ...args], {
    cwd: ROOT,
    env: cleanEnv(mosaicHome, { MOSAIC_HOME: mosaicHome, MOSAIC_AGENT_NAME: name }),
    input,
    encoding: "utf8",
    timeout: 20_000,
    maxBuffer: 1024 * 1024,
  });
  return { code: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "", ms: Date.now() - started };
}

function line(mosaicHome: string, name = "agent-1") {
  const text = readFileSync(join(mosaicHome, "fleet", "run", `${name}.hb`), "utf8");
  const parsed = parseHeartbeat(text);
  if (!parsed.ok) throw new Error(`${text}: ${parsed.message}`);
  return { text, record: parsed.record };
}

const fixture = (name: string) => readFileSync(join(FIXTURES, name), "utf8");

describe("claude-code hook, recorded payloads", () => {
  it("SessionStart → idle, UserPromptSubmit → working with the stub's ack, idle_prompt → idle, SessionEnd → exited", () => {
    const h = home();
    const steps: [string, RegExp, Record<string, unknown>][] = [
      ["claude-hook-SessionStart.json", /status=idle seq=1 name=agent-1 since=\d+ note=session%20startup\n$/, {}],
      [
        "claude-hook-UserPromptSubmit.json",
        /status=working seq=2 name=agent-1 ack=2cf24dba5fb0 acks=1 since=\d+\n$/,
        { ack: ackId("hello") },
      ],
      [
        "claude-hook-Notification.json",
        /status=idle seq=3 name=agent-1 ack=2cf24dba5fb0 acks=1 since=\d+ note=Claude%20is%20waiting%20for%20your%20input\n$/,
        { note: "Claude is waiting for your input" },
      ],
      ["claude-hook-SessionEnd-sigterm.json", /status=exited seq=4 .* note=session%20ended%20\(other\)\n$/, {}],
      ["claude-hook-SessionEnd-sighup.json", /status=exited seq=5 .* note=session%20ended%20\(other\)\n$/, {}],
    ];
    for (const [file, pattern, fields] of steps) {
      const run = hook(h, ["claude-code"], fixture(file));
      expect(run, file).toMatchObject({ code: 0, stdout: "" });
      const { text, record } = line(h);
      expect(text, file).toMatch(/^ts=\d+ pid=\d+ /);
      expect(text, file).toMatch(pattern);
      expect(record, file).toMatchObject(fields);
    }
    expect(readdirSync(join(h, "fleet", "run"))).toEqual(["agent-1.hb"]);
  });

  it("a permission prompt → waiting with the question as the note; Stop → idle; tool use → working", () => {
    const h = home();
    const send = (payload: object) => expect(hook(h, ["claude-code"], JSON.stringify(payload)).code).toBe(0);
    send({ hook_event_name: "PreToolUse", tool_name: "Bash", tool_input: { command: "rm -rf build" } });
    expect(line(h).record).toMatchObject({ status: "working", note: "tool Bash" });
    send({
      hook_event_name: "Notification",
      notification_type: "permission_prompt",
      message: "Claude needs your permission to use Bash",
    });
    expect(line(h).record).toMatchObject({ status: "waiting", note: "Claude needs your permission to use Bash" });
    send({ hook_event_name: "PostToolUse", tool_name: "Bash" });
    send({ hook_event_name: "Stop", stop_hook_active: false });
    expect(line(h).record).toMatchObject({ status: "idle" });
    expect(line(h).record.note).toBeUndefined();
  });

  it("the agent is named by --agent or a NAME argument, else MOSAIC_AGENT_NAME; a bad name writes nothing", () => {
    const h = home();
    expect(hook(h, ["claude-code", "--agent", "by-flag"], fixture("claude-hook-Stop.json")).code).toBe(0);
    expect(hook(h, ["claude-code", "by-arg"], fixture("claude-hook-Stop.json")).code).toBe(0);
    expect(hook(h, ["claude-code", "../x"], fixture("claude-hook-Stop.json")).code).toBe(0);
    expect(readdirSync(join(h, "fleet", "run")).sort()).toEqual(["by-arg.hb", "by-flag.hb"]);
  });

  it("since stays while the status does not change, and moves when it does", () => {
    const h = home();
    writeFileSync(join(h, "x"), "");
    mkdirSync(join(h, "fleet", "run"), { recursive: true, mode: 0o700 });
    writeFileSync(join(h, "fleet", "run", "agent-1.hb"), `ts=100 pid=1 status=working seq=7 name=agent-1 since=90\n`, {
      mode: 0o600,
    });
    hook(h, ["claude-code"], JSON.stringify({ hook_event_name: "PostToolUse" }));
    expect(line(h).record).toMatchObject({ status: "working", since: 90, seq: 8 });
    hook(h, ["claude-code"], JSON.stringify({ hook_event_name: "Stop" }));
    expect(line(h).record.since).toBeGreaterThan(1_000_000_000);
  });
});

describe("codex hook, recorded payloads", () => {
  it("SessionStart → idle; UserPromptSubmit (turn_id) → working with the ack; notify agent-turn-complete → idle", () => {
    const h = home();
    expect(hook(h, ["codex"], fixture("codex-hook-SessionStart.json"))).toMatchObject({ code: 0, stdout: "" });
    expect(line(h).record).toMatchObject({ status: "idle", note: "session startup" });
    expect(hook(h, ["codex"], fixture("codex-hook-UserPromptSubmit.json"))).toMatchObject({ code: 0, stdout: "" });
    expect(line(h).text).toMatch(/status=working seq=2 name=agent-1 ack=2cf24dba5fb0 acks=1 since=\d+\n$/);
    // notify: the event is the last argument (its documented shape; it never fired offline).
    const notify = JSON.stringify({
      type: "agent-turn-complete",
      "thread-id": "01a24bc7",
      "turn-id": "01a24bc7-c9f8",
      cwd: "/home/agent/work",
      "input-messages": ["hello"],
      "last-assistant-message": "Hello! What would you like to work on?\nmore",
    });
    expect(hook(h, ["codex", notify], "")).toMatchObject({ code: 0, stdout: "" });
    expect(line(h).record).toMatchObject({
      status: "idle",
      ack: ackId("hello"),
      note: "turn complete: Hello! What would you like to work on?",
    });
  });
});

describe("garbage never hurts the runtime", () => {
  const silentIo = (h: string): Io => ({
    stdout: () => {
      throw new Error("a hook must not print on stdout");
    },
    stderr: () => undefined,
    env: { MOSAIC_HOME: h, MOSAIC_AGENT_NAME: "prop" },
    cwd: h,
    stdoutIsTTY: false,
    stdinIsTTY: false,
  });

  it("in process: any text, as either runtime, resolves quickly and leaves a parseable line or none", async () => {
    const h = home();
    const texts = fc.oneof(
      fc.string({ unit: "binary", maxLength: 400 }),
      fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString("latin1")),
      fc
        .record({
          hook_event_name: fc.constantFrom(
            "SessionStart",
            "UserPromptSubmit",
            "Notification",
            "Stop",
            "SessionEnd",
            "X",
          ),
          prompt: fc.oneof(fc.string({ unit: "binary" }), fc.integer(), fc.constant(null)),
          message: fc.oneof(fc.string({ unit: "binary" }), fc.object()),
          notification_type: fc.oneof(fc.constant("idle_prompt"), fc.string()),
          type: fc.constantFrom("agent-turn-complete", "approval-requested", "x"),
          "last-assistant-message": fc.string({ unit: "binary" }),
        })
        .map((o) => JSON.stringify(o)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("claude-code", "codex", "nope"),
        texts,
        fc.boolean(),
        async (rt, text, notify) => {
          const started = performance.now();
          const written = await recordHook(rt, text, notify, {}, silentIo(h));
          // Generous: the work itself is a parse and one small file write.
          expect(performance.now() - started).toBeLessThan(500);
          if (written !== null) expect(parseHeartbeat(written).ok).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("as a process: random bytes, huge input, deep nesting, hostile JSON → exit 0, nothing on stdout", () => {
    const h = home();
    const inputs: [string, string | Buffer][] = [
      ["random bytes", Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256))],
      ["empty", ""],
      ["huge (9 MiB)", Buffer.alloc(9 * 1024 * 1024, 0x7b)],
      ["deep nesting", "[".repeat(200_000)],
      ["not an object", "[1,2,3]"],
      ["proto", '{"__proto__":{"hook_event_name":"Stop"},"constructor":{"prototype":{"x":1}}}'],
      [
        "hostile note",
        JSON.stringify({
          hook_event_name: "Notification",
          message: "\x1b]52;c;cm0gLXJmIH4=\x07 a=b %zz\nstatus=idle \u0000 \ud800",
        }),
      ],
    ];
    for (const [what, input] of inputs) {
      for (const runtime of ["claude-code", "codex"]) {
        const run = hook(h, [runtime], input);
        expect(run.code, `${runtime} ${what}: ${run.stderr}`).toBe(0);
        expect(run.stdout, what).toBe("");
        expect(run.ms, what).toBeLessThan(15_000);
      }
    }
    const { record } = line(h);
    expect(record.status).toBe("waiting");
    expect(record.note).toContain("\x1b]52;c;"); // kept as data, percent-encoded in the file
    expect(readFileSync(join(h, "fleet", "run", "agent-1.hb"), "latin1")).toMatch(/^[\x20-\x7e]+\n$/);
  });

  it("an unusable run directory (group-writable) is left alone, still exit 0", () => {
    const h = home();
    mkdirSync(join(h, "fleet", "run"), { recursive: true });
    chmodSync(join(h, "fleet", "run"), 0o777);
    const run = hook(h, ["claude-code"], fixture("claude-hook-UserPromptSubmit.json"));
    expect(run).toMatchObject({ code: 0, stdout: "" });
    expect(readdirSync(join(h, "fleet", "run"))).toEqual([]);
  });
});

describe("mosaic agent setup", () => {
  const setup = (args: string[], cwd: string) =>
    spawnSync(process.execPath, [BIN, "agent", "setup", ...args], { cwd, env: cleanEnv(cwd), encoding: "utf8" });

  it("prints the fragment and what the runtime will ask", () => {
    const h = home();
    const claude = setup(["claude-code", "coder"], h);
    expect(claude.status).toBe(0);
    const json = JSON.parse(claude.stdout.slice(claude.stdout.indexOf("{"), claude.stdout.lastIndexOf("}") + 1)) as {
      hooks: Record<string, { hooks: { command: string }[] }[]>;
    };
    expect(Object.keys(json.hooks)).toEqual([
      "SessionStart",
      "UserPromptSubmit",
      "PreToolUse",
      "PostToolUse",
      "Notification",
      "Stop",
      "SubagentStop",
      "SessionEnd",
    ]);
    expect(json.hooks["Stop"]?.[0]?.hooks[0]?.command).toMatch(/ agent hook claude-code --agent coder$/);
    const codex = setup(["codex", "coder"], h);
    expect(codex.stdout).toMatch(/notify = \[".*", "agent", "hook", "codex", "--agent", "coder"\]/);
    expect(codex.stdout).toMatch(/codex_hooks = true/);
    expect(codex.stdout).toMatch(/Hooks need review/);
  });

  it("--write merges into settings.json keeping what is there, backs it up, keeps the mode, is idempotent", () => {
    const h = home();
    const file = join(h, "settings.json");
    const before = {
      model: "opus",
      hooks: { Stop: [{ hooks: [{ type: "command", command: "notify-send done" }] }] },
      permissions: { allow: ["Bash(ls)"] },
    };
    writeFileSync(file, JSON.stringify(before), { mode: 0o600 });
    chmodSync(file, 0o600);
    const run = setup(["claude-code", "coder", "--write", file], h);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/restart the agent/);
    const after = JSON.parse(readFileSync(file, "utf8")) as typeof before & {
      hooks: Record<string, { hooks: { command: string }[] }[]>;
    };
    expect(after.model).toBe("opus");
    expect(after.permissions).toEqual(before.permissions);
    expect(after.hooks["Stop"]?.map((e) => e.hooks[0]?.command)).toEqual([
      "notify-send done",
      expect.stringMatching(/agent hook claude-code --agent coder$/),
    ]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const backups = readdirSync(h).filter((f) => f.startsWith("settings.json.mosaic-backup-"));
    expect(backups).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(h, backups[0]!), "utf8"))).toEqual(before);
    const again = setup(["claude-code", "coder", "--write", file], h);
    expect(again.stdout).toMatch(/nothing changed/);
    expect(readdirSync(h).filter((f) => f.startsWith("settings.json.mosaic-backup-"))).toHaveLength(1);
  });

  it("--write refuses a file that is not a JSON object, and a codex config.toml with another notify; nothing changed", () => {
    const h = home();
    const bad = join(h, "bad.json");
    writeFileSync(bad, "{ not json");
    const run = setup(["claude-code", "x", "--write", bad], h);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^mosaic: not changing .*bad.json: it is not a JSON object/);
    expect(readFileSync(bad, "utf8")).toBe("{ not json");
    const toml = join(h, "config.toml");
    writeFileSync(toml, 'model = "o4"\nnotify = ["say", "done"]\n\n[tui]\nx = 1\n');
    const refused = setup(["codex", "x", "--write", toml], h);
    expect(refused.status).toBe(2);
    expect(readFileSync(toml, "utf8")).toBe('model = "o4"\nnotify = ["say", "done"]\n\n[tui]\nx = 1\n');
    writeFileSync(toml, 'model = "o4"\n\n[features]\nother = true\n');
    expect(setup(["codex", "x", "--write", toml], h).status).toBe(0);
    const merged = readFileSync(toml, "utf8");
    expect(merged).toMatch(/^model = "o4"\nnotify = \[".*", "agent", "hook", "codex", "--agent", "x"\]\n/);
    expect(merged).toMatch(/\[features\]\ncodex_hooks = true\nother = true\n/);
  });
});
