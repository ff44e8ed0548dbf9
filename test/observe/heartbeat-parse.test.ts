import { describe, it, expect } from "vitest";
import { parseHeartbeat } from "../../src/heartbeat/grammar.js";

function malformed(text: string): string {
  const result = parseHeartbeat(text);
  if (result.ok) throw new Error(`expected ${JSON.stringify(text)} to be malformed`);
  return result.message;
}

describe("parseHeartbeat: valid lines", () => {
  it("parses the three required fields with a trailing newline", () => {
    expect(parseHeartbeat("ts=1700000000 pid=4242 status=idle\n")).toEqual({
      ok: true,
      record: { ts: 1700000000, pid: 4242, status: "idle", fields: { ts: "1700000000", pid: "4242", status: "idle" } },
    });
  });

  it("accepts a line without the trailing newline (the reader decides about torn writes)", () => {
    const result = parseHeartbeat("ts=1 pid=1 status=ok");
    expect(result.ok && result.record).toMatchObject({ ts: 1, pid: 1, status: "ok" });
  });

  it("parses the optional known fields", () => {
    const result = parseHeartbeat("ts=1700000000 pid=7 status=busy seq=12 probe=n0nce:1.a-b_c ack=x name=worker-1\n");
    expect(result).toEqual({
      ok: true,
      record: {
        ts: 1700000000,
        pid: 7,
        status: "busy",
        seq: 12,
        probe: "n0nce:1.a-b_c",
        ack: "x",
        name: "worker-1",
        fields: {
          ts: "1700000000",
          pid: "7",
          status: "busy",
          seq: "12",
          probe: "n0nce:1.a-b_c",
          ack: "x",
          name: "worker-1",
        },
      },
    });
  });

  it("keeps unknown keys in fields and otherwise ignores them", () => {
    const result = parseHeartbeat("ts=5 pid=9 status=up model=gpt-5 tokens_used=123 x9=!@#$%^&*()\n");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.record.fields).toEqual({
      ts: "5",
      pid: "9",
      status: "up",
      model: "gpt-5",
      tokens_used: "123",
      x9: "!@#$%^&*()",
    });
    expect(result.record).not.toHaveProperty("seq");
    expect(result.record).not.toHaveProperty("model");
  });

  it("accepts the boundaries: 12-digit ts, ts=0, pid 4194304, seq=0, 32-char status, 128-char token", () => {
    const status = `S${"a".repeat(31)}`;
    const token = "t".repeat(128);
    const result = parseHeartbeat(`ts=999999999999 pid=4194304 status=${status} seq=0 probe=${token}\n`);
    expect(result.ok && result.record).toMatchObject({ ts: 999999999999, pid: 4194304, status, seq: 0, probe: token });
    expect(parseHeartbeat("ts=0 pid=1 status=a\n").ok).toBe(true);
  });

  it("treats an Object.prototype name as an ordinary unknown key", () => {
    const result = parseHeartbeat("ts=1 pid=2 status=ok constructor=x tostring=y\n");
    expect(result.ok && result.record.fields).toEqual({
      ts: "1",
      pid: "2",
      status: "ok",
      constructor: "x",
      tostring: "y",
    });
  });
});

describe("parseHeartbeat: malformed input (docs/threat-model.md, Heartbeats)", () => {
  it.each([
    ["empty", "", "heartbeat is empty"],
    ["a lone newline", "\n", "heartbeat is empty"],
    ["a NUL byte", "ts=1 pid=2 status=ok\0\n", "heartbeat contains a NUL byte"],
    ["only NUL bytes", "\0\0\0\0", "heartbeat contains a NUL byte"],
    ["CRLF", "ts=1 pid=2 status=ok\r\n", "heartbeat contains a carriage return"],
    ["a CR in the middle", "ts=1 pid=2\rstatus=ok\n", "heartbeat contains a carriage return"],
    ["a second line", "ts=1 pid=2 status=ok\nts=2 pid=2 status=ok\n", "heartbeat has more than one line"],
    ["two trailing newlines", "ts=1 pid=2 status=ok\n\n", "heartbeat has more than one line"],
    ["a tab", "ts=1\tpid=2 status=ok\n", "heartbeat contains a control byte"],
    ["an ESC sequence", "ts=1 pid=2 status=\x1b[31mred\n", "heartbeat contains a control byte"],
    ["DEL", "ts=1 pid=2 status=ok\x7f\n", "heartbeat contains a control byte"],
    ["non-ASCII", "ts=1 pid=2 status=café\n", "heartbeat contains a non-ASCII character"],
    ["ts twice", "ts=1 ts=2 pid=2 status=ok\n", "heartbeat has ts twice"],
    ["an unknown key twice", "ts=1 pid=2 status=ok foo=1 foo=1\n", "heartbeat has foo twice"],
    ["a negative ts", "ts=-1 pid=2 status=ok\n", "heartbeat ts is negative"],
    ["a signed ts", "ts=+1 pid=2 status=ok\n", "heartbeat ts has a sign"],
    ["a float ts", "ts=1700000000.5 pid=2 status=ok\n", "heartbeat ts is not a whole number of seconds"],
    ["an exponent ts", "ts=1e9 pid=2 status=ok\n", "heartbeat ts is not a whole number of seconds"],
    ["a 20-digit ts", "ts=17000000000000000000 pid=2 status=ok\n", "heartbeat ts has more than 12 digits"],
    ["a 13-digit ts (milliseconds)", "ts=1700000000000 pid=2 status=ok\n", "heartbeat ts has more than 12 digits"],
    ["a hex ts", "ts=0x10 pid=2 status=ok\n", "heartbeat ts is not a decimal number"],
    ["a word ts", "ts=now pid=2 status=ok\n", "heartbeat ts is not a decimal number"],
    ["Infinity ts", "ts=Infinity pid=2 status=ok\n", "heartbeat ts is not a decimal number"],
    ["missing ts", "pid=2 status=ok\n", "heartbeat has no ts"],
    ["missing pid", "ts=1 status=ok\n", "heartbeat has no pid"],
    ["missing status", "ts=1 pid=2\n", "heartbeat has no status"],
    ["fields out of order", "pid=2 ts=1 status=ok\n", "heartbeat must start with ts, pid and status in that order"],
    [
      "an extra field before status",
      "ts=1 pid=2 seq=1 status=ok\n",
      "heartbeat must start with ts, pid and status in that order",
    ],
    ["pid 0", "ts=1 pid=0 status=ok\n", "heartbeat pid is not an integer from 1 to 4194304"],
    ["pid too large", "ts=1 pid=4194305 status=ok\n", "heartbeat pid is not an integer from 1 to 4194304"],
    ["a negative pid", "ts=1 pid=-5 status=ok\n", "heartbeat pid is not an integer from 1 to 4194304"],
    ["a float pid", "ts=1 pid=2.0 status=ok\n", "heartbeat pid is not an integer from 1 to 4194304"],
    [
      "a status starting with a digit",
      "ts=1 pid=2 status=1ok\n",
      "heartbeat status is not a word of at most 32 characters",
    ],
    [
      "a 33-char status",
      `ts=1 pid=2 status=S${"a".repeat(32)}\n`,
      "heartbeat status is not a word of at most 32 characters",
    ],
    ["a status with a dot", "ts=1 pid=2 status=o.k\n", "heartbeat status is not a word of at most 32 characters"],
    ["a negative seq", "ts=1 pid=2 status=ok seq=-1\n", "heartbeat seq is not a non-negative integer"],
    ["an unsafe seq", "ts=1 pid=2 status=ok seq=99999999999999999999\n", "heartbeat seq is not a non-negative integer"],
    [
      "a probe with a slash",
      "ts=1 pid=2 status=ok probe=a/b\n",
      "heartbeat probe is not a token of at most 128 characters",
    ],
    [
      "a 129-char name",
      `ts=1 pid=2 status=ok name=${"n".repeat(129)}\n`,
      "heartbeat name is not a token of at most 128 characters",
    ],
    ["a double space", "ts=1  pid=2 status=ok\n", "heartbeat has a leading, trailing or double space"],
    ["a leading space", " ts=1 pid=2 status=ok\n", "heartbeat has a leading, trailing or double space"],
    ["a trailing space", "ts=1 pid=2 status=ok \n", "heartbeat has a leading, trailing or double space"],
    ["a bare word", "ts=1 pid=2 status=ok garbage\n", "heartbeat field 4 is not key=value"],
    ["garbage", "hello world\n", "heartbeat field 1 is not key=value"],
    ["JSON", '{"ts":1,"pid":2,"status":"ok"}\n', "heartbeat field 1 is not key=value"],
    ["an uppercase key", "TS=1 pid=2 status=ok\n", "heartbeat field 1 has an invalid key"],
    ["an empty key", "ts=1 pid=2 status=ok =x\n", "heartbeat field 4 has an invalid key"],
    ["a __proto__ key", "ts=1 pid=2 status=ok __proto__=x\n", "heartbeat field 4 has an invalid key"],
    ["an empty value", "ts= pid=2 status=ok\n", "heartbeat ts is empty"],
    ["a second = in a value", "ts=1 pid=2 status=ok x=a=b\n", 'heartbeat x contains a second "="'],
  ])("rejects %s", (_label, text, message) => {
    expect(parseHeartbeat(text)).toEqual({ ok: false, message });
  });

  it("rejects every C0 control byte other than the final newline", () => {
    for (let code = 0; code < 0x20; code++) {
      if (code === 0x0a) continue;
      expect(malformed(`ts=1 pid=2 status=ok${String.fromCharCode(code)}\n`)).toMatch(/^heartbeat /);
    }
  });
});
