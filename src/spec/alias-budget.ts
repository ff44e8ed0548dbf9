import { isAlias, isMap, isPair, isScalar, isSeq, visit, type Alias, type Document, type Node } from "yaml";

// The alias-bomb guard: how many nodes the document would expand to once every alias
// is replaced by what it points at. Counting with memoised anchor sizes costs one walk
// of the written text, so a billion-laughs document is refused before it is expanded.

export const MAX_EXPANDED_NODES = 100_000;

/**
 * Resolve every alias in one walk: yaml's `Alias.resolve(doc)` walks the whole document
 * on each call, which made positioning many errors through an alias quadratic. The
 * rule is YAML's: the last anchor of that name written before the alias.
 */
export function aliasResolver(doc: Document): (alias: Alias) => Node | undefined {
  const targets = new Map<Alias, Node>();
  const latest = new Map<string, Node>();
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        const target = latest.get(node.source);
        if (target) targets.set(node, target);
      } else if (node.anchor) {
        latest.set(node.anchor, node);
      }
    },
  });
  return (alias) => targets.get(alias);
}

/** Nodes after alias expansion, stopping early once past `limit`. */
export function expandedSize(doc: Document, limit = MAX_EXPANDED_NODES): number {
  const memo = new Map<unknown, number>();
  const visiting = new Set<unknown>();
  const size = (node: unknown): number => {
    if (node === null || node === undefined) return 1;
    if (isAlias(node)) {
      const target = resolve(node) as unknown;
      return target === undefined ? 1 : size(target);
    }
    const known = memo.get(node);
    if (known !== undefined) return known;
    if (visiting.has(node)) return limit + 1; // A cycle expands forever.
    visiting.add(node);
    let total = 1;
    if (isMap(node) || isSeq(node)) {
      for (const item of node.items as unknown[]) {
        total += isPair(item) ? size(item.key) + size(item.value) : size(item);
        if (total > limit) break;
      }
    } else if (!isScalar(node)) {
      total = 1;
    }
    visiting.delete(node);
    memo.set(node, total);
    return total;
  };
  const resolve = aliasResolver(doc);
  return size(doc.contents);
}
