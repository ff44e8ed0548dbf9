// Property-based tests of the roster reader (docs/threat-model.md "Roster"): `parseRoster`
// on arbitrary strings, on mutated YAML rosters (random keys, values, types, nesting,
// anchors/aliases/merges, unicode, NUL, tabs, BOMs, extra documents) and on arbitrary
// JSON values serialised as YAML. Whatever the input:
//   - it never throws;
//   - it answers ok: true with a fleet, or ok: false with at least one problem, each at
//     line >= 1 (or 0 for a whole-file problem), col >= 0, inside the file, with a
//     non-empty one-line message, and the file name it was given;
//   - every agent name of an ok: true fleet is a string matching the contract's rule, so
//     a YAML number, null or boolean is never silently turned into a name.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parseRoster, type RosterResult } from "../../src/spec/load.js";

const FACTS = { user: "me", hostname: "h" };
const FILE = "roster.yaml";
const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;
const RUNS = 1000;

/** Number of lines an editor shows for `text` (the BOM is not a line of its own). */
function lineCount(text: string): number {
  return text.split(/\r\n|\r|\n/).length;
}

/**
 * The shape every answer must have. Returns a description of the first violation, or
 * null; `text` is the source, for the position bound.
 */
function shapeViolation(text: string, result: RosterResult): string | null {
  if (typeof result !== "object" || result === null) return "result is not an object";
  if (result.ok === true) {
    if (!result.fleet || !Array.isArray(result.fleet.agents)) return "ok: true without a fleet";
    for (const agent of result.fleet.agents) {
      if (typeof agent.name !== "string")
        return `agent name ${String(agent.name)} is a ${typeof agent.name}, not a string`;
      if (!NAME_RE.test(agent.name)) return `agent name ${JSON.stringify(agent.name)} does not match the contract`;
      if (!(agent.heartbeat.intervalS > 0) || !Number.isFinite(agent.heartbeat.intervalS)) {
        return `agent ${agent.name} has interval ${agent.heartbeat.intervalS}`;
      }
    }
    return null;
  }
  if (result.ok !== false) return `ok is ${String((result as { ok: unknown }).ok)}`;
  if (!Array.isArray(result.problems) || result.problems.length === 0) return "ok: false without a problem";
  const lines = lineCount(text);
  for (const p of result.problems) {
    const where = `${p.line}:${p.col} ${JSON.stringify(p.message)}`;
    if (!Number.isInteger(p.line) || p.line < 0) return `line is not an integer >= 0: ${where}`;
    if (!Number.isInteger(p.col) || p.col < 0) return `col is not an integer >= 0: ${where}`;
    if (p.line === 0 && p.col !== 0) return `a whole-file problem with a column: ${where}`;
    if (p.line > lines + 1) return `line ${p.line} is past the end of a ${lines}-line file: ${where}`;
    if (typeof p.message !== "string" || p.message.trim() === "") return `empty message at ${p.line}:${p.col}`;
    if (/[\r\n]/.test(p.message)) return `message spans lines: ${where}`;
    if (p.file !== FILE) return `problem names file ${JSON.stringify(p.file)}: ${where}`;
  }
  return null;
}

/** parseRoster must not throw; wraps the call so a throw is a readable failure. */
function parse(text: string): RosterResult {
  try {
    return parseRoster(FILE, text, FACTS);
  } catch (error) {
    throw new Error(
      `parseRoster threw on ${JSON.stringify(text.slice(0, 300))}: ${(error as Error).stack ?? String(error)}`,
      { cause: error },
    );
  }
}

function check(text: string): RosterResult {
  const result = parse(text);
  const violation = shapeViolation(text, result);
  if (violation !== null) throw new Error(`${violation}\n--- input ---\n${JSON.stringify(text)}`);
  return result;
}

// ---------------------------------------------------------------------------------------
// Generators

/** Strings from every unit fast-check knows, plus YAML's favourite characters. */
const yamlChars = fc.constantFrom(
  ":",
  " ",
  "-",
  "\n",
  "\t",
  "\r",
  "#",
  "&",
  "*",
  "!",
  "|",
  ">",
  "'",
  '"',
  "%",
  "@",
  "`",
  "[",
  "]",
  "{",
  "}",
  ",",
  "?",
  "<<",
  "---",
  "...",
  "\0",
  "\uFEFF",
  "\u2028",
  "\u0085",
  "é",
  "漢",
  "🚀",
  "\\",
  "~",
);
const anyString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc.string({ unit: yamlChars, maxLength: 120 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString("utf8")),
);

const VALID_LINES = [
  "version: 1",
  "fleet: mosaic-factory",
  "defaults:",
  "  tenant: jarvis",
  "  host: W-jarvis",
  "  socket: mosaic-factory",
  '  unit: "mosaic-agent@{name}.service"',
  "  lifecycle: core",
  "  boot: enabled",
  "  heartbeat:",
  "    interval: 15s",
  "runtimes:",
  "  pi:",
  '    match: ["pi"]',
  "agents:",
  "  - name: _holder",
  "    runtime: shell",
  "    heartbeat: false",
  "  - name: canary-pi",
  "    runtime: pi",
  "  - name: dogfood-coder",
  "    runtime: stub",
  "  - name: worker-1",
  "    runtime: codex",
  "    lifecycle: ephemeral",
];

/** Keys of every level of the roster, with near-misses, tricky and hostile ones. */
const keyArb = fc.oneof(
  fc.constantFrom(
    "version",
    "fleet",
    "defaults",
    "runtimes",
    "agents",
    "name",
    "runtime",
    "tenant",
    "host",
    "socket",
    "unit",
    "lifecycle",
    "boot",
    "heartbeat",
    "interval",
    "match",
    "description",
    "runtme",
    "agnets",
    "nmae",
    "__proto__",
    "constructor",
    "prototype",
    "toString",
    "hasOwnProperty",
    "<<",
    "? complex",
    '"quoted key"',
    "'single'",
    "1",
    "null",
    "~",
    "true",
    "-",
    "é",
    "漢字",
    "a b",
    "a:b",
    "[x]",
    "{x: 1}",
    "&k key",
    "*k",
    "!!str name",
    "name\0",
  ),
  fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 12 }),
);

/** Scalars as written in YAML: types YAML coerces, hostile names, durations, escapes. */
const valueArb = fc.oneof(
  fc.constantFrom(
    "007",
    "~",
    "null",
    "1e3",
    "-5",
    "10x",
    "0",
    "1.5",
    "15 s",
    "15s",
    "2m",
    "500ms",
    "true",
    "false",
    "yes",
    "no",
    "0x1F",
    "0o17",
    ".inf",
    "-.inf",
    ".nan",
    "2026-06-20",
    "1_000",
    "+1",
    "''",
    '""',
    '"a*"',
    "a*",
    '"a["',
    '"a:b"',
    "a.b",
    "a/b",
    '".."',
    '"a b"',
    '"a\\0b"',
    '"a\\n"',
    '"a\\u0000"',
    '"\\x1b]52;c;aGk=\\x07"',
    "x".repeat(64),
    "x".repeat(65),
    '"-a"',
    "pi",
    "stub",
    "shell",
    "claude",
    "codex",
    "opencode",
    "nope",
    "core",
    "ephemeral",
    "enabled",
    "any",
    "[]",
    "{}",
    "[1, 2]",
    "{a: 1}",
    "[pi]",
    '["pi", "stub"]',
    "!!str 007",
    "!!int 7",
    "!!binary aGk=",
    "!custom x",
    "&a 1",
    "*a",
    "*undefined",
    "&a [*a]",
    "|\n  block",
    ">\n  folded",
    "- x",
    "@reserved",
    "`backtick`",
    "%percent",
    "é",
    "漢字",
    "🚀",
    "\u200b",
    "\u00a0",
    "\uFEFF",
    "\0",
    "\t",
    "a\tb",
  ),
  fc.integer({ min: -1e6, max: 1e6 }).map(String),
  fc.double({ noDefaultInfinity: false }).map(String),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ unit: "grapheme-ascii", maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 10 }).map((s) => JSON.stringify(s)),
);

const indentArb = fc.constantFrom("", "  ", "    ", "      ", "  - ", "    - ", " ", "\t", "  \t", "\t- ");

/** One line of YAML-ish text built from the pools above. */
const lineArb = fc.oneof(
  fc.tuple(indentArb, keyArb, valueArb).map(([indent, key, value]) => `${indent}${key}: ${value}`),
  fc.tuple(indentArb, keyArb).map(([indent, key]) => `${indent}${key}:`),
  fc.tuple(indentArb, valueArb).map(([indent, value]) => `${indent}${value}`),
  fc
    .tuple(indentArb, fc.constantFrom("a", "b", "base", "x"), keyArb)
    .map(([indent, anchor, key]) => `${indent}${key}: &${anchor}`),
  fc
    .tuple(indentArb, fc.constantFrom("a", "b", "base", "x", "nope"))
    .map(([indent, anchor]) => `${indent}<<: *${anchor}`),
  fc
    .tuple(indentArb, fc.constantFrom("a", "b", "base", "x"), keyArb)
    .map(([indent, anchor, key]) => `${indent}${key}: *${anchor}`),
  fc.constantFrom(
    "---",
    "...",
    "--- !!map",
    "%YAML 1.2",
    "%TAG ! tag:x,2000:",
    "# comment",
    "",
    "\uFEFF",
    "-",
    "- -",
    "? ",
  ),
  anyString.map((s) => s.replace(/\n/g, " ")),
);

type Mutation =
  | { op: "insert"; at: number; line: string }
  | { op: "delete"; at: number }
  | { op: "replace"; at: number; line: string }
  | { op: "duplicate"; at: number }
  | { op: "reindent"; at: number; indent: string }
  | { op: "value"; at: number; value: string }
  | { op: "splice"; at: number; pos: number; text: string }
  | { op: "truncate"; at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), line: lineArb }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("replace" as const), at: fc.nat(), line: lineArb }),
  fc.record({ op: fc.constant("duplicate" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("reindent" as const), at: fc.nat(), indent: indentArb }),
  fc.record({ op: fc.constant("value" as const), at: fc.nat(), value: valueArb }),
  fc.record({ op: fc.constant("splice" as const), at: fc.nat(), pos: fc.nat(), text: fc.oneof(yamlChars, anyString) }),
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
);

function applyMutations(base: readonly string[], mutations: readonly Mutation[]): string[] {
  const lines = [...base];
  for (const m of mutations) {
    const at = lines.length === 0 ? 0 : m.at % lines.length;
    const line = lines[at] ?? "";
    switch (m.op) {
      case "insert":
        lines.splice(m.at % (lines.length + 1), 0, m.line);
        break;
      case "delete":
        lines.splice(at, 1);
        break;
      case "replace":
        lines[at] = m.line;
        break;
      case "duplicate":
        lines.splice(at, 0, line);
        break;
      case "reindent":
        lines[at] = m.indent + line.trimStart();
        break;
      case "value": {
        const colon = line.indexOf(": ");
        lines[at] = colon === -1 ? `${line}: ${m.value}` : `${line.slice(0, colon + 2)}${m.value}`;
        break;
      }
      case "splice": {
        const pos = m.pos % (line.length + 1);
        lines[at] = line.slice(0, pos) + m.text + line.slice(pos);
        break;
      }
      case "truncate":
        lines[at] = line.slice(0, m.at % (line.length + 1));
        break;
    }
  }
  return lines;
}

const lineEndingArb = fc.constantFrom("\n", "\r\n", "\r");
const mutatedRosterArb = fc
  .record({
    mutations: fc.array(mutationArb, { minLength: 1, maxLength: 8 }),
    eol: lineEndingArb,
    bom: fc.boolean(),
    finalEol: fc.boolean(),
  })
  .map(({ mutations, eol, bom, finalEol }) => {
    const lines = applyMutations(VALID_LINES, mutations);
    return (bom ? "\uFEFF" : "") + lines.join(eol) + (finalEol ? eol : "");
  });

/** Agent names of every type, as JS values (serialised to YAML by the yaml library). */
const nameValueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    "a",
    "canary-pi",
    "_holder",
    "007",
    "1e3",
    "x".repeat(64),
    "x".repeat(65),
    "a.b",
    "a:b",
    "a/b",
    "..",
    "a b",
    "a\0b",
    "-a",
    "",
    "a*",
    "a[",
    "é",
    "null",
    "~",
  ),
  fc.string({ unit: "grapheme-ascii", maxLength: 70 }),
  fc.string({ unit: "binary", maxLength: 10 }),
  fc.integer(),
  fc.double(),
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
);

const runtimeValueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom("pi", "stub", "shell", "claude", "codex", "opencode", "nope", "PI", ""),
  fc.jsonValue({ maxDepth: 1 }),
);

const agentArb = fc.record(
  {
    name: nameValueArb,
    runtime: runtimeValueArb,
    tenant: fc.oneof(fc.constantFrom("me", "jarvis", "Bad", "root"), fc.jsonValue({ maxDepth: 1 })),
    host: fc.oneof(fc.constantFrom("h", "W-jarvis", "other-host", "-bad"), fc.jsonValue({ maxDepth: 1 })),
    lifecycle: fc.oneof(fc.constantFrom("core", "ephemeral", "always"), fc.jsonValue({ maxDepth: 1 })),
    boot: fc.oneof(fc.constantFrom("enabled", "any", "disabled"), fc.jsonValue({ maxDepth: 1 })),
    heartbeat: fc.oneof(
      fc.boolean(),
      fc.record(
        {
          interval: fc.oneof(
            fc.constantFrom("15s", "2m", "500ms", "-5", "10x", "0", "1.5", "15 s"),
            fc.integer(),
            fc.double(),
            fc.constant(null),
          ),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    runtme: fc.jsonValue({ maxDepth: 1 }),
    __proto__: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
);

/** Rosters the contract accepts, as JS values: unique valid names, known runtimes, valid fields. */
const validAgentArb = fc.record(
  {
    runtime: fc.constantFrom("pi", "stub", "shell", "claude", "codex", "opencode"),
    lifecycle: fc.constantFrom("core", "ephemeral"),
    boot: fc.constantFrom("enabled", "any"),
    heartbeat: fc.oneof(fc.boolean(), fc.record({ interval: fc.constantFrom("15s", "2m", "500ms", 30, "45") })),
  },
  { requiredKeys: ["runtime"] },
);
const validNameArb = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/),
  // Strings YAML would read as numbers, null or booleans if they were not quoted.
  fc.constantFrom("007", "1e3", "null", "true", "0x1F", "123", "_", "a-b"),
);
const validRosterArb = fc
  .record({
    names: fc.uniqueArray(validNameArb, { minLength: 0, maxLength: 6 }),
    agents: fc.array(validAgentArb, { minLength: 6, maxLength: 6 }),
    defaults: fc.option(
      fc.record(
        {
          lifecycle: fc.constantFrom("core", "ephemeral"),
          heartbeat: fc.record({ interval: fc.constantFrom("15s", 20) }),
        },
        { requiredKeys: [] },
      ),
      { nil: undefined },
    ),
    fleet: fc.option(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), { nil: undefined }),
  })
  .map(({ names, agents, defaults, fleet }) => {
    const roster: Record<string, unknown> = { version: 1, agents: names.map((name, i) => ({ name, ...agents[i] })) };
    if (defaults !== undefined) roster["defaults"] = defaults;
    if (fleet !== undefined) roster["fleet"] = fleet;
    return roster;
  });

/** A valid roster with one field replaced by anything (a name by a number, null, a list …). */
const corruptedRosterArb = fc
  .tuple(
    validRosterArb,
    fc.nat(),
    fc.constantFrom("name", "runtime", "heartbeat", "lifecycle", "extra-key", "version", "agents", "defaults"),
    nameValueArb,
    fc.jsonValue({ maxDepth: 2 }),
  )
  .map(([roster, at, field, nameValue, anything]) => {
    const agents = roster["agents"] as Record<string, unknown>[];
    const agent = agents.length > 0 ? agents[at % agents.length] : undefined;
    switch (field) {
      case "name":
        if (agent) agent["name"] = nameValue;
        break;
      // JSON.stringify, not String(): a generated {"toString": 0} cannot be made a primitive.
      case "extra-key":
        if (agent) agent[JSON.stringify(anything).slice(0, 8) || "runtme"] = anything;
        break;
      case "version":
        roster["version"] = anything;
        break;
      case "agents":
        roster["agents"] = anything;
        break;
      case "defaults":
        roster["defaults"] = anything;
        break;
      case "runtime":
      case "heartbeat":
      case "lifecycle":
        if (agent) agent[field] = anything;
    }
    return roster;
  });

const rosterValueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: validRosterArb },
  { weight: 4, arbitrary: corruptedRosterArb },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        version: fc.oneof(fc.constant(1), fc.constant(2), fc.constant("1"), fc.jsonValue({ maxDepth: 1 })),
        fleet: fc.oneof(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 1 })),
        defaults: fc.oneof(agentArb, fc.jsonValue({ maxDepth: 2 })),
        runtimes: fc.oneof(
          fc.dictionary(
            fc.constantFrom("pi", "mine", "Bad", "x y", "__proto__"),
            fc.record(
              {
                match: fc.oneof(fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })),
              },
              { requiredKeys: [] },
            ),
            { maxKeys: 3 },
          ),
          fc.jsonValue({ maxDepth: 2 }),
        ),
        agents: fc.oneof(
          { weight: 4, arbitrary: fc.array(agentArb, { maxLength: 6 }) },
          { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
        ),
        extra: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue() },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 3, withNullPrototype: true, withBoxedValues: false }) },
);

/** YAML text for a JS value; some values (e.g. cyclic, exotic) the library cannot write. */
function toYaml(value: unknown, options: { duplicateAnchors: boolean }): string | null {
  try {
    // aliasDuplicateObjects: repeated objects become &anchor / *alias in the text.
    const text: unknown = stringify(value, { aliasDuplicateObjects: options.duplicateAnchors });
    return typeof text === "string" ? text : null;
  } catch {
    return null;
  }
}

function agentsOf(value: unknown): unknown[] | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const agents = (value as Record<string, unknown>)["agents"];
  return Array.isArray(agents) ? agents : null;
}

// ---------------------------------------------------------------------------------------

describe("parseRoster (property): never throws, always well-formed problems", () => {
  it("arbitrary strings (binary, graphemes, YAML punctuation, raw bytes as UTF-8)", () => {
    fc.assert(
      fc.property(anyString, (text) => {
        check(text);
      }),
      { numRuns: RUNS },
    );
  });

  it("mutated valid rosters (keys, values, types, indentation, anchors, aliases, merges, unicode, NUL, tabs, BOM, CR/CRLF)", () => {
    let accepted = 0;
    fc.assert(
      fc.property(mutatedRosterArb, (text) => {
        if (check(text).ok) accepted += 1;
      }),
      { numRuns: RUNS },
    );
    // The generator must also produce rosters that pass, or the name checks test nothing.
    expect(accepted).toBeGreaterThan(0);
  });

  it("the valid roster itself passes (a control for the mutations above)", () => {
    const result = check(`${VALID_LINES.join("\n")}\n`);
    expect(result.ok).toBe(true);
    if (result.ok)
      expect(result.fleet.agents.map((a) => a.name)).toEqual(["_holder", "canary-pi", "dogfood-coder", "worker-1"]);
  });

  it("arbitrary JSON-ish values serialised as YAML (with and without anchors for repeated objects)", () => {
    let accepted = 0;
    fc.assert(
      fc.property(rosterValueArb, fc.boolean(), (value, duplicateAnchors) => {
        const text = toYaml(value, { duplicateAnchors });
        if (text === null) return;
        const result = check(text);
        if (!result.ok) return;
        accepted += 1;
        // Every accepted name is the very string the document held, never a coerced scalar.
        const agents = agentsOf(value);
        expect(agents, "an accepted roster has an agents list").not.toBeNull();
        expect(result.fleet.agents.map((a) => a.name)).toEqual(
          (agents ?? []).map((a) => (a as { name: unknown }).name),
        );
        for (const agent of agents ?? []) expect(typeof (agent as { name: unknown }).name).toBe("string");
      }),
      { numRuns: RUNS },
    );
    expect(accepted, "the generator must produce accepted rosters too").toBeGreaterThan(RUNS / 10);
  });
});

describe("parseRoster (property): messages are safe to print", () => {
  // A roster can be a proposed change from someone else (`fleet diff`): its bytes are
  // hostile. A raw ESC, BEL, NUL or C1 byte echoed into a problem would be interpreted
  // by the operator's terminal (OSC 52 clipboard writes, title changes, cursor moves).
  it("no problem message holds a raw control character (C0, DEL, C1), whatever the file holds", () => {
    fc.assert(
      fc.property(fc.oneof(anyString, mutatedRosterArb), (text) => {
        const result = parse(text);
        if (result.ok) return;
        for (const p of result.problems) {
          // eslint-disable-next-line no-control-regex -- the property is about control bytes
          if (/[\u0000-\u001f\u007f-\u009f]/.test(p.message)) {
            throw new Error(
              `raw control character in ${p.line}:${p.col} ${JSON.stringify(p.message)}\n--- input ---\n${JSON.stringify(text)}`,
            );
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe("parseRoster (property): a YAML number, null or boolean is never a name", () => {
  const plainScalar = fc.oneof(
    fc.integer().map(String),
    fc.integer({ min: 0, max: 999_999 }).map((n) => `0${n}`), // 007 and friends
    fc.integer({ min: 0, max: 0o7777 }).map((n) => `0o${n.toString(8)}`),
    fc.integer({ min: 0, max: 0xffff }).map((n) => `0x${n.toString(16)}`),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: -20, max: 20 })).map(([m, e]) => `${m}e${e}`),
    fc.constantFrom(
      "~",
      "null",
      "Null",
      "NULL",
      "",
      "true",
      "false",
      "True",
      "FALSE",
      ".inf",
      "-.inf",
      ".nan",
      ".NaN",
      "1e3",
      "+12",
      "-0",
    ),
  );

  it("name: <plain number/null/bool scalar> is rejected at the name's value, with a position", () => {
    fc.assert(
      fc.property(plainScalar, fc.constantFrom("pi", "stub"), (scalar, runtime) => {
        const text = `version: 1\nagents:\n  - name: ${scalar}\n    runtime: ${runtime}\n`;
        const result = check(text);
        // Only a scalar YAML 1.2 core reads as a string may be a name at all.
        if (result.ok) {
          const name = result.fleet.agents[0]?.name;
          expect(name, `accepted ${JSON.stringify(scalar)}`).toBe(scalar);
          return;
        }
        const atName = result.problems.filter((p) => p.line === 3);
        expect(atName.length, `${JSON.stringify(scalar)}: ${JSON.stringify(result.problems)}`).toBeGreaterThan(0);
        for (const p of atName) expect(p.col).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: RUNS },
    );
  });

  it("the same scalars quoted are names exactly when they match the contract's rule", () => {
    fc.assert(
      fc.property(plainScalar, (scalar) => {
        const text = `version: 1\nagents:\n  - name: ${JSON.stringify(scalar)}\n    runtime: pi\n`;
        const result = check(text);
        expect(result.ok, `${JSON.stringify(scalar)} → ${JSON.stringify(result)}`).toBe(NAME_RE.test(scalar));
        if (result.ok) expect(result.fleet.agents[0]?.name).toBe(scalar);
      }),
      { numRuns: RUNS },
    );
  });

  it("arbitrary quoted names are accepted exactly when they match the rule, and kept verbatim", () => {
    const nameArb = fc.oneof(
      fc.string({ unit: "grapheme-ascii", maxLength: 70 }),
      fc.string({
        unit: fc.constantFrom("a", "Z", "0", "_", "-", ".", ":", "/", "*", "[", " ", "\0", "\t", "é", "\u200b"),
        maxLength: 70,
      }),
      fc.string({ unit: "binary", maxLength: 20 }),
    );
    fc.assert(
      fc.property(nameArb, (name) => {
        // JSON strings are valid YAML double-quoted scalars (escapes included).
        const text = `version: 1\nagents:\n  - name: ${JSON.stringify(name)}\n    runtime: pi\n`;
        const result = check(text);
        const expected = NAME_RE.test(name);
        expect(result.ok, `${JSON.stringify(name)} → ${JSON.stringify(result)}`).toBe(expected);
        if (result.ok) {
          expect(result.fleet.agents[0]?.name).toBe(name);
        } else {
          expect(
            result.problems.some((p) => p.line === 3 && p.col === 11),
            JSON.stringify(result.problems),
          ).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

// Regressions the properties above found, pinned as examples so a failure names its cause.
describe("parseRoster: inputs the properties found", () => {
  for (const [what, text] of [
    [
      "defaults.host is a mapping with a toString key",
      "version: 1\ndefaults:\n  host:\n    toString: false\nagents:\n  - name: a\n    runtime: pi\n",
    ],
    [
      "an agent's tenant is a mapping with valueOf and toString keys",
      "version: 1\nagents:\n  - name: a\n    runtime: pi\n    tenant: {valueOf: 1, toString: 2}\n",
    ],
    [
      "defaults.tenant is a mapping with a toString key",
      "version: 1\ndefaults:\n  tenant: {toString: x}\nagents:\n  - name: a\n    runtime: pi\n",
    ],
  ] as const) {
    it(`${what}: a positioned problem, never a throw`, () => {
      const result = check(text);
      expect(result.ok).toBe(false);
      if (!result.ok)
        expect(
          result.problems.some((p) => p.line >= 3),
          JSON.stringify(result.problems),
        ).toBe(true);
    });
  }

  it("a name written as a block scalar (|): the problem is one line, not the scalar's source lines", () => {
    const result = check("version: 1\nagents:\n  - name: |\n      a b\n    runtime: pi\n");
    expect(result.ok).toBe(false);
  });

  for (const [what, text] of [
    ["a lone CR inside a block scalar header", "version: >\rfleet: x\rdefaults:\n"],
    [
      "an unknown key holding OSC 52 and a title change",
      "version: 1\n\u001b]52;c;aGk=\u0007\u001b]0;pwned\u0007: 1\nagents: []\n",
    ],
    ["an unknown key holding a NUL byte and a TAB", "version: 1\nbad\u0000key\tx: 1\nagents: []\n"],
    ["a top-level scalar holding DEL and C1 CSI", "just a \u007f string \u009b31m\n"],
  ] as const) {
    it(`${what}: the problem message is one printable line (no raw control character reaches the terminal)`, () => {
      const result = parse(text);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      for (const p of result.problems) {
        // eslint-disable-next-line no-control-regex -- the property is about control bytes
        expect(p.message, JSON.stringify(p.message)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      }
    });
  }
});
