import { isMap, isScalar, isSeq, visit, type Document, type Node } from "yaml";
import { sourceText } from "./yaml-position.js";

// What a YAML value is, in the operator's words, for type errors ("must be a string,
// not binary data (!!binary)"). A roster holds plain data only: strings, numbers,
// booleans, null, mappings and lists. A value YAML would turn into something else —
// `!!binary` (bytes), `!!timestamp` (a date), `!!set`, `!!omap`, `!!pairs`, or a tag
// mosaic does not know — is never data a field accepts: it reaches the schema as a
// value no field matches, so it is refused with what it is, never silently read as
// `{}` or as the text of a Buffer (docs/roster.md).

/** What a non-plain value becomes for the schema: nothing accepts a symbol. */
export const NOT_ROSTER_DATA: unique symbol = Symbol("not roster data");

const CORE = "tag:yaml.org,2002:";
/** Explicit tags that still give plain data (`!!str 007` is the string "007"). */
const PLAIN_TAGS = new Set(["str", "int", "float", "bool", "null", "map", "seq", "merge"].map((t) => CORE + t));

/** `!!binary` for core tags, `!foo` / `!<tag:…>` as written for the rest. */
function shortTag(tag: string): string {
  return tag.startsWith(CORE) ? `!!${tag.slice(CORE.length)}` : tag.startsWith("!") ? tag : `!<${tag}>`;
}

/** The description of a value that is not plain roster data, or null for plain data. */
export function foreignValue(node: Node | null): string | null {
  if (node === null) return null;
  const tag = node.tag;
  if (isScalar(node)) {
    if (node.value instanceof Uint8Array) return "binary data (!!binary)";
    if (node.value instanceof Date) return "a timestamp (!!timestamp)";
  }
  if (tag === undefined || PLAIN_TAGS.has(tag)) return null;
  switch (tag) {
    case `${CORE}set`:
      return "a set (!!set)";
    case `${CORE}omap`:
      return "an ordered mapping (!!omap)";
    case `${CORE}pairs`:
      return "a list of pairs (!!pairs)";
    case `${CORE}binary`:
      return "binary data (!!binary)";
    case `${CORE}timestamp`:
      return "a timestamp (!!timestamp)";
    default:
      return `a value with the tag ${shortTag(tag)}, which a roster does not use`;
  }
}

/**
 * Make every non-plain node convert to NOT_ROSTER_DATA when the document becomes JS,
 * so the schema refuses it where it stands; returns how many were marked.
 */
export function markForeignValues(doc: Document): number {
  let marked = 0;
  visit(doc, {
    Node(_key, node) {
      if (foreignValue(node) === null) return undefined;
      (node as { toJSON: () => unknown }).toJSON = () => NOT_ROSTER_DATA;
      marked += 1;
      return visit.SKIP;
    },
  });
  return marked;
}

const MAX_QUOTE = 60;

/** What the operator wrote, in words: `the number 007`, `a list`, `binary data (!!binary)`. */
export function describeValue(node: Node | null, text: string): string {
  if (node === null) return "nothing";
  const foreign = foreignValue(node);
  if (foreign !== null) return foreign;
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) {
    const written = sourceText(node, text) ?? "";
    const value = node.value;
    if (value === null || value === undefined) return `null (written ${JSON.stringify(written || "")})`;
    if (typeof value === "number" || typeof value === "bigint") return `the number ${written}`;
    if (typeof value === "boolean") return `the boolean ${written}`;
    if (typeof value === "string") {
      const quoted = value.length > MAX_QUOTE ? `${value.slice(0, MAX_QUOTE - 3)}...` : value;
      return `the string ${JSON.stringify(quoted)}`;
    }
  }
  return "an unsupported value";
}
