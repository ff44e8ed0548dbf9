import { aliasResolver } from "./alias-budget.js";
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from "yaml";

// Maps a path into the parsed roster (as zod reports it) back to the YAML node it came
// from — through aliases and `<<` merges, so an error inside either points at text
// that exists.

export type PathSegment = string | number | symbol;

interface Located {
  /** The deepest node found along the path. */
  node: Node | null;
  /** The key node of the last step, when the step was a map key. */
  key: Node | null;
  /** How many segments of the path were found. */
  depth: number;
  /** The deepest node as written: an alias stays an alias (its own position). */
  written: Node | null;
}

const resolvers = new WeakMap<Document, ReturnType<typeof aliasResolver>>();

function deref(node: unknown, doc: Document): unknown {
  let resolve = resolvers.get(doc);
  if (!resolve) {
    resolve = aliasResolver(doc);
    resolvers.set(doc, resolve);
  }
  let current = node;
  for (let hops = 0; isAlias(current) && hops < 64; hops += 1) {
    current = resolve(current);
  }
  return current;
}

function keyOf(pair: Pair): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

/** With `merge: true`, yaml represents `<<` keys as a symbol; plain `<<` otherwise. */
function isMergeKey(pair: Pair): boolean {
  const key = keyOf(pair);
  return key === "<<" || (typeof key === "symbol" && key.description === "<<");
}

function findPair(map: unknown, segment: PathSegment, doc: Document, seen = new Set<unknown>()): Pair | undefined {
  const node = deref(map, doc);
  if (!isMap(node) || seen.has(node)) return undefined;
  seen.add(node);
  for (const pair of node.items) {
    if (keyOf(pair) === segment) return pair;
  }
  // A key that came in through a `<<` merge lives in the merged mapping.
  for (const pair of node.items) {
    if (!isMergeKey(pair)) continue;
    const source = deref(pair.value, doc);
    const sources = isSeq(source) ? source.items : [source];
    for (const item of sources) {
      const found = findPair(item, segment, doc, seen);
      if (found) return found;
    }
  }
  return undefined;
}

/** Walk `path` from the document root as far as the YAML goes. */
export function locate(doc: Document, path: readonly PathSegment[]): Located {
  let node: unknown = doc.contents;
  let key: Node | null = null;
  let depth = 0;
  for (const segment of path) {
    const current = deref(node, doc);
    if (isMap(current)) {
      const pair = findPair(current, segment, doc);
      if (!pair) break;
      key = isPair(pair) && pair.key && typeof pair.key === "object" ? (pair.key as Node) : null;
      // `name:` with no value: stay on the key so the position is still real.
      node = pair.value ?? pair.key;
    } else if (isSeq(current) && typeof segment === "number") {
      const item = current.items[segment];
      if (item === undefined) break;
      node = item;
      key = null;
    } else {
      break;
    }
    depth += 1;
  }
  const resolved = deref(node, doc);
  return { node: (resolved ?? null) as Node | null, key, depth, written: (node ?? null) as Node | null };
}

/** 1-based line and column of a node's start (1:1 when there is none). */
export function positionOf(node: Node | null | undefined, lineCounter: LineCounter): { line: number; col: number } {
  const offset = node?.range?.[0];
  if (offset === undefined) return { line: 1, col: 1 };
  return lineCounter.linePos(offset);
}

/** The text of a node as the operator wrote it (`007`, `~`, `1e3`). */
export function sourceText(node: Node | null | undefined, text: string): string | undefined {
  const range = node?.range;
  if (!range) return undefined;
  // A quote for a one-line message: the first line, shortened (block scalars span many).
  const written = text.slice(range[0], range[1]).trim();
  const [first = ""] = written.split(/\r\n|\r|\n/);
  const short = first.length > 60 ? `${first.slice(0, 57)}...` : first;
  return short === written ? written : `${short}${short.endsWith("...") ? "" : " ..."}`;
}
