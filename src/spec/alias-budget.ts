import { isAlias, visit, type Alias, type Document, type Node } from "yaml";

// Which node each alias stands for. The expansion bounds (nodes and bytes aliases add)
// are in roster-limits.ts.

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
