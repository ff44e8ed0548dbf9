// Resource bombs by size as well as by count (README "Roster v1" › limits): generated
// rosters of every bomb shape — one big string repeated by aliases (plain or block
// scalar), billion laughs of any fan-out and depth, alias chains nested past the depth
// limit, self-referencing anchors, mappings with thousands of keys, deep flow/block
// nesting, long lines, too many agents — are each refused by the limit they hit, named
// in the message, at a real position; plain rosters (no aliases) of any size under the
// caps are never called an alias bomb. The CPU bound is a generous guard against a hang
// only; the assertions are on which limit was hit.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRoster, type RosterResult } from "../../src/spec/load.js";
import { MAX_ROSTER_BYTES } from "../../src/spec/read.js";
import {
  MAX_AGENTS,
  MAX_ALIAS_BYTES,
  MAX_ALIAS_NODES,
  MAX_DEPTH,
  MAX_KEYS_PER_MAPPING,
  MAX_LINE_CHARS,
} from "../../src/spec/roster-limits.js";

const FACTS = { user: "me", hostname: "h" };
const FILE = "roster.yaml";
/** A hang guard, not a performance assertion: a bomb that expanded would take minutes. */
const CPU_GUARD_MS = 5_000;

function parse(text: string): { result: RosterResult; cpuMs: number } {
  expect(Buffer.byteLength(text), "the generated roster must be under the file cap").toBeLessThanOrEqual(
    MAX_ROSTER_BYTES,
  );
  const before = process.cpuUsage();
  const result = parseRoster(FILE, text, FACTS);
  const used = process.cpuUsage(before);
  return { result, cpuMs: (used.user + used.system) / 1000 };
}

/** The one problem a bomb must produce: the named limit, at a position inside the file. */
function expectRefused(text: string, pattern: RegExp): void {
  const { result, cpuMs } = parse(text);
  expect(result.ok, "a bomb must be refused").toBe(false);
  if (result.ok) return;
  const messages = result.problems.map((p) => p.message).join("\n");
  expect(messages).toMatch(pattern);
  const lines = text.split("\n").length;
  for (const problem of result.problems) {
    expect(problem.line).toBeGreaterThanOrEqual(1);
    expect(problem.line).toBeLessThanOrEqual(lines);
  }
  expect(cpuMs, "hang guard").toBeLessThan(CPU_GUARD_MS);
}

const ALIAS_BYTES = new RegExp(`aliases expand to more than ${MAX_ALIAS_BYTES} extra bytes`);
const ALIAS_NODES = new RegExp(`aliases expand to more than ${MAX_ALIAS_NODES} extra nodes`);
const DEPTH = new RegExp(`nested more than ${MAX_DEPTH} levels`);

describe("roster resource bombs by size (README: roster limits)", () => {
  it("one large string repeated by aliases is refused by its expanded bytes, whatever the placement", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20_000, max: 60_000 }), // the string's length
        fc.integer({ min: 60, max: 400 }), // how many times it is repeated
        fc.constantFrom("plain", "quoted", "block"),
        fc.constantFrom("list", "agents", "tenant"),
        (length, copies, style, placement) => {
          fc.pre(length * copies > MAX_ALIAS_BYTES * 1.2);
          const body = "x".repeat(length);
          const scalar =
            style === "block"
              ? `|\n${body
                  .match(/.{1,100}/g)!
                  .map((l) => `    ${l}`)
                  .join("\n")}`
              : style === "quoted"
                ? `"${body.slice(0, MAX_LINE_CHARS - 40)}"`
                : body.slice(0, MAX_LINE_CHARS - 40);
          const effective = style === "block" ? length : Math.min(length, MAX_LINE_CHARS - 40);
          // Long plain/quoted strings cannot exceed a line: repeat more often instead.
          const times = Math.ceil((MAX_ALIAS_BYTES * 1.2) / effective) + copies;
          const rows = ["version: 1", `big: &s ${scalar}`];
          if (placement === "list") {
            for (let i = 0; i < times; i += 1) rows.push(`l${i % 900}_${Math.floor(i / 900)}: *s`);
            rows.push("agents: []");
          } else if (placement === "agents") {
            rows.push("agents:");
            for (let i = 0; i < times; i += 1) rows.push(`  - *s`);
          } else {
            rows.push("agents:");
            for (let i = 0; i < times; i += 1) rows.push(`  - {name: a${i}, runtime: pi, tenant: *s}`);
          }
          expectRefused(`${rows.join("\n")}\n`, ALIAS_BYTES);
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);

  it("billion laughs of any fan-out and depth is refused by its expanded nodes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 12 }), (fanOut, levels) => {
        fc.pre(fanOut ** levels > MAX_ALIAS_NODES * 2 && levels < MAX_DEPTH);
        const rows = ["version: 1", `x0: &a0 [${Array(fanOut).fill("lol").join(", ")}]`];
        for (let i = 1; i <= levels; i += 1)
          rows.push(
            `x${i}: &a${i} [${Array(fanOut)
              .fill(`*a${i - 1}`)
              .join(", ")}]`,
          );
        rows.push("agents: []");
        expectRefused(`${rows.join("\n")}\n`, ALIAS_NODES);
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it("nesting past the limit is refused, written (flow or block) or through alias chains", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MAX_DEPTH + 1, max: 400 }),
        fc.constantFrom("flow-seq", "flow-map", "block-map", "block-seq", "alias-chain"),
        (depth, shape) => {
          let text: string;
          if (shape === "flow-seq") text = `version: 1\nagents: []\nx: ${"[".repeat(depth)}${"]".repeat(depth)}\n`;
          else if (shape === "flow-map")
            text = `version: 1\nagents: []\nx: ${"{a: ".repeat(depth)}1${"}".repeat(depth)}\n`;
          else if (shape === "block-map")
            text = `version: 1\nagents: []\nx:\n${Array.from({ length: depth }, (_, i) => `${" ".repeat(i + 1)}a:`).join("\n")} 1\n`;
          else if (shape === "block-seq")
            text = `version: 1\nagents: []\nx:\n${Array.from({ length: depth }, (_, i) => `${" ".repeat(i * 2)}-`).join("\n")} 1\n`;
          else {
            const rows = ["version: 1", "agents: []", "c0: &c0 [leaf]"];
            for (let i = 1; i < depth; i += 1) rows.push(`c${i}: &c${i} [*c${i - 1}]`);
            text = `${rows.join("\n")}\n`;
          }
          const { result, cpuMs } = parse(text);
          expect(result.ok).toBe(false);
          if (result.ok) return;
          // Written nesting may already be a YAML syntax error for the parser; never a crash, never accepted.
          const messages = result.problems.map((p) => p.message).join("\n");
          if (shape === "alias-chain" || shape.startsWith("block")) expect(messages).toMatch(DEPTH);
          else expect(messages).toMatch(/nested|YAML/);
          expect(cpuMs).toBeLessThan(CPU_GUARD_MS);
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);

  it("an anchor that contains its own alias is refused, not expanded forever", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.boolean(), (padding, asMap) => {
        const items = Array.from({ length: padding }, () => "1");
        const text = asMap
          ? `version: 1\nagents: []\nx: &a {k: [${[...items, "*a"].join(", ")}]}\n`
          : `version: 1\nagents: []\nx: &a [${[...items, "*a"].join(", ")}]\n`;
        expectRefused(text, /alias refers to a node that contains it/);
      }),
      { numRuns: 30 },
    );
  });

  it("a mapping with more keys than the limit is refused quickly (yaml's own duplicate check was quadratic)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MAX_KEYS_PER_MAPPING + 1, max: 20_000 }),
        fc.constantFrom("root", "runtimes", "agent"),
        (keys, where) => {
          const entries = Array.from({ length: keys }, (_, i) => `k${i}: 1`);
          const text =
            where === "root"
              ? `version: 1\nagents: []\n${entries.join("\n")}\n`
              : where === "runtimes"
                ? `version: 1\nagents: []\nruntimes:\n${entries.map((e) => `  ${e}`).join("\n")}\n`
                : `version: 1\nagents:\n  - name: a\n    runtime: pi\n${entries.map((e) => `    ${e}`).join("\n")}\n`;
          fc.pre(Buffer.byteLength(text) <= MAX_ROSTER_BYTES);
          expectRefused(
            text,
            new RegExp(
              `mapping has ${keys + (where === "root" ? 2 : where === "agent" ? 2 : 0)} keys; at most ${MAX_KEYS_PER_MAPPING}`,
            ),
          );
        },
      ),
      { numRuns: 20 },
    );
  }, 120_000);

  it("duplicate keys are still found (now in one pass), at the second key", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_KEYS_PER_MAPPING - 4 }), fc.nat(), (keys, pick) => {
        const rows = ["version: 1", "agents: []", "runtimes:"];
        for (let i = 0; i < keys; i += 1) rows.push(`  r${i}: {match: [x]}`);
        rows.push(`  r${pick % keys}: {match: [y]}`);
        const { result } = parse(`${rows.join("\n")}\n`);
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(result.problems[0]).toMatchObject({ code: "DuplicateKey", line: rows.length, col: 3 });
      }),
      { numRuns: 30 },
    );
  });

  it("a line longer than the limit is refused at that line, before parsing", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MAX_LINE_CHARS + 1, max: 200_000 }),
        fc.integer({ min: 0, max: 20 }),
        (length, before) => {
          const rows = ["version: 1", "agents: []", ...Array.from({ length: before }, (_, i) => `# comment ${i}`)];
          rows.push(`x: "${"z".repeat(length - 5)}"`);
          const { result, cpuMs } = parse(`${rows.join("\n")}\n`);
          expect(result.ok).toBe(false);
          if (result.ok) return;
          expect(result.problems).toEqual([
            expect.objectContaining({
              code: "LimitExceeded",
              line: rows.length,
              col: MAX_LINE_CHARS + 1,
              message: `line is ${length} characters long; a roster line may be at most ${MAX_LINE_CHARS}`,
            }),
          ]);
          expect(cpuMs).toBeLessThan(CPU_GUARD_MS);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("more agents than the limit is refused by the agent limit, never called an alias bomb", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MAX_AGENTS + 1, max: MAX_AGENTS + 1_500 }),
        fc.constantFrom("flow", "block", "aliased"),
        (count, style) => {
          const rows = ["version: 1", "x: &agent {name: a, runtime: pi}", "agents:"];
          for (let i = 0; i < count; i += 1)
            rows.push(style === "aliased" ? "  - *agent" : style === "flow" ? `  - {name: a${i}}` : `  - name: a${i}`);
          const text = `${rows.join("\n")}\n`;
          fc.pre(Buffer.byteLength(text) <= MAX_ROSTER_BYTES);
          expectRefused(text, new RegExp(`roster lists ${count} agents; at most ${MAX_AGENTS} agents`));
          const { result } = parse(text);
          if (!result.ok) expect(result.problems.map((p) => p.message).join("\n")).not.toMatch(/alias/);
        },
      ),
      { numRuns: 12 },
    );
  }, 120_000);

  it("plain rosters (no aliases) up to the agent limit are accepted, never called a bomb", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_AGENTS }), fc.boolean(), (count, flow) => {
        const rows = ["version: 1", "fleet: big", "agents:"];
        for (let i = 0; i < count; i += 1)
          rows.push(flow ? `  - {name: agent-${i}, runtime: pi}` : `  - name: agent-${i}\n    runtime: pi`);
        const text = `${rows.join("\n")}\n`;
        fc.pre(Buffer.byteLength(text) <= MAX_ROSTER_BYTES);
        const { result, cpuMs } = parse(text);
        expect(result.ok ? "" : result.problems.map((p) => p.message).join("\n")).toBe("");
        if (result.ok) expect(result.fleet.agents).toHaveLength(count);
        expect(cpuMs).toBeLessThan(CPU_GUARD_MS);
      }),
      { numRuns: 12 },
    );
  }, 120_000);
});
