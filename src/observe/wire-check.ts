import { WIRE_JSON_SCHEMA } from "./wire-json-schema.js";

// The check every host's answer passes before it is decoded (docs/json.md,
// FleetObservation): the JSON Schema of the wire document (generated from the zod
// schema in wire-schema.ts by scripts/wire-check.mjs) compiled here, once, into plain
// closures. zod itself is never loaded by `fleet ps` (BENCHMARKS.md, "Round 3: many
// hosts"). Only the keywords zod emits for this schema are known; any other keyword is
// refused when the check is built, so the check can never be looser than the schema.
// test/remote/wire-check.test.ts pins that it accepts exactly what zod accepts.

/** A JSON Schema node, as generated (draft 2020-12, the subset zod emits here). */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** Null: valid. Otherwise where and why not (the first problem found). */
type Check = (value: unknown, path: string) => string | null;

const KNOWN = new Set([
  "$schema",
  "$defs",
  "$ref",
  "type",
  "const",
  "enum",
  "anyOf",
  "maxLength",
  "minLength",
  "minimum",
  "maximum",
  "maxItems",
  "minItems",
  "prefixItems",
  "items",
  "properties",
  "required",
  "additionalProperties",
]);

/** A string's length in code points (a surrogate pair is one; a lone surrogate is one). */
function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

function typeCheck(type: unknown): (value: unknown) => boolean {
  if (Array.isArray(type)) {
    const each = type.map(typeCheck);
    return (v) => each.some((is) => is(v));
  }
  switch (type) {
    case "string":
      return (v) => typeof v === "string";
    case "boolean":
      return (v) => typeof v === "boolean";
    case "null":
      return (v) => v === null;
    // JSON.parse turns 1e999 into Infinity: a number must be finite, as zod's is.
    case "number":
      return (v) => typeof v === "number" && Number.isFinite(v);
    case "integer":
      return (v) => Number.isSafeInteger(v);
    case "object":
      return (v) => typeof v === "object" && v !== null && !Array.isArray(v);
    case "array":
      return (v) => Array.isArray(v);
    default:
      throw new Error(`wire check: unknown type ${JSON.stringify(type)}`);
  }
}

function compile(node: JsonSchema, defs: Record<string, Check>, root: JsonSchema): Check {
  for (const keyword of Object.keys(node))
    if (!KNOWN.has(keyword)) throw new Error(`wire check: unknown keyword ${keyword}`);
  const checks: Check[] = [];
  const ref = node["$ref"];
  if (typeof ref === "string") {
    const name = /^#\/\$defs\/([^/]+)$/.exec(ref)?.[1];
    const target = name === undefined ? undefined : (root["$defs"] as Record<string, JsonSchema> | undefined)?.[name];
    if (name === undefined || target === undefined) throw new Error(`wire check: unknown $ref ${ref}`);
    checks.push((v, p) => (defs[name] ?? (defs[name] = compile(target, defs, root)))(v, p));
  }
  if (node["type"] !== undefined) {
    const is = typeCheck(node["type"]);
    const type = ([] as unknown[]).concat(node["type"]).join(" or ");
    checks.push((v, p) => (is(v) ? null : `${p}: expected ${type}`));
  }
  if ("const" in node) {
    const want = node["const"];
    checks.push((v, p) => (v === want ? null : `${p}: expected ${JSON.stringify(want)}`));
  }
  if (Array.isArray(node["enum"])) {
    const allowed = new Set<unknown>(node["enum"]);
    checks.push((v, p) => (allowed.has(v) ? null : `${p}: not one of the allowed values`));
  }
  const bound = (keyword: string, test: (v: unknown, n: number) => boolean, says: string) => {
    const n = node[keyword];
    if (typeof n === "number") checks.push((v, p) => (test(v, n) ? null : `${p}: ${says} ${n}`));
  };
  // Lengths in code points, as zod (and JSON Schema) count them.
  bound("maxLength", (v, n) => typeof v !== "string" || v.length <= n || codePoints(v) <= n, "longer than");
  bound("minLength", (v, n) => typeof v !== "string" || codePoints(v) >= n, "shorter than");
  bound("minimum", (v, n) => typeof v !== "number" || v >= n, "below");
  bound("maximum", (v, n) => typeof v !== "number" || v <= n, "above");
  bound("maxItems", (v, n) => !Array.isArray(v) || v.length <= n, "more items than");
  bound("minItems", (v, n) => !Array.isArray(v) || v.length >= n, "fewer items than");
  if (Array.isArray(node["anyOf"])) {
    const options = (node["anyOf"] as JsonSchema[]).map((o) => compile(o, defs, root));
    checks.push((v, p) => {
      let first: string | null = null;
      for (const option of options) {
        const problem = option(v, p);
        if (problem === null) return null;
        first ??= problem;
      }
      return first ?? `${p}: matches none of its forms`;
    });
  }
  const prefix = Array.isArray(node["prefixItems"])
    ? (node["prefixItems"] as JsonSchema[]).map((o) => compile(o, defs, root))
    : [];
  const items = node["items"];
  if (items !== undefined && items !== false && (typeof items !== "object" || items === null))
    throw new Error("wire check: items must be a schema or false");
  const rest = typeof items === "object" && items !== null ? compile(items as JsonSchema, defs, root) : null;
  if (prefix.length > 0 || items !== undefined)
    checks.push((v, p) => {
      if (!Array.isArray(v)) return null;
      for (let i = 0; i < v.length; i += 1) {
        const each = i < prefix.length ? prefix[i] : rest;
        if (each === undefined || each === null) {
          if (items === false) return `${p}: more than ${prefix.length} items`;
          continue;
        }
        const problem = each(v[i] as unknown, `${p}.${i}`);
        if (problem !== null) return problem;
      }
      return null;
    });
  if (node["properties"] !== undefined || node["required"] !== undefined || "additionalProperties" in node) {
    const properties = new Map(
      Object.entries((node["properties"] ?? {}) as Record<string, JsonSchema>).map(([k, s]) => [
        k,
        compile(s, defs, root),
      ]),
    );
    const required = (node["required"] ?? []) as string[];
    const closed = node["additionalProperties"] === false;
    if (!closed && node["additionalProperties"] !== undefined)
      throw new Error("wire check: additionalProperties must be false");
    checks.push((v, p) => {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return null;
      const record = v as Record<string, unknown>;
      for (const key of required) if (!Object.hasOwn(record, key)) return `${p}.${key}: required`;
      for (const key of Object.keys(record)) {
        const check = properties.get(key);
        if (check === undefined) {
          if (closed) return `${p}: unknown key ${JSON.stringify(key.slice(0, 64))}`;
          continue;
        }
        const problem = check(record[key], `${p}.${key}`);
        if (problem !== null) return problem;
      }
      return null;
    });
  }
  if (checks.length === 1) return checks[0] as Check;
  return (v, p) => {
    for (const check of checks) {
      const problem = check(v, p);
      if (problem !== null) return problem;
    }
    return null;
  };
}

let built: Check | undefined;

/** The whole check, every definition compiled now: an unknown keyword anywhere is found at once. */
function build(root: JsonSchema): Check {
  const defs: Record<string, Check> = {};
  const check = compile(root, defs, root);
  for (const [name, node] of Object.entries((root["$defs"] ?? {}) as Record<string, JsonSchema>))
    defs[name] ??= compile(node, defs, root);
  return check;
}

/** The check compiled from `schema` (tests: the same compiler on other schemas). */
export function compileWireCheck(schema: JsonSchema): (value: unknown) => string | null {
  const check = build(schema);
  return (value) => check(value, "");
}

/** Null when `value` is a valid FleetObservation document; otherwise the first problem, bounded. */
export function wireProblem(value: unknown): string | null {
  built ??= build(WIRE_JSON_SCHEMA);
  const problem = built(value, "");
  if (problem === null) return null;
  // ".tenants.0.tmux: …" → "tenants.0.tmux: …"; a problem with the whole document → "document: …".
  return (problem.startsWith(".") ? problem.slice(1) : `document${problem}`).slice(0, 200);
}
