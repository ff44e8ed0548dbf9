import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from "yaml";
import { aliasResolver } from "./alias-budget.js";

// Resource bounds of a roster, by size as well as by count (README "Roster v1",
// "Limits"). The file is already capped in bytes (read.ts); these bound what the text
// can make the parser and validator do: a very long line, a mapping with tens of
// thousands of keys (yaml's own duplicate-key check is quadratic, so mosaic checks
// duplicates itself, in one pass), nesting, and what aliases add once expanded —
// nodes AND bytes, so one large string repeated by aliases is refused as surely as a
// billion-laughs tree. Every check is one linear pass with memoised anchors, before
// anything is expanded.

/** Longest line: no roster needs more; a longer one is refused before parsing. */
export const MAX_LINE_CHARS = 4_096;
/** Keys in one mapping. */
export const MAX_KEYS_PER_MAPPING = 1_000;
/** Nesting of mappings and lists, after alias expansion (a roster needs 5). */
export const MAX_DEPTH = 32;
/** Nodes aliases may add on top of the written ones. */
export const MAX_ALIAS_NODES = 100_000;
/** Bytes of scalar text aliases may add on top of the written ones. */
export const MAX_ALIAS_BYTES = 1024 * 1024;
/** Agents in one roster (after alias expansion). */
export const MAX_AGENTS = 5_000;

/** Which limit a roster hit, and where (a node, or an offset in the text). */
export type LimitHit =
  | { limit: "line-length"; offset: number; chars: number }
  | { limit: "keys"; node: Node; keys: number }
  | { limit: "depth"; node: Node }
  | { limit: "alias-cycle"; node: Node }
  | { limit: "alias-nodes"; node: Node | null }
  | { limit: "alias-bytes"; node: Node | null }
  | { limit: "agents"; node: Node; agents: number };

/** A mapping key written twice (the second one), found in one pass. */
export interface DuplicateKey {
  node: Node;
}

/** The operator's sentence for a limit hit: what was too big and what the bound is. */
export function limitMessage(hit: LimitHit): string {
  switch (hit.limit) {
    case "line-length":
      return `line is ${hit.chars} characters long; a roster line may be at most ${MAX_LINE_CHARS}`;
    case "keys":
      return `mapping has ${hit.keys} keys; at most ${MAX_KEYS_PER_MAPPING} keys per mapping`;
    case "depth":
      return `nested more than ${MAX_DEPTH} levels deep (counting what aliases expand to); refused`;
    case "alias-cycle":
      return "an alias refers to a node that contains it; it would expand forever";
    case "alias-nodes":
      return `aliases expand to more than ${MAX_ALIAS_NODES} extra nodes (an alias bomb); refused`;
    case "alias-bytes":
      return `aliases expand to more than ${MAX_ALIAS_BYTES} extra bytes of text (an alias bomb); refused`;
    case "agents":
      return `roster lists ${hit.agents} agents; at most ${MAX_AGENTS} agents per roster`;
    default: {
      const never: never = hit;
      return never;
    }
  }
}

/** The first line longer than MAX_LINE_CHARS, as an offset to its first character past the limit. */
export function longLine(text: string): Extract<LimitHit, { limit: "line-length" }> | null {
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    const chars = end - start - (text[end - 1] === "\r" ? 1 : 0);
    if (chars > MAX_LINE_CHARS) return { limit: "line-length", offset: start + MAX_LINE_CHARS, chars };
    start = end + 1;
  }
  return null;
}

/** Written size of a scalar: its text in UTF-8 bytes (what a copy costs). */
function scalarBytes(node: Node): number {
  const value = isScalar(node) ? node.value : null;
  if (value === null || value === undefined) return 0;
  if (typeof value === "string") return Buffer.byteLength(value);
  // YAML 1.2's other scalars: numbers and booleans, written as their text.
  return typeof value === "number" || typeof value === "boolean" || typeof value === "bigint"
    ? String(value).length
    : 0;
}

interface Size {
  nodes: number;
  bytes: number;
  /** Levels of collections below and including this node, expanded. */
  height: number;
}

class Refused extends Error {
  // An Error (lint: only-throw-error), so one that ever escaped the walk would still read as one.
  constructor(readonly hit: LimitHit) {
    super(`roster limit: ${hit.limit}`);
  }
}

/**
 * Every duplicate key, then the first limit the parsed document hits (keys per mapping,
 * depth, alias cycle, alias-added nodes or bytes, agents), or null. Linear in the
 * written document: an anchor's expanded size is computed once, however often it is used.
 */
export function checkRosterLimits(doc: Document): { duplicates: DuplicateKey[]; hit: LimitHit | null } {
  const duplicates: DuplicateKey[] = [];
  const resolve = aliasResolver(doc);
  const written: Size = { nodes: 0, bytes: 0, height: 0 };

  // Pass 1, over the text as written (aliases are leaves): keys, duplicates, depth, totals.
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (node === null || node === undefined) continue;
    written.nodes += 1;
    if (isAlias(node)) continue;
    if (isScalar(node)) {
      written.bytes += scalarBytes(node as Node);
      continue;
    }
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth > MAX_DEPTH) return { duplicates, hit: { limit: "depth", node: node as Node } };
    if (isMap(node)) {
      if (node.items.length > MAX_KEYS_PER_MAPPING)
        return { duplicates, hit: { limit: "keys", node: node as Node, keys: node.items.length } };
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = pair.key;
        if (isScalar(key)) {
          if (seen.has(key.value)) duplicates.push({ node: key as Node });
          seen.add(key.value);
        }
        stack.push({ node: key, depth: depth + 1 }, { node: pair.value, depth: depth + 1 });
      }
    } else {
      for (const item of node.items) stack.push({ node: item, depth: depth + 1 });
    }
  }

  // Pass 2: the expanded size, memoised per node; alias targets are shared, so each is measured once.
  const memo = new Map<unknown, Size>();
  const visiting = new Set<unknown>();
  const nodeBudget = written.nodes + MAX_ALIAS_NODES;
  const byteBudget = written.bytes + MAX_ALIAS_BYTES;
  let firstAlias: Node | null = null;
  const size = (node: unknown, depth: number): Size => {
    if (node === null || node === undefined) return { nodes: 1, bytes: 0, height: 0 };
    if (isAlias(node)) {
      firstAlias ??= node as Node;
      const target = resolve(node);
      return target === undefined ? { nodes: 1, bytes: 0, height: 0 } : size(target, depth);
    }
    const known = memo.get(node);
    if (known !== undefined) {
      if (depth + known.height - 1 > MAX_DEPTH) throw new Refused({ limit: "depth", node: node as Node });
      return known;
    }
    if (visiting.has(node)) throw new Refused({ limit: "alias-cycle", node: node as Node });
    const total: Size = { nodes: 1, bytes: 0, height: 0 };
    if (isScalar(node)) total.bytes = scalarBytes(node as Node);
    else if (isMap(node) || isSeq(node)) {
      if (depth > MAX_DEPTH) throw new Refused({ limit: "depth", node: node as Node });
      visiting.add(node);
      total.height = 1;
      const items = node.items as unknown[];
      for (const item of items) {
        const parts = isPair(item) ? [item.key, item.value] : [item];
        for (const part of parts) {
          const inner = size(part, depth + 1);
          total.nodes += inner.nodes;
          total.bytes += inner.bytes;
          total.height = Math.max(total.height, inner.height + 1);
        }
        if (total.nodes > nodeBudget) throw new Refused({ limit: "alias-nodes", node: firstAlias });
        if (total.bytes > byteBudget) throw new Refused({ limit: "alias-bytes", node: firstAlias });
      }
      visiting.delete(node);
    }
    memo.set(node, total);
    return total;
  };
  try {
    size(doc.contents, 1);
  } catch (error) {
    if (error instanceof Refused) return { duplicates, hit: error.hit };
    throw error;
  }

  const agents = agentList(doc, resolve);
  if (agents && agents.items.length > MAX_AGENTS)
    return { duplicates, hit: { limit: "agents", node: agents as Node, agents: agents.items.length } };
  return { duplicates, hit: null };
}

/** The `agents:` list of the root mapping, through an alias. */
function agentList(doc: Document, resolve: ReturnType<typeof aliasResolver>): { items: unknown[] } | null {
  const root = doc.contents;
  if (!isMap(root)) return null;
  const pair = root.items.find((p) => isScalar(p.key) && p.key.value === "agents");
  const value = isAlias(pair?.value) ? resolve(pair.value) : pair?.value;
  return isSeq(value) ? value : null;
}
