// Property-based tests of the heartbeat pipeline (docs/heartbeat.md, docs/threat-model.md "Heartbeats"):
//   - parseHeartbeat on arbitrary strings and bytes never throws and accepts exactly the
//     lines of the strict grammar, checked against an independent reference grammar;
//   - heartbeatHealth, on arbitrary records, clocks and writers, never calls garbage
//     healthy: healthy implies a well-formed record, a live writer started before ts
//     (within the tick slack) and -FUTURE_TOLERANCE_S <= age <= 3 × interval;
//   - readHeartbeat on files holding arbitrary bytes (and arbitrary modes and kinds)
//     never throws and is never `present` for a line the grammar refuses.

import {
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
  lstatSync,
  unlinkSync,
  rmdirSync,
} from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FUTURE_TOLERANCE_S, heartbeatHealth, STALE_AFTER_INTERVALS } from "../../src/diff/heartbeat-health.js";
import { parseHeartbeat } from "../../src/heartbeat/grammar.js";
import { encodeNote } from "../../src/heartbeat/note.js";
import { readHeartbeat } from "../../src/heartbeat/reader.js";
import type {
  HeartbeatInvalidReason,
  HeartbeatObservation,
  HeartbeatRecord,
  ProcessInfo,
} from "../../src/observe/types.js";
import { agentSpec, facts, NOW_MS, proc } from "../diff/facts.js";

const RUNS = 1000;
/** The writer's start time is read in clock ticks; heartbeat-health allows this much slack. */
const START_SLACK_MS = 2_000;

// ---------------------------------------------------------------------------------------
// The reference grammar, written independently of src/heartbeat/grammar.ts:
//   ts=<1-12 digits> pid=<1..4194304> status=<word ≤ 32> then ` key=value` fields,
//   printable ASCII only, one optional trailing LF, every key once; seq a safe
//   non-negative integer; probe/ack/name tokens of ≤ 128 [A-Za-z0-9_.:-].

interface RefRecord {
  ts: number;
  pid: number;
  status: string;
  seq?: number;
  probe?: string;
  ack?: string;
  name?: string;
  since?: number;
  note?: string;
  fields: Record<string, string>;
}

const LINE_RE =
  /^ts=([0-9]{1,12}) pid=([0-9]{1,7}) status=([A-Za-z][A-Za-z0-9_-]{0,31})((?: [a-z][a-z0-9_]*=[\x21-\x3c\x3e-\x7e]+)*)$/;
const TOKEN_RE = /^[A-Za-z0-9_.:-]{1,128}$/;

function refParse(text: string): RefRecord | null {
  const line = text.endsWith("\n") ? text.slice(0, -1) : text;
  const m = LINE_RE.exec(line);
  if (!m) return null;
  const [, tsText = "", pidText = "", status = "", rest = ""] = m;
  const pid = Number(pidText);
  if (pid < 1 || pid > 4_194_304) return null;
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  fields["ts"] = tsText;
  fields["pid"] = pidText;
  fields["status"] = status;
  const record: RefRecord = { ts: Number(tsText), pid, status, fields };
  for (const pair of rest.split(" ").slice(1)) {
    const eq = pair.indexOf("=");
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (Object.prototype.hasOwnProperty.call(fields, key)) return null; // a key twice
    fields[key] = value;
    if (key === "seq") {
      if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value))) return null;
      record.seq = Number(value);
    } else if (key === "probe" || key === "ack" || key === "name") {
      if (!TOKEN_RE.test(value)) return null;
      record[key] = value;
    } else if (key === "since") {
      // v1.1: whole seconds, at most 12 digits.
      if (!/^[0-9]{1,12}$/.test(value)) return null;
      record.since = Number(value);
    } else if (key === "note") {
      // v1.1: percent-encoded UTF-8 of [A-Za-z0-9._~:/,;@+()!*'-] and %XX, at most 240 long.
      if (value.length > 240 || !/^(?:[A-Za-z0-9._~:/,;@+()!*'-]|%[0-9A-Fa-f]{2})+$/.test(value)) return null;
      try {
        record.note = decodeURIComponent(value);
      } catch {
        return null;
      }
    }
  }
  return record;
}

/** The parser's record and the reference record agree on every field. */
function sameRecord(got: HeartbeatRecord, want: RefRecord): boolean {
  const keys = ["ts", "pid", "status", "seq", "probe", "ack", "name", "since", "note"] as const;
  if (keys.some((k) => got[k] !== want[k])) return false;
  const a = Object.entries(got.fields).sort();
  const b = Object.entries(want.fields).sort();
  return JSON.stringify(a) === JSON.stringify(b);
}

// ---------------------------------------------------------------------------------------
// Generators

const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: max });
const tsText = fc.oneof(
  fc.integer({ min: 0, max: 4_000_000_000 }).map(String),
  digits(1, 14),
  fc.constantFrom(
    "-1",
    "+1",
    "1.5",
    "1e9",
    "0x10",
    "Infinity",
    "NaN",
    "",
    "17000000000000000000",
    "999999999999",
    "1000000000000",
    " 1",
  ),
);
const pidText = fc.oneof(
  fc.integer({ min: 1, max: 4_194_304 }).map(String),
  digits(1, 9),
  fc.constantFrom("0", "-5", "2.0", "4194305", "4194304", "0001", "", "x"),
);
const wordChars = fc.constantFrom(..."abcXYZ019_-.:/=é \t");
const statusText = fc.oneof(
  fc.constantFrom(
    "idle",
    "busy",
    "stopping",
    "ok",
    "S" + "a".repeat(31),
    "S" + "a".repeat(32),
    "1ok",
    "o.k",
    "",
    "-x",
    "_x",
  ),
  fc.string({ unit: wordChars, maxLength: 34 }),
);
const keyText = fc.oneof(
  fc.constantFrom(
    "seq",
    "probe",
    "ack",
    "name",
    "ts",
    "pid",
    "status",
    "foo",
    "x_1",
    "TS",
    "__proto__",
    "constructor",
    "1a",
    "",
    "a-b",
    "toString",
  ),
  fc.string({ unit: fc.constantFrom(..."abz09_-A="), maxLength: 6 }),
);
const valueText = fc.oneof(
  digits(1, 20),
  fc.string({ unit: fc.constantFrom(..."aZ09_.:-/=+ \t\0\r\né"), maxLength: 10 }),
  fc.constantFrom("n".repeat(128), "n".repeat(129), "-1", "99999999999999999999", "a=b", ""),
);
const extraField = fc.tuple(keyText, valueText).map(([k, v]) => ` ${k}=${v}`);

/** Near-valid lines: the right skeleton with each part drawn from valid and invalid pools. */
const structuredLine = fc
  .record({
    ts: tsText,
    pid: pidText,
    status: statusText,
    extras: fc.array(extraField, { maxLength: 4 }),
    order: fc.constantFrom("ts-pid-status", "pid-ts-status", "ts-status-pid", "ts-pid"),
    end: fc.constantFrom("\n", "\n", "\n", "", "\r\n", "\n\n", " \n", "\0\n"),
  })
  .map(({ ts, pid, status, extras, order, end }) => {
    const parts: Record<string, string> = { ts: `ts=${ts}`, pid: `pid=${pid}`, status: `status=${status}` };
    const head = order
      .split("-")
      .map((k) => parts[k] ?? "")
      .join(" ");
    return `${head}${extras.join("")}${end}`;
  });

/** Valid lines only (for the judgement and for completeness checks). */
const validLine = fc
  .record({
    ts: fc.integer({ min: 0, max: 999_999_999_999 }),
    pid: fc.integer({ min: 1, max: 4_194_304 }),
    status: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/),
    seq: fc.option(fc.nat(), { nil: undefined }),
    ack: fc.option(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,128}$/), { nil: undefined }),
    since: fc.option(fc.integer({ min: 0, max: 999_999_999_999 }), { nil: undefined }),
    note: fc.option(fc.string({ unit: "binary", maxLength: 80 }), { nil: undefined }),
    extra: fc.option(
      fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), fc.stringMatching(/^[\x21-\x3c\x3e-\x7e]{1,12}$/)),
      { nil: undefined },
    ),
  })
  .map(({ ts, pid, status, seq, ack, since, note, extra }) => {
    let line = `ts=${ts} pid=${pid} status=${status}`;
    if (seq !== undefined) line += ` seq=${seq}`;
    if (ack !== undefined) line += ` ack=${ack}`;
    if (since !== undefined) line += ` since=${since}`;
    // A note as any writer would encode it (a lone surrogate has no UTF-8: left out).
    if (note !== undefined && Buffer.from(note, "utf8").toString("utf8") === note && encodeNote(note) !== "")
      line += ` note=${encodeNote(note)}`;
    if (
      extra !== undefined &&
      !["ts", "pid", "status", "seq", "ack", "probe", "name", "since", "note"].includes(extra[0])
    )
      line += ` ${extra[0]}=${extra[1]}`;
    return `${line}\n`;
  });

/** A valid line with one random byte-level mutation. */
const mutatedLine = fc
  .tuple(
    validLine,
    fc.nat(),
    fc.constantFrom("insert", "delete", "replace", "duplicate-field", "truncate"),
    fc.integer({ min: 0, max: 255 }),
  )
  .map(([line, at, op, byte]) => {
    const pos = at % (line.length + 1);
    const ch = String.fromCharCode(byte);
    switch (op) {
      case "insert":
        return line.slice(0, pos) + ch + line.slice(pos);
      case "delete":
        return line.slice(0, pos) + line.slice(pos + 1);
      case "replace":
        return line.slice(0, pos) + ch + line.slice(pos + 1);
      case "duplicate-field": {
        const fields = line.trimEnd().split(" ");
        const f = fields[at % fields.length] ?? "";
        return `${fields.join(" ")} ${f}\n`;
      }
      case "truncate":
        return line.slice(0, pos);
    }
    return line;
  });

const anyHeartbeatText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 120 }),
  fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b).toString("latin1")),
  fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b).toString("utf8")),
  structuredLine,
  validLine,
  mutatedLine,
);

// ---------------------------------------------------------------------------------------

describe("parseHeartbeat (property)", () => {
  it("never throws; ok exactly for lines of the strict grammar, with the same fields; refusals are one-line sentences", () => {
    let accepted = 0;
    fc.assert(
      fc.property(anyHeartbeatText, (text) => {
        let result: ReturnType<typeof parseHeartbeat>;
        try {
          result = parseHeartbeat(text);
        } catch (error) {
          throw new Error(`parseHeartbeat threw on ${JSON.stringify(text)}: ${String(error)}`, { cause: error });
        }
        const want = refParse(text);
        if (result.ok) {
          accepted += 1;
          expect(want, `accepted ${JSON.stringify(text)}, which the grammar refuses`).not.toBeNull();
          if (want)
            expect(sameRecord(result.record, want), `${JSON.stringify(text)} → ${JSON.stringify(result.record)}`).toBe(
              true,
            );
        } else {
          expect(want, `refused ${JSON.stringify(text)} (${result.message}), which the grammar accepts`).toBeNull();
          expect(result.message).toMatch(/^heartbeat /);
          // eslint-disable-next-line no-control-regex -- the property is about control bytes
          expect(result.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        }
      }),
      { numRuns: RUNS * 5 },
    );
    expect(accepted, "the generators must produce valid lines too").toBeGreaterThan(RUNS / 10);
  });

  it("every valid line parses, with and without its trailing newline", () => {
    fc.assert(
      fc.property(validLine, (line) => {
        const want = refParse(line);
        expect(want).not.toBeNull();
        for (const text of [line, line.slice(0, -1)]) {
          const result = parseHeartbeat(text);
          expect(result.ok, `${JSON.stringify(text)}: ${result.ok ? "" : result.message}`).toBe(true);
          if (result.ok && want) expect(sameRecord(result.record, want)).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("a control byte, a non-ASCII character or a second line anywhere is never ok", () => {
    const bad = fc.oneof(
      fc.integer({ min: 0, max: 0x1f }).filter((c) => c !== 0x0a),
      fc.integer({ min: 0x7f, max: 0xff }),
      fc.integer({ min: 0x100, max: 0xffff }),
    );
    fc.assert(
      fc.property(validLine, fc.nat(), bad, (line, at, code) => {
        const body = line.slice(0, -1);
        const pos = at % (body.length + 1);
        const text = `${body.slice(0, pos)}${String.fromCharCode(code)}${body.slice(pos)}\n`;
        expect(parseHeartbeat(text).ok, JSON.stringify(text)).toBe(false);
        expect(parseHeartbeat(`${line}${line}`).ok).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------
// heartbeatHealth

const intervalArb = fc.oneof(
  fc.integer({ min: 1, max: 86_400 }),
  fc.double({ min: 0.001, max: 86_400, noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0.5, 1, 15, 120, 3600),
);

/** Offsets of "now" from ts (ms), concentrated around every boundary the judgement has. */
function nowOffsetArb(intervalS: number): fc.Arbitrary<number> {
  const limitMs = STALE_AFTER_INTERVALS * intervalS * 1000;
  return fc.oneof(
    fc.integer({ min: -7_200_000, max: 7_200_000 }),
    fc.integer({ min: -2_000, max: 2_000 }).map((d) => limitMs + d),
    fc.integer({ min: -2_000, max: 2_000 }).map((d) => -FUTURE_TOLERANCE_S * 1000 + d),
    fc.constantFrom(0, limitMs, limitMs + 1, limitMs + 1000, -FUTURE_TOLERANCE_S * 1000, 3_600_000, -3_600_000),
    fc.double({ noNaN: false, noDefaultInfinity: false }),
  );
}

/** The writer's start relative to ts (ms): long before, just around, well after. */
const startOffsetArb = fc.oneof(
  fc.integer({ min: -86_400_000, max: 0 }),
  fc.integer({ min: -3_000, max: 3_000 }),
  fc.integer({ min: 0, max: 86_400_000 }),
  fc.constantFrom(START_SLACK_MS, START_SLACK_MS + 1),
);

const invalidReasonArb = fc.constantFrom<HeartbeatInvalidReason>(
  "NotRegularFile",
  "Symlink",
  "TooLarge",
  "Malformed",
  "Untrusted",
  "ReadError",
);

/** Whether a record is one the strict grammar could have produced. */
function wellFormed(record: HeartbeatRecord): boolean {
  const line = `ts=${record.ts} pid=${record.pid} status=${record.status}`;
  const ref = refParse(`${line}\n`);
  return ref !== null && ref.ts === record.ts && ref.pid === record.pid && ref.status === record.status;
}

interface Case {
  intervalS: number;
  hb: HeartbeatObservation;
  writer: ProcessInfo | null;
  nowMs: number;
}

function judge({ intervalS, hb, writer, nowMs }: Case) {
  const agent = agentSpec({ heartbeat: { expected: true, intervalS } });
  const f = facts({ heartbeat: hb, heartbeatProcess: writer }, agent);
  try {
    return heartbeatHealth(agent, f, nowMs);
  } catch (error) {
    throw new Error(`heartbeatHealth threw on ${JSON.stringify({ intervalS, hb, writer, nowMs })}: ${String(error)}`, {
      cause: error,
    });
  }
}

/** The invariant: healthy only for a well-formed record, a live writer that predates ts, an age in bounds. */
function healthyViolation(c: Case, health: ReturnType<typeof heartbeatHealth>): string | null {
  if (!["healthy", "stale", "unknown"].includes(health.state)) return `state ${String(health.state)}`;
  if (typeof health.reason !== "string" || (health.reason as string) === "") return "no reason";
  if (typeof health.message !== "string" || health.message === "" || /[\r\n]/.test(health.message))
    return `message ${JSON.stringify(health.message)}`;
  if (health.state !== "healthy") return null;
  if (c.hb.state !== "present") return `healthy without a heartbeat (${c.hb.state})`;
  const { record } = c.hb;
  if (!wellFormed(record)) return `healthy with a malformed record ${JSON.stringify(record)}`;
  if (c.writer === null) return "healthy with a dead writer";
  if (!(c.writer.startedAtMs <= record.ts * 1000 + START_SLACK_MS))
    return `healthy with a writer started at ${c.writer.startedAtMs}, after ts ${record.ts}`;
  const ageS = c.nowMs / 1000 - record.ts;
  if (!(ageS >= -FUTURE_TOLERANCE_S)) return `healthy with ts ${-ageS}s in the future`;
  if (!(ageS <= STALE_AFTER_INTERVALS * c.intervalS)) return `healthy at age ${ageS}s > 3 × ${c.intervalS}s`;
  // age_s is shown to 0.1 s: at the boundary of a fractional interval it may round up by 0.05.
  if (!(health.ageS !== null && health.ageS >= 0 && health.ageS <= STALE_AFTER_INTERVALS * c.intervalS + 0.05))
    return `healthy with age_s ${health.ageS}`;
  return null;
}

/** Cases built the way the observer builds them: the record comes from the parser. */
const observedCaseArb: fc.Arbitrary<Case> = intervalArb.chain((intervalS) =>
  fc
    .record({
      intervalS: fc.constant(intervalS),
      text: anyHeartbeatText,
      kind: fc.constantFrom("present", "present", "present", "missing", "invalid"),
      reason: invalidReasonArb,
      writerAlive: fc.boolean(),
      startOffset: startOffsetArb,
      nowOffset: nowOffsetArb(intervalS),
      comm: fc.constantFrom("python3", "sshd", "node"),
    })
    .map(({ text, kind, reason, writerAlive, startOffset, nowOffset, comm }) => {
      const parsed = parseHeartbeat(text);
      let hb: HeartbeatObservation;
      if (kind === "missing") hb = { state: "missing" };
      else if (kind === "invalid" || !parsed.ok)
        hb = {
          state: "invalid",
          reason: parsed.ok ? reason : "Malformed",
          message: parsed.ok ? `x.hb: ${reason}` : parsed.message,
        };
      else hb = { state: "present", record: parsed.record, mtimeMs: parsed.record.ts * 1000 };
      const ts = hb.state === "present" ? hb.record.ts : NOW_MS / 1000;
      const pid = hb.state === "present" ? hb.record.pid : 4250;
      const writer = writerAlive ? proc([comm], { pid, startedAtMs: ts * 1000 + startOffset }) : null;
      return { intervalS, hb, writer, nowMs: ts * 1000 + nowOffset };
    }),
);

/** Garbage records: any numbers (NaN, ±Infinity, fractions, negatives), any strings. */
const garbageRecordArb: fc.Arbitrary<HeartbeatRecord> = fc.record({
  ts: fc.oneof(
    fc.double(),
    fc.integer({ min: -1e12, max: 1e13 }),
    fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 1.5, 1e15, Number.MAX_VALUE),
  ),
  pid: fc.oneof(fc.double(), fc.integer({ min: -10, max: 5_000_000 }), fc.constantFrom(Number.NaN, 0, -1, 2.5)),
  status: fc.oneof(fc.string({ unit: "binary", maxLength: 40 }), fc.constantFrom("idle", "", "1ok", "a b", "x\n")),
  fields: fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
});

describe("heartbeatHealth (property): never calls garbage healthy", () => {
  it("on observed heartbeats (records from the parser), any clock, any writer: healthy only when everything checks out", () => {
    let healthy = 0;
    fc.assert(
      fc.property(observedCaseArb, (c) => {
        const health = judge(c);
        const violation = healthyViolation(c, health);
        if (violation !== null) throw new Error(`${violation}: ${JSON.stringify(c)} → ${JSON.stringify(health)}`);
        if (health.state === "healthy") healthy += 1;
      }),
      { numRuns: RUNS * 3 },
    );
    expect(healthy, "some cases must be healthy, or the property says nothing").toBeGreaterThan(10);
  });

  it("on arbitrary records (NaN, infinite, fractional or negative ts and pid, any status): healthy implies a well-formed record", () => {
    const caseArb = fc
      .record({
        intervalS: intervalArb,
        record: garbageRecordArb,
        writerAlive: fc.boolean(),
        startOffset: startOffsetArb,
        nowOffset: fc.integer({ min: -7_200_000, max: 7_200_000 }),
      })
      .map(({ intervalS, record, writerAlive, startOffset, nowOffset }): Case => {
        const base = Number.isFinite(record.ts) ? record.ts * 1000 : NOW_MS;
        return {
          intervalS,
          hb: { state: "present", record, mtimeMs: NOW_MS },
          writer: writerAlive ? proc(["python3"], { pid: 4250, startedAtMs: base + startOffset }) : null,
          nowMs: base + nowOffset,
        };
      });
    fc.assert(
      fc.property(caseArb, (c) => {
        const health = judge(c);
        const violation = healthyViolation(c, health);
        if (violation !== null) throw new Error(`${violation}: ${JSON.stringify(c)} → ${JSON.stringify(health)}`);
      }),
      { numRuns: RUNS },
    );
  });

  it("the boundary is exact for whole-second intervals: age 3 × interval healthy, one second more stale", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 86_400 }),
        fc.integer({ min: 1_000_000_000, max: 4_000_000_000 }),
        (intervalS, ts) => {
          const hb: HeartbeatObservation = {
            state: "present",
            record: { ts, pid: 4250, status: "idle", fields: {} },
            mtimeMs: ts * 1000,
          };
          const writer = proc(["python3"], { pid: 4250, startedAtMs: ts * 1000 - 60_000 });
          const limit = STALE_AFTER_INTERVALS * intervalS;
          expect(judge({ intervalS, hb, writer, nowMs: (ts + limit) * 1000 }).state).toBe("healthy");
          expect(judge({ intervalS, hb, writer, nowMs: (ts + limit + 1) * 1000 })).toMatchObject({
            state: "stale",
            reason: "HeartbeatExpired",
          });
          // A dead writer is stale whatever the age; a writer born after ts is a reused pid.
          expect(judge({ intervalS, hb, writer: null, nowMs: ts * 1000 }).state).toBe("stale");
          const newcomer = proc(["sshd"], { pid: 4250, startedAtMs: ts * 1000 + START_SLACK_MS + 1000 });
          expect(judge({ intervalS, hb, writer: newcomer, nowMs: ts * 1000 })).toMatchObject({
            state: "stale",
            reason: "HeartbeatPidReused",
          });
          // An hour in the future is a clock anomaly, never healthy.
          expect(judge({ intervalS, hb, writer, nowMs: (ts - 3600) * 1000 })).toMatchObject({
            state: "unknown",
            reason: "ClockAnomaly",
          });
        },
      ),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------
// readHeartbeat on disk

describe("readHeartbeat (property): files with arbitrary bytes, modes and kinds", () => {
  let root: string;
  let counter = 0;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "mf-hb-prop-"));
    chmodSync(root, 0o700);
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const contentArb = fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    anyHeartbeatText.map((t) => Buffer.from(t, "latin1")),
    anyHeartbeatText.map((t) => Buffer.from(t, "utf8")),
    validLine.map((t) => Buffer.from(t, "latin1")),
    fc
      .tuple(validLine, fc.integer({ min: 4000, max: 4200 }))
      .map(([t, n]) => Buffer.concat([Buffer.from(" ".repeat(Math.max(0, n - t.length))), Buffer.from(t)])),
  );
  const kindArb = fc.constantFrom("file", "file", "file", "file", "symlink", "dangling-symlink", "fifo", "dir");
  const modeArb = fc.constantFrom(0o600, 0o600, 0o644, 0o400, 0o620, 0o602, 0o666, 0o000);

  it("never throws, and is present only for a regular, private, well-formed file whose record is the line's", () => {
    fc.assert(
      fc.property(contentArb, kindArb, modeArb, (bytes, kind, mode) => {
        counter += 1;
        const dir = join(root, `d${counter}`);
        mkdirSync(dir, { mode: 0o700 });
        const path = join(dir, "agent.hb");
        try {
          if (kind === "file") {
            writeFileSync(path, bytes, { mode });
            chmodSync(path, mode);
          } else if (kind === "symlink") {
            writeFileSync(join(dir, "target"), bytes, { mode: 0o600 });
            symlinkSync(join(dir, "target"), path);
          } else if (kind === "dangling-symlink") {
            symlinkSync(join(dir, "nowhere"), path);
          } else if (kind === "fifo") {
            execFileSync("mkfifo", ["-m", "600", path]);
          } else {
            mkdirSync(path);
          }
          let observed: HeartbeatObservation;
          try {
            observed = readHeartbeat(path);
          } catch (error) {
            throw new Error(
              `readHeartbeat threw for a ${kind} (mode ${mode.toString(8)}) holding ${JSON.stringify(bytes.toString("latin1"))}: ${String(error)}`,
              { cause: error },
            );
          }
          const text = bytes.toString("latin1");
          const want = kind === "file" ? refParse(text) : null;
          if (observed.state === "present") {
            expect(kind, "present for something that is not a regular file").toBe("file");
            expect(mode & 0o022, "present for a group/world-writable file").toBe(0);
            expect(bytes.length).toBeLessThanOrEqual(4096);
            expect(text.endsWith("\n"), "present for a line without its newline (torn write)").toBe(true);
            expect(want, `present for ${JSON.stringify(text)}, which the grammar refuses`).not.toBeNull();
            if (want) expect(sameRecord(observed.record, want)).toBe(true);
          } else if (observed.state === "invalid") {
            expect(observed.message.length).toBeGreaterThan(0);
          } else {
            expect(observed.state).toBe("missing");
            expect(
              kind === "file" || kind === "symlink" || kind === "fifo" || kind === "dir",
              "a file that exists reported missing",
            ).toBe(false);
          }
          // Completeness: a private regular file holding one valid line (≤ 4096 bytes) is read.
          const readable = (mode & 0o400) !== 0 || process.getuid?.() === 0;
          if (
            kind === "file" &&
            want !== null &&
            text.endsWith("\n") &&
            bytes.length <= 4096 &&
            (mode & 0o022) === 0 &&
            readable
          ) {
            expect(
              observed.state,
              `${JSON.stringify(text)} (mode ${mode.toString(8)}) → ${JSON.stringify(observed)}`,
            ).toBe("present");
          }
        } finally {
          removeEntry(path);
          removeEntry(join(dir, "target"));
          rmdirSync(dir);
        }
      }),
      { numRuns: 400 },
    );
  });
});

function removeEntry(path: string): void {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (st.isDirectory()) rmdirSync(path);
  else unlinkSync(path);
}
