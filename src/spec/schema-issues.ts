import { didYouMean } from "./suggest.js";
import { isScalar, type Document, type LineCounter, type Node } from "yaml";
import type { z } from "zod";
import type { RosterProblem } from "./problems.js";
import { KNOWN_KEYS } from "./schema.js";
import { locate, positionOf, sourceText, type PathSegment } from "./yaml-position.js";
import { describeValue, foreignValue } from "./yaml-values.js";

// Turns zod issues into positioned, operator-worded problems.

type Issue = z.core.$ZodIssue;

/** `agents[2].heartbeat.interval` */
function pathLabel(path: readonly PathSegment[]): string {
  let label = "";
  for (const segment of path) {
    if (typeof segment === "number") label += `[${segment}]`;
    else label += label === "" ? String(segment) : `.${String(segment)}`;
  }
  return label || "roster";
}

function knownKeysFor(path: readonly PathSegment[]): readonly string[] {
  const [first, , third] = path;
  if (path.length === 0) return KNOWN_KEYS.roster;
  if (first === "defaults" && path.length === 1) return KNOWN_KEYS.defaults;
  if (first === "agents" && path.length === 2) return KNOWN_KEYS.agent;
  if (first === "runtimes" && path.length === 2) return KNOWN_KEYS.runtime;
  if (first === "hosts" && path.length === 2) return KNOWN_KEYS.host;
  if (path[path.length - 1] === "heartbeat" || third === "heartbeat") return KNOWN_KEYS.heartbeat;
  if (path[path.length - 1] === "attention" || third === "attention") return KNOWN_KEYS.attention;
  return [];
}

/** Pick the union branch that speaks to the value the operator wrote. */
function flattenUnion(issue: Issue): Issue[] {
  if (issue.code !== "invalid_union" || !("errors" in issue) || issue.errors.length === 0) return [issue];
  const branches = issue.errors as Issue[][];
  const typeOnly = (branch: Issue[]) => branch.every((i) => i.code === "invalid_type" && i.path.length === 0);
  const specific = branches.find((branch) => !typeOnly(branch));
  if (!specific) return [issue];
  return specific.flatMap((inner) => flattenUnion({ ...inner, path: [...issue.path, ...inner.path] }));
}

/** One problem per issue (one per key for unknown keys), positioned in the YAML. */
export function problemsFromIssues(
  issues: readonly Issue[],
  file: string,
  doc: Document,
  lineCounter: LineCounter,
  text: string,
): RosterProblem[] {
  const problems: RosterProblem[] = [];
  const at = (node: Node | null, message: string, code: RosterProblem["code"] = "Schema") => {
    const { line, col } = positionOf(node, lineCounter);
    problems.push({ code, file, line, col, message });
  };

  for (const raw of issues.flatMap(flattenUnion)) {
    const path = raw.path as PathSegment[];
    const found = locate(doc, path);
    const label = pathLabel(path);

    if (raw.code === "unrecognized_keys") {
      const known = knownKeysFor(path);
      for (const key of raw.keys) {
        const keyNode = locate(doc, [...path, key]).key;
        const hint = didYouMean(key, known);
        const near = hint !== undefined ? `; did you mean "${hint}"?` : "";
        const where = path.length === 0 ? "the roster" : label;
        at(keyNode, `unknown key "${key}" in ${where}${near}`, "UnknownKey");
      }
      continue;
    }

    if (raw.code === "invalid_key") {
      // A record's key (a runtime's or a host's name): say what is wrong with it, at the key.
      const key = String(path[path.length - 1] ?? "");
      const why = raw.issues[0]?.message ?? "is not allowed";
      at(locate(doc, path).key ?? found.node, `${pathLabel(path.slice(0, -1))}: "${key}" ${why}`);
      continue;
    }

    if (found.depth < path.length) {
      // The value is absent: point at the mapping that should hold it.
      const missing = String(path[found.depth] ?? "");
      at(found.node, `${pathLabel(path.slice(0, found.depth))}: required key "${missing}" is missing`);
      continue;
    }

    if (raw.code === "invalid_type") {
      const expected = raw.expected === "int" ? "whole number" : raw.expected;
      at(
        found.node,
        `${label} must be ${article(expected)} ${expected}, not ${describeValue(found.node, text)}${quoteHint(found.node, expected)}`,
      );
      continue;
    }

    const expectedTypes = unionTypes(raw);
    if (expectedTypes !== null && raw.message === "Invalid input") {
      // `heartbeat: 7`: a union of types none of which matched: say which types it takes.
      const words = expectedTypes.map((t) => `${article(t)} ${t}`);
      const either = words.length > 1 ? `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}` : words[0];
      at(found.node, `${label} must be ${either}, not ${describeValue(found.node, text)}`);
      continue;
    }

    const message = raw.message.replace(/^Invalid input: /, "");
    // What was written: the text of a plain scalar, else what the value is.
    const written =
      isScalar(found.node) && foreignValue(found.node) === null
        ? ` (got ${sourceText(found.node, text) ?? "?"})`
        : found.node
          ? ` (got ${describeValue(found.node, text)})`
          : "";
    at(found.node, `${label}: ${message}${written}`);
  }
  return problems;
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? "an" : "a";
}

/** The types a union takes when every branch failed on the value's type alone, else null. */
function unionTypes(issue: Issue): string[] | null {
  if (issue.code !== "invalid_union" || !("errors" in issue) || issue.errors.length === 0) return null;
  const types: string[] = [];
  for (const branch of issue.errors as Issue[][]) {
    const [first] = branch;
    if (branch.length !== 1 || first?.code !== "invalid_type" || first.path.length !== 0) return null;
    const word = first.expected === "object" ? "mapping" : first.expected === "int" ? "whole number" : first.expected;
    if (!types.includes(word)) types.push(word);
  }
  return types;
}

function quoteHint(node: Node | null, expected: string): string {
  if (expected !== "string" || !isScalar(node) || node.value === undefined || foreignValue(node) !== null) return "";
  return "; quote it to make it a string";
}
