import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileWireCheck, wireProblem } from "../../src/observe/wire-check.js";
import { ObservationWire } from "../../src/observe/wire-schema.js";
import { encodeObservation } from "../../src/observe/wire.js";
import { agentSpec, chain, pane, present, unit, world } from "../diff/facts.js";
import { ROOT } from "../integration/fleet-support.js";

// The wire check `fleet ps` runs on every host's answer (src/observe/wire-check.ts) is
// compiled from the JSON Schema generated from the zod schema (wire-schema.ts): the
// generated file is current, and the check accepts exactly the documents zod accepts —
// arbitrary JSON, and valid documents mutated anywhere (values replaced, keys dropped or
// added, strings and numbers at and past every bound). Pure parsing: no hosts needed.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const zodAccepts = (value: unknown) => ObservationWire.safeParse(value).success;
const checkAccepts = (value: unknown) => wireProblem(value) === null;

/** A valid document with every form in it: dead and live panes, units with restarts, each heartbeat state. */
function validDocument(): Json {
  const specs = [
    agentSpec({ name: "canary" }),
    agentSpec({ name: "worker", runtime: "codex" }),
    agentSpec({ name: "quiet", heartbeat: { expected: false, intervalS: 15 } }),
  ];
  const { observation } = world(specs, {
    worker: { tree: chain(["node", "/usr/bin/claude"]), heartbeat: present({ pid: 4242, ack: "m1", seq: 3 }) },
    quiet: {
      pane: pane("quiet", { dead: true, deadStatus: 1, deadSignal: 9, lastLines: ["bye \u001b[2J", "𝄞"] }),
      unit: unit("quiet.service", {
        restarts: { count: 2, result: "exit-code", lastExit: { kind: "exited", status: 3 }, mainStartedAtMs: null },
      }),
    },
  });
  observation.zombies = new Set([777]);
  return JSON.parse(encodeObservation(observation, "test")) as Json;
}

/** Values at and past the schema's bounds, plus every sub-value of the valid document. */
function interesting(doc: Json): Json[] {
  const pool: Json[] = [
    null,
    true,
    false,
    0,
    -1,
    -2,
    1.5,
    2 ** 31,
    2 ** 31 + 1,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    -1e308,
    "",
    "x".repeat(4096),
    "x".repeat(4097),
    "𝄞".repeat(2048),
    "𝄞".repeat(2048) + "x",
    "𝄞".repeat(4096),
    "𝄞".repeat(4097),
    "\ud834".repeat(4097),
    "\ud834".repeat(4095) + "𝄞",
    "present",
    "missing",
    "invalid",
    "Symlink",
    "TmuxTimeout",
    "exited",
    [],
    {},
    ["a", "b"],
    [1, null],
  ];
  const walk = (v: Json) => {
    pool.push(v);
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === "object" && v !== null) Object.values(v).forEach(walk);
  };
  walk(doc);
  return pool;
}

function pathsOf(doc: Json): (string | number)[][] {
  const paths: (string | number)[][] = [];
  const walk = (v: Json, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(doc, []);
  return paths;
}

type Mutation =
  | { op: "replace"; value: Json }
  | { op: "drop" }
  | { op: "add"; key: string; value: Json }
  | { op: "repeat"; times: number };

/** The document after one mutation at `path` (through JSON, as an answer arrives: 1e999 becomes Infinity). */
function mutate(doc: Json, path: (string | number)[], mutation: Mutation): unknown {
  const copy = structuredClone(doc);
  const parentPath = path.slice(0, -1);
  const last = path[path.length - 1];
  let parent: Json = copy;
  for (const key of parentPath) parent = (parent as Record<string | number, Json>)[key] as Json;
  const container = parent as Record<string | number, Json>;
  switch (mutation.op) {
    case "replace":
      if (last === undefined) return mutation.value;
      container[last] = mutation.value;
      break;
    case "drop":
      if (last === undefined) return null;
      if (Array.isArray(container)) container.splice(Number(last), 1);
      else delete container[last];
      break;
    case "add": {
      const target = last === undefined ? copy : container[last];
      if (Array.isArray(target)) target.push(mutation.value);
      else if (typeof target === "object" && target !== null)
        Object.defineProperty(target, mutation.key, { value: mutation.value, enumerable: true, writable: true });
      break;
    }
    case "repeat": {
      // A string, array or number grown to a bound's edge (4096 characters; 256, 1000 items).
      if (last === undefined) break;
      const value = container[last] as Json;
      if (typeof value === "string") container[last] = (value || "y").repeat(mutation.times).slice(0, mutation.times);
      else if (Array.isArray(value) && value.length > 0)
        container[last] = Array.from({ length: mutation.times }, (_, i) => value[i % value.length] as Json);
      else if (typeof value === "number") container[last] = value + mutation.times + 0.5;
      break;
    }
    default:
      mutation satisfies never;
  }
  return JSON.parse(JSON.stringify(copy).replace(/"__INFINITY__"/g, "1e999"));
}

describe("wire check", () => {
  it("is generated from the current zod schema", () => {
    const run = spawnSync(process.execPath, ["scripts/wire-check.mjs", "--check"], { cwd: ROOT, encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  it("accepts the valid document, as zod does", () => {
    const doc = validDocument();
    expect(zodAccepts(doc)).toBe(true);
    expect(wireProblem(doc)).toBeNull();
  });

  it("accepts exactly what zod accepts: any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(checkAccepts(value)).toBe(zodAccepts(value));
      }),
      { numRuns: 1000 },
    );
  });

  it("accepts exactly what zod accepts: a valid document mutated anywhere", () => {
    const doc = validDocument();
    const paths = pathsOf(doc);
    const pool = interesting(doc);
    const value = fc.oneof(fc.constantFrom(...pool), fc.jsonValue() as fc.Arbitrary<Json>, fc.constant("__INFINITY__"));
    const mutation: fc.Arbitrary<Mutation> = fc.oneof(
      value.map((v) => ({ op: "replace" as const, value: v })),
      fc.constant({ op: "drop" as const }),
      fc.record({
        op: fc.constant("add" as const),
        key: fc.constantFrom("extra", "__proto__", "constructor", "ok", "exes"),
        value,
      }),
      fc.record({
        op: fc.constant("repeat" as const),
        times: fc.constantFrom(0, 2, 255, 256, 257, 1000, 1001, 1024, 1025, 4096, 4097),
      }),
    );
    let refused = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: paths.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 2 }),
        (index, mutations) => {
          let current: unknown = doc;
          for (const m of mutations) current = mutate(current as Json, paths[index] ?? [], m);
          const zod = zodAccepts(current);
          if (!zod) refused += 1;
          expect(checkAccepts(current), JSON.stringify(current).slice(0, 300)).toBe(zod);
        },
      ),
      { numRuns: 2000 },
    );
    // Both sides seen: the mutations make valid and invalid documents.
    expect(refused).toBeGreaterThan(100);
    expect(refused).toBeLessThan(2000);
  });

  it("names where the first problem is, bounded", () => {
    const doc = validDocument() as Record<string, Json>;
    expect(wireProblem({ ...doc, host: "x".repeat(5000) })).toBe("host: longer than 4096");
    expect(wireProblem(7)).toBe("document: expected object");
    expect(wireProblem({ ...doc, ["k".repeat(500)]: 1 })?.length).toBeLessThanOrEqual(200);
  });

  it("refuses to build from a schema with a keyword it does not know", () => {
    expect(() => compileWireCheck({ type: "string", pattern: "^a" })).toThrow(/unknown keyword pattern/);
    expect(() => compileWireCheck({ type: "object", additionalProperties: true })).toThrow(/additionalProperties/);
  });
});
