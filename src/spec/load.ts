import { isAlias, isMap, isSeq, LineCounter, parseDocument, visit, type Document } from "yaml";
import { checkRosterLimits, limitMessage, longLine, type LimitHit } from "./roster-limits.js";
import { printableMessage, type RosterProblem } from "./problems.js";
import { readRosterText, type RosterFile, type RosterResult } from "./read.js";
import { resolveFleet, machineFacts, type MachineFacts } from "./resolve.js";
import { crossFieldProblems } from "./rules.js";
import { runtimeCatalog } from "./runtimes.js";
import { RosterSchema } from "./schema.js";
import { problemsFromIssues } from "./schema-issues.js";
import { locate, positionOf } from "./yaml-position.js";
import { markForeignValues } from "./yaml-values.js";

// Reads a roster: file → YAML (positions kept) → schema → cross-field rules → the
// resolved fleet. Every problem is collected; none is thrown.

/** yaml's own per-alias guard; the real bounds are in roster-limits.ts. */
const MAX_ALIAS_COUNT = 10_000;
/** Enough problems to fix a roster; more would bury the first ones. */
const MAX_PROBLEMS = 50;

export { rosterFileAt, STDIN_ROSTER, type RosterFile, type RosterResult } from "./read.js";

function yamlProblems(file: string, doc: Document, lineCounter: LineCounter): RosterProblem[] {
  const seen = new Set<string>();
  const problems: RosterProblem[] = [];
  for (const error of doc.errors) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    const code =
      error.code === "DUPLICATE_KEY"
        ? "DuplicateKey"
        : error.code === "MULTIPLE_DOCS"
          ? "NotSingleDocument"
          : "YamlSyntax";
    const first = error.message.split("\n")[0] ?? error.message;
    const message =
      code === "DuplicateKey"
        ? "duplicate key (each key may appear once per mapping)"
        : code === "NotSingleDocument"
          ? "a roster is one YAML document; remove the second document (---)"
          : error.code === "RESOURCE_EXHAUSTION"
            ? "YAML is nested too deeply"
            : `YAML syntax error: ${first.replace(/ at line \d+, column \d+:?$/, "")}`;
    // Deep nesting reports the same error hundreds of times; one is enough.
    const key = `${code}:${message}`;
    if (code === "YamlSyntax" && seen.has(key)) continue;
    seen.add(key);
    problems.push({ code, file, line, col, message });
  }
  return problems;
}

/** Parse and validate roster text; `file` is only used to name positions. */
export function parseRoster(file: string, source: string, facts: MachineFacts = machineFacts()): RosterResult {
  const result = parseRosterText(file, source, facts);
  // Messages quote the operator's text, which may hold control characters: one printable line each.
  return result.ok
    ? result
    : { ok: false, problems: result.problems.map((p) => ({ ...p, message: printableMessage(p.message) })) };
}

function parseRosterText(file: string, source: string, facts: MachineFacts): RosterResult {
  const text = source.startsWith("\uFEFF") ? source.slice(1) : source;
  const lineCounter = new LineCounter();
  const tooLong = longLine(text);
  if (tooLong) {
    lineCounter.addNewLine(0);
    for (let at = text.indexOf("\n"); at !== -1 && at < tooLong.offset; at = text.indexOf("\n", at + 1))
      lineCounter.addNewLine(at + 1);
    return limitProblem(file, tooLong, lineCounter);
  }
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    // Duplicate keys are found by checkRosterLimits in one pass: yaml's own check
    // compares each key with every earlier one, quadratic in a mapping's size.
    uniqueKeys: false,
    merge: true,
    version: "1.2",
    strict: true,
  });
  const syntax = yamlProblems(file, doc, lineCounter);
  if (syntax.length > 0) return { ok: false, problems: syntax.slice(0, MAX_PROBLEMS) };

  const limits = checkRosterLimits(doc);
  if (limits.hit) return limitProblem(file, limits.hit, lineCounter);
  if (limits.duplicates.length > 0) {
    const problems = limits.duplicates.map(({ node }): RosterProblem => {
      const { line, col } = positionOf(node, lineCounter);
      return { code: "DuplicateKey", file, line, col, message: "duplicate key (each key may appear once per mapping)" };
    });
    return { ok: false, problems: orderedUnique(problems).slice(0, MAX_PROBLEMS) };
  }

  if (doc.contents === null) {
    return {
      ok: false,
      problems: [
        {
          code: "Schema",
          file,
          line: 1,
          col: 1,
          message: "roster is empty; expected a mapping with version: 1 and agents:",
        },
      ],
    };
  }

  // A mapping key must be a plain scalar: a collection key (`? [a, b]`) would be
  // stringified by toJS (with a warning on stderr) and could never name a field.
  const complexKeys: RosterProblem[] = [];
  visit(doc, {
    Pair(_key, pair) {
      if (isMap(pair.key) || isSeq(pair.key) || isAlias(pair.key)) {
        const { line, col } = positionOf(pair.key, lineCounter);
        complexKeys.push({
          code: "Schema",
          file,
          line,
          col,
          message: "a mapping key must be a plain name, not a list, mapping or alias",
        });
      }
    },
  });
  if (complexKeys.length > 0) return { ok: false, problems: complexKeys.slice(0, MAX_PROBLEMS) };

  // `!!binary`, `!!timestamp`, `!!set`… are not roster data: the schema refuses them as what they are.
  markForeignValues(doc);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message = (error as Error).message.includes("alias")
      ? `too many aliases (over ${MAX_ALIAS_COUNT}); alias expansion this large is refused`
      : `cannot be read as data: ${(error as Error).message}`;
    return { ok: false, problems: [{ code: "YamlSyntax", file, line: 1, col: 1, message }] };
  }

  const parsed = RosterSchema.safeParse(value);
  // Positioning is per issue; past a screenful more would only bury the first ones.
  const issues = parsed.success ? [] : parsed.error.issues.slice(0, MAX_PROBLEMS * 2);
  const problems = problemsFromIssues(issues, file, doc, lineCounter, text);

  const declared = typeof value === "object" && value !== null && "runtimes" in value ? value.runtimes : undefined;
  const runtimes = runtimeCatalog(validRuntimes(declared));
  problems.push(...crossFieldProblems(value, runtimes, file, doc, lineCounter, facts));

  if (problems.length > 0 || !parsed.success) {
    return { ok: false, problems: orderedUnique(problems).slice(0, MAX_PROBLEMS) };
  }

  const lines = parsed.data.agents.map((_, index) => {
    const node = locate(doc, ["agents", index]).node;
    return node?.range ? lineCounter.linePos(node.range[0]).line : 0;
  });
  return { ok: true, fleet: resolveFleet(file, parsed.data, runtimes, facts, lines) };
}

/** In file order, each (position, message) once: a refine can repeat a union's verdict. */
function orderedUnique(problems: RosterProblem[]): RosterProblem[] {
  const seen = new Set<string>();
  return [...problems]
    .sort((a, b) => a.line - b.line || a.col - b.col)
    .filter((p) => {
      const key = `${p.line}:${p.col}:${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** Declared runtimes usable for the catalog; a malformed one is reported by the schema, not here. */
function validRuntimes(value: unknown): Record<string, { match: string[] }> {
  const usable: Record<string, { match: string[] }> = {};
  if (typeof value !== "object" || value === null) return usable;
  for (const [name, spec] of Object.entries(value)) {
    const match = typeof spec === "object" && spec !== null ? (spec as { match?: unknown }).match : undefined;
    // Even a malformed entry declares the name: its agents are not "unknown runtime" too.
    usable[name] = { match: Array.isArray(match) ? match.filter((m): m is string => typeof m === "string") : [] };
  }
  return usable;
}

/** One problem naming the limit a roster hit, at the node or line that hit it. */
function limitProblem(file: string, hit: LimitHit, lineCounter: LineCounter): RosterResult {
  const { line, col } =
    hit.limit === "line-length" ? lineCounter.linePos(hit.offset) : positionOf(hit.node, lineCounter);
  return { ok: false, problems: [{ code: "LimitExceeded", file, line, col, message: limitMessage(hit) }] };
}

/** Read (from `file.path`), parse and validate a roster; problems are named by `file.label`. */
export function loadRoster(file: RosterFile, facts?: MachineFacts): RosterResult {
  const read = readRosterText(file);
  if (!read.ok) return read.result;
  return parseRoster(file.label, read.text, facts);
}
