// Heartbeat protocol v1.1 (docs/heartbeat.md): the status vocabulary, `since=` and the
// percent-encoded `note=`, formatted and parsed by the one grammar (src/heartbeat/).
// Properties: any text round-trips through a note (bounded, cut with "…"), an encoded
// note never holds a byte that could break the line, and v1 lines still parse.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AGENT_STATUSES, formatHeartbeat, parseHeartbeat } from "../../src/heartbeat/grammar.js";
import { decodeNote, encodeNote, MAX_NOTE_CHARS } from "../../src/heartbeat/note.js";

const wellFormed = (s: string) => Buffer.from(s, "utf8").toString("utf8") === s;

describe("note encoding", () => {
  it("round-trips any text that fits, and the encoded form is one safe token", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }).filter(wellFormed), (text) => {
        const encoded = encodeNote(text);
        expect(encoded).toMatch(/^(?:[A-Za-z0-9._~:/,;@+()!*'-]|%[0-9A-F]{2})*$/);
        expect(encoded.length).toBeLessThanOrEqual(MAX_NOTE_CHARS);
        if (text !== "" && encoded.length < MAX_NOTE_CHARS - 12)
          expect(decodeNote(encoded)).toEqual({ ok: true, text });
      }),
      { numRuns: 500 },
    );
  });

  it("cuts a long note at a character boundary with an ellipsis, still decodable", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", minLength: 100, maxLength: 400 }).filter(wellFormed), (text) => {
        const encoded = encodeNote(text);
        expect(encoded.length).toBeLessThanOrEqual(MAX_NOTE_CHARS);
        const decoded = decodeNote(encoded);
        expect(decoded.ok).toBe(true);
        if (decoded.ok && encoded.length === MAX_NOTE_CHARS) expect(decoded.text.endsWith("…")).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses bad escapes, raw specials, overlong and invalid UTF-8", () => {
    for (const bad of ["%", "%4", "%zz", "a b", "a=b", "%C3", "%ED%A0%80", "%C0%AF", "x".repeat(MAX_NOTE_CHARS + 1)])
      expect(decodeNote(bad).ok, bad).toBe(false);
    expect(decodeNote("Allow%20Bash%3F")).toEqual({ ok: true, text: "Allow Bash?" });
    expect(decodeNote("caf%c3%a9")).toEqual({ ok: true, text: "café" });
  });
});

describe("v1.1 lines", () => {
  it("format and parse side by side: status, since and note", () => {
    for (const status of AGENT_STATUSES) {
      const text = formatHeartbeat({
        ts: 1_781_956_800,
        pid: 42,
        status,
        seq: 3,
        name: "a",
        since: 1_781_956_700,
        note: "needs permission: Bash(rm -rf build) = yes?\n\x1b]52;c;x\x07",
      });
      expect(text).toMatch(/^ts=1781956800 pid=42 status=\w+ seq=3 name=a since=1781956700 note=\S+\n$/);
      const parsed = parseHeartbeat(text);
      expect(parsed.ok && parsed.record).toMatchObject({
        status,
        since: 1_781_956_700,
        note: "needs permission: Bash(rm -rf build) = yes?\n\x1b]52;c;x\x07",
      });
    }
  });

  it("a bad since or note makes the line malformed; unknown words stay accepted", () => {
    expect(parseHeartbeat("ts=1 pid=1 status=working since=-1\n").ok).toBe(false);
    expect(parseHeartbeat("ts=1 pid=1 status=working since=1234567890123\n").ok).toBe(false);
    expect(parseHeartbeat("ts=1 pid=1 status=waiting note=%zz\n").ok).toBe(false);
    const odd = parseHeartbeat("ts=1 pid=1 status=Compacting-context\n");
    expect(odd.ok && odd.record.status).toBe("Compacting-context");
    // A v1 line is a v1.1 line.
    expect(parseHeartbeat("ts=1 pid=1 status=busy seq=2 name=x ack=abc acks=1\n").ok).toBe(true);
  });
});
