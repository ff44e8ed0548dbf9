// `agent send` delivers text literally: tmux key names, tmux options and command
// separators arrive at the stub as typed text (its ack is sha256(message)[:12] and it
// prints `received "<message>"`), and no second tmux command ever runs. Messages that
// cannot be one line of plain text are refused before tmux is called at all: a `tmux`
// shim first on PATH logs every call, and the pane and heartbeat stay as they were.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { execa } from "execa";
import { BIN, readText, ROOT, sq, waitUntil } from "./agent-support.js";
import { ackOf, expectOneLineError, Fleet } from "./send-support.js";

let fleet: Fleet;
let shimLog: string;
let shimPath: string;

/** The real tmux on PATH, for the logging shim to exec. */
function realTmux(): string {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    const candidate = join(dir, "tmux");
    if (dir !== "" && existsSync(candidate)) return candidate;
  }
  throw new Error("tmux is not on PATH");
}

beforeAll(async () => {
  fleet = await Fleet.start("send-literal");
  fleet.writeRoster([
    { name: "lit", runtime: "stub" },
    { name: "ref", runtime: "stub" },
    { name: "long", runtime: "stub" },
  ]);
  await Promise.all([fleet.startStub("lit"), fleet.startStub("ref"), fleet.startStub("long")]);
  // A session the roster does not know: it must survive every message below.
  await fleet.tmux.newSession("bystander", ["sleep", "600"], { width: 80, height: 20 });

  const shimDir = join(fleet.base, "shim");
  mkdirSync(shimDir);
  shimLog = join(fleet.base, "tmux-calls.log");
  writeFileSync(
    join(shimDir, "tmux"),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> ${sq(shimLog)}\nexec ${sq(realTmux())} "$@"\n`,
  );
  chmodSync(join(shimDir, "tmux"), 0o755);
  shimPath = `${shimDir}${delimiter}${process.env["PATH"] ?? ""}`;
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
});

describe("agent send: tmux syntax in a message is delivered as literal text", () => {
  const messages = ["Enter", "C-c", "^c", "0x03", "Escape", "-X cancel", "--", "a; kill-server", "x;", ";"];
  let serverPid: number | null;
  let sessions: string[];

  beforeAll(async () => {
    serverPid = await fleet.tmux.serverPid();
    sessions = await fleet.sessions();
    expect(sessions).toEqual(["bystander", "lit", "long", "ref"]);
  });

  for (const message of messages) {
    it(`${JSON.stringify(message)} → the stub acknowledges exactly that text`, async () => {
      const before = fleet.acks("lit").acks;
      const run = await fleet.send("lit", message, ["--verify", "-o", "json"]);
      expect(run.code, run.stderr).toBe(0);
      const out = JSON.parse(run.stdout) as { verified: boolean; evidence: { method: string; ack: string } };
      expect(out.verified).toBe(true);
      expect(out.evidence).toMatchObject({ method: "heartbeat-ack", ack: ackOf(message) });
      expect(fleet.acks("lit")).toEqual({ ack: ackOf(message), acks: before + 1 });
      expect(await fleet.waitForAck("lit", message)).toBe(true);
      expect(await fleet.cursorLine("lit")).toBe("lit>");
    });
  }

  it("the tmux server is still the same, with all its sessions, and the stub is still in line mode", async () => {
    expect(await fleet.tmux.serverPid()).toBe(serverPid);
    expect(await fleet.sessions()).toEqual(sessions);
    expect(await fleet.format("lit", "#{pane_dead} #{pane_in_mode}")).toBe("0 0");
    const text = await fleet.text("lit");
    for (const message of messages) expect(text).toContain(`ack=${ackOf(message)} received ${JSON.stringify(message)}`);
  });
});

describe("agent send: messages that are not one line of plain text are refused before tmux is called", () => {
  let textBefore: string;

  beforeAll(async () => {
    // The shim does log a real send (so an empty log below means something).
    const control = await fleet.cli(["agent", "send", "-f", fleet.roster, "--verify", "ref", "--", "shim control"], {
      PATH: shimPath,
    });
    expect(control.code, control.stderr).toBe(0);
    expect(readText(shimLog) ?? "").toMatch(/paste-buffer/);
    writeFileSync(shimLog, "");
    textBefore = await fleet.text("ref");
  });

  const refusals: Array<[string, string, RegExp]> = [
    ["ETX (C-c as a byte)", "stop\u0003", /control byte \(0x03\) at position 4/],
    ["ESC", "\u001b", /escape \(ESC\) byte at position 0/],
    ["bracketed-paste end ESC[201~", "\u001b[201~", /escape \(ESC\) byte/],
    ["a whole bracketed paste", "x\u001b[200~rm -rf ~\u001b[201~", /escape \(ESC\) byte at position 1/],
    ["C1 CSI (U+009B)", "\u009b201~", /control byte \(0x9b\)/],
    ["DEL", "abc\u007f", /control byte \(0x7f\)/],
    ["TAB", "a\tb", /control byte \(0x09\)/],
    ["CR inside", "first\rsecond", /line break at position 5/],
    ["LF inside", "first\nsecond", /line break at position 5/],
    ["a trailing LF", "hello\n", /line break/],
    ["CRLF", "hello\r\n", /line break/],
    ["an empty message", "", /the message is empty/],
    ["100 KB", "x".repeat(100_000), /100000 bytes; the limit is 4095/],
    ["one byte over the limit", "x".repeat(4096), /4096 bytes; the limit is 4095/],
    ["a lone surrogate", "a\uD800b", /not valid UTF-8/],
  ];

  for (const [what, message, reason] of refusals) {
    it(`${what} → exit 2, one clear line, nothing typed`, async () => {
      const acks = fleet.acks("ref");
      const run = await fleet.cli(["agent", "send", "-f", fleet.roster, "--verify", "ref", "--", message], {
        PATH: shimPath,
      });
      expect(run.code, run.stderr).toBe(2);
      expectOneLineError(run, /^mosaic: refusing to send: /);
      expect(run.stderr).toMatch(reason);
      expect(run.stdout).toBe("");
      expect(readText(shimLog), "tmux was called").toBe("");
      expect(fleet.acks("ref")).toEqual(acks);
      expect(await fleet.text("ref")).toBe(textBefore);
    });
  }

  // Bytes that are not UTF-8 cannot be written into a JS string argv; a shell puts them there.
  for (const [what, printf] of [
    ["0xff", "ab\\377cd"],
    ["a truncated sequence (0xc3 at the end)", "caf\\303"],
    ["an overlong '/' (0xc0 0xaf)", "a\\300\\257b"],
    ["an encoded surrogate (0xed 0xa0 0x80)", "a\\355\\240\\200b"],
  ] as const) {
    it(`invalid UTF-8: ${what} → exit 2, one clear line, nothing typed`, async () => {
      const acks = fleet.acks("ref");
      const run = await execa(
        "sh",
        [
          "-c",
          'exec "$0" "$1" agent send -f "$2" --verify "$3" -- "$(printf "$4")"',
          process.execPath,
          BIN,
          fleet.roster,
          "ref",
          printf,
        ],
        { cwd: ROOT, env: fleet.env({ PATH: shimPath }), extendEnv: false, reject: false, timeout: 20_000 },
      );
      const result = {
        code: run.exitCode ?? null,
        stdout: String(run.stdout),
        stderr: String(run.stderr),
        ms: 0,
        timedOut: run.timedOut,
      };
      expect(result.code, result.stderr).toBe(2);
      expectOneLineError(result, /^mosaic: refusing to send: the message is not valid UTF-8$/);
      expect(readText(shimLog), "tmux was called").toBe("");
      expect(fleet.acks("ref")).toEqual(acks);
      expect(await fleet.text("ref")).toBe(textBefore);
    });
  }

  it("a 1 MB message cannot even reach mosaic: the kernel refuses one argv string over 128 KiB (E2BIG), so 100 KB stands in for it", () => {
    const spawned = spawnSync(
      process.execPath,
      [BIN, "agent", "send", "-f", fleet.roster, "ref", "--", "x".repeat(1024 * 1024)],
      {
        env: fleet.env({ PATH: shimPath }),
        timeout: 10_000,
      },
    );
    const error: NodeJS.ErrnoException | undefined = spawned.error;
    expect(error?.code).toBe("E2BIG");
    expect(readText(shimLog)).toBe("");
  });
});

describe("agent send: a long message to a line-mode agent", () => {
  it("a message the pane's terminal cannot take in one line (5000 bytes > the 4095-byte canonical line) is refused, or arrives whole", async () => {
    const message = "y".repeat(5000);
    const run = await fleet.send("long", message);
    if (run.code === 0) {
      // "delivered" must mean delivered literally: the stub got the whole line.
      const whole = await waitUntil(() => fleet.acks("long").ack === ackOf(message), 3_000);
      expect(
        whole,
        `the stub acknowledged ${JSON.stringify(fleet.acks("long"))}, not ack=${ackOf(message)} (sha256 of the 5000 bytes); sha256 of the first 4095 bytes is ${ackOf(message.slice(0, 4095))}`,
      ).toBe(true);
    } else {
      expect(run.code, run.stderr).toBe(2);
      expectOneLineError(run, /refusing to send/);
    }
  }, 20_000);

  it("with --verify the truncated line is never reported as accepted", async () => {
    const message = "z".repeat(5000);
    const run = await fleet.send("long", message, ["--verify", "--timeout", "2s", "-o", "json"]);
    expect([1, 2]).toContain(run.code);
    if (run.code === 1) expect((JSON.parse(run.stdout) as { verified: boolean }).verified).toBe(false);
  }, 20_000);
});
