import { decodeNote, encodeNote } from "./note.js";
import type { HeartbeatRecord } from "./types.js";

// The heartbeat line's grammar (docs/heartbeat.md), both directions side by side: one
// line `ts=… pid=… status=…` then optional ` key=value` fields. Parsing is strict on
// purpose: a heartbeat that is even a little wrong is reported as malformed, never
// guessed at, so it can never look healthy. Formatting writes only what parses.

/**
 * The status words of v1.1, what an observer acts on: `working` (busy on a turn),
 * `waiting` (needs the operator: a question or a permission prompt), `idle` (done,
 * ready for more), `error` and `exited`. Any other word is still accepted and shown
 * as it is (v1 writers say `busy`, `stopping`, …).
 */
export const AGENT_STATUSES = ["working", "waiting", "idle", "error", "exited"] as const;
export type AgentStatusWord = (typeof AGENT_STATUSES)[number];

export type HeartbeatParseResult = { ok: true; record: HeartbeatRecord } | { ok: false; message: string };

/** The largest heartbeat file a reader takes (bytes). */
export const MAX_HEARTBEAT_BYTES = 4096;
const MAX_TS_DIGITS = 12;
/** Linux PID_MAX_LIMIT: no pid is larger. */
export const MAX_PID = 4_194_304;
const KEY = /^[a-z][a-z0-9_]*$/;
const DIGITS = /^[0-9]+$/;
/** A status word: a letter, then up to 31 letters, digits, `_` or `-`. */
export const STATUS_RE = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
const STATUS = STATUS_RE;
/** probe, ack and name values (and a probe file's nonce). */
export const TOKEN_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
const TOKEN = TOKEN_RE;
const PRINTABLE_LINE = /^[\x20-\x7e]*$/;
const LEADING = ["ts", "pid", "status"] as const;

type Pair = readonly [key: string, value: string];

// The shape of nearly every heartbeat, matched in one pass: a line it accepts is then
// only checked for what a regular expression cannot say (pid range, repeated keys, the
// known fields' own grammar). Anything else takes the field-by-field path, which names
// the problem. `fleet ps` parses one heartbeat per agent on every run.
const WELL_FORMED =
  /^ts=([0-9]{1,12}) pid=([1-9][0-9]{0,6}) status=([A-Za-z][A-Za-z0-9_-]{0,31})((?: [a-z][a-z0-9_]*=[\x21-\x3c\x3e-\x7e]+)*)$/;

/** The fields a writer puts on its line, in the order they are written. */
export interface HeartbeatLine {
  ts: number;
  pid: number;
  status: string;
  seq?: number;
  name?: string;
  probe?: string;
  ack?: string;
  acks?: number;
  /** v1.1: unix seconds when this status began. */
  since?: number;
  /** v1.1: the reason in plain text; encoded (and bounded) on the way out. */
  note?: string;
}

/** Format one heartbeat line (with its newline); throws on a value the grammar would refuse. */
export function formatHeartbeat(line: HeartbeatLine): string {
  if (!STATUS.test(line.status)) throw new Error(`invalid heartbeat status "${line.status}"`);
  const fields = [`ts=${line.ts}`, `pid=${line.pid}`, `status=${line.status}`];
  if (line.seq !== undefined) fields.push(`seq=${line.seq}`);
  if (line.name !== undefined) fields.push(`name=${line.name}`);
  if (line.probe !== undefined) fields.push(`probe=${line.probe}`);
  if (line.ack !== undefined) fields.push(`ack=${line.ack}`);
  if (line.acks !== undefined) fields.push(`acks=${line.acks}`);
  if (line.since !== undefined) fields.push(`since=${line.since}`);
  const note = line.note === undefined ? "" : encodeNote(line.note);
  if (note !== "") fields.push(`note=${note}`);
  return `${fields.join(" ")}\n`;
}

/** Parse one heartbeat file's text; pure, never throws, says what is wrong in one sentence. */
export function parseHeartbeat(text: string): HeartbeatParseResult {
  const line = text.endsWith("\n") ? text.slice(0, -1) : text;
  return parseWellFormed(line) ?? parseFieldByField(line);
}

/** The common case in one match; null sends the line to parseFieldByField (same verdicts, with reasons). */
function parseWellFormed(line: string): HeartbeatParseResult | null {
  const match = WELL_FORMED.exec(line);
  if (match === null) return null;
  const [, ts = "", pidText = "", status = "", rest = ""] = match;
  const pid = Number(pidText);
  if (pid > MAX_PID) return null;
  const fields: Record<string, string> = { ts, pid: pidText, status };
  const pairs: Pair[] = [
    ["ts", ts],
    ["pid", pidText],
    ["status", status],
  ];
  if (rest !== "") {
    for (const part of rest.slice(1).split(" ")) {
      const eq = part.indexOf("=");
      const key = part.slice(0, eq);
      if (Object.hasOwn(fields, key)) return null;
      const value = part.slice(eq + 1);
      fields[key] = value;
      pairs.push([key, value]);
    }
  }
  return assemble(pairs, fields);
}

function parseFieldByField(line: string): HeartbeatParseResult {
  if (!PRINTABLE_LINE.test(line)) return fail(describeBadByte(line));
  if (line === "") return fail("heartbeat is empty");
  const pairs = splitPairs(line);
  if (typeof pairs === "string") return fail(pairs);
  return assemble(pairs);
}

function fail(message: string): HeartbeatParseResult {
  return { ok: false, message };
}

/** Only called when the line holds something other than printable ASCII. */
function describeBadByte(line: string): string {
  for (let i = 0; i < line.length; i++) {
    const code = line.charCodeAt(i);
    if (code === 0x00) return "heartbeat contains a NUL byte";
    if (code === 0x0d) return "heartbeat contains a carriage return";
    if (code === 0x0a) return "heartbeat has more than one line";
    if (code < 0x20 || code === 0x7f) return "heartbeat contains a control byte";
    if (code > 0x7e) return "heartbeat contains a non-ASCII character";
  }
  return "heartbeat contains an unexpected character";
}

/** Split on single spaces into key=value pairs; a string result is the error. */
function splitPairs(line: string): Pair[] | string {
  const pairs: Pair[] = [];
  const seen = new Set<string>();
  for (const [i, part] of line.split(" ").entries()) {
    if (part === "") return "heartbeat has a leading, trailing or double space";
    const eq = part.indexOf("=");
    if (eq === -1) return `heartbeat field ${i + 1} is not key=value`;
    const key = part.slice(0, eq);
    const value = part.slice(eq + 1);
    if (!KEY.test(key)) return `heartbeat field ${i + 1} has an invalid key`;
    if (value === "") return `heartbeat ${key} is empty`;
    if (value.includes("=")) return `heartbeat ${key} contains a second "="`;
    if (seen.has(key)) return `heartbeat has ${key} twice`;
    seen.add(key);
    pairs.push([key, value]);
  }
  return pairs;
}

function assemble(pairs: readonly Pair[], known?: Record<string, string>): HeartbeatParseResult {
  const fields: Record<string, string> = known ?? Object.fromEntries(pairs);
  for (const key of LEADING) {
    if (!Object.hasOwn(fields, key)) return fail(`heartbeat has no ${key}`);
  }
  if (LEADING.some((key, i) => pairs[i]?.[0] !== key)) {
    return fail("heartbeat must start with ts, pid and status in that order");
  }
  const ts = parseTs(fields.ts ?? "");
  if (typeof ts === "string") return fail(ts);
  const pid = parsePid(fields.pid ?? "");
  if (typeof pid === "string") return fail(pid);
  const status = fields.status ?? "";
  if (!STATUS.test(status)) return fail("heartbeat status is not a word of at most 32 characters");

  const record: HeartbeatRecord = { ts, pid, status, fields };
  if (fields.seq !== undefined) {
    const seq = wholeNumber(fields.seq);
    if (seq === undefined) return fail("heartbeat seq is not a non-negative integer");
    record.seq = seq;
  }
  for (const key of ["probe", "ack", "name"] as const) {
    const value = fields[key];
    if (value === undefined) continue;
    if (!TOKEN.test(value)) return fail(`heartbeat ${key} is not a token of at most 128 characters`);
    record[key] = value;
  }
  if (fields.since !== undefined) {
    const since = fields.since.length <= MAX_TS_DIGITS ? wholeNumber(fields.since) : undefined;
    if (since === undefined)
      return fail(`heartbeat since is not a whole number of seconds of at most ${MAX_TS_DIGITS} digits`);
    record.since = since;
  }
  if (fields.note !== undefined) {
    const note = decodeNote(fields.note);
    if (!note.ok) return fail(note.message);
    record.note = note.text;
  }
  return { ok: true, record };
}

function parseTs(value: string): number | string {
  if (value.startsWith("-")) return "heartbeat ts is negative";
  if (value.startsWith("+")) return "heartbeat ts has a sign";
  if (/^[0-9]*[.eE]/.test(value)) return "heartbeat ts is not a whole number of seconds";
  if (!DIGITS.test(value)) return "heartbeat ts is not a decimal number";
  if (value.length > MAX_TS_DIGITS) return `heartbeat ts has more than ${MAX_TS_DIGITS} digits`;
  return wholeNumber(value) ?? "heartbeat ts is too large";
}

function parsePid(value: string): number | string {
  const pid = DIGITS.test(value) && value.length <= 7 ? Number(value) : undefined;
  if (pid === undefined || pid < 1 || pid > MAX_PID) return `heartbeat pid is not an integer from 1 to ${MAX_PID}`;
  return pid;
}

function wholeNumber(value: string): number | undefined {
  if (!DIGITS.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}
