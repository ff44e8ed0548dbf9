import { closest, distance } from "fastest-levenshtein";
import { isAlias, type Document, type LineCounter } from "yaml";
import type { RosterProblem } from "./problems.js";
import type { MachineFacts } from "./resolve.js";
import type { RuntimeSpec } from "./runtimes.js";
import { locate, positionOf } from "./yaml-position.js";

// Cross-field rules the schema cannot express: unique names per (tenant, host), and
// runtimes that exist (and one key zod's record cannot see, below). They run on the raw value so they report even when the schema
// found other problems.

interface RawAgent {
  name?: unknown;
  runtime?: unknown;
  tenant?: unknown;
  host?: unknown;
}

interface RawRoster {
  defaults?: { tenant?: unknown; host?: unknown };
  runtimes?: unknown;
  agents?: unknown;
}

/** Duplicate agent names and unknown runtimes, each positioned. */
export function crossFieldProblems(
  value: unknown,
  runtimes: Map<string, RuntimeSpec>,
  file: string,
  doc: Document,
  lineCounter: LineCounter,
  facts: MachineFacts,
): RosterProblem[] {
  const problems: RosterProblem[] = [];
  if (typeof value !== "object" || value === null) return problems;
  const roster = value as RawRoster;
  // zod's record skips a `__proto__` key unchecked (assigning it would replace the
  // result's prototype), so runtimes: {__proto__: …} passed; the JSON Schema's
  // propertyNames refuses it, and so does this.
  if (typeof roster.runtimes === "object" && roster.runtimes !== null && Object.hasOwn(roster.runtimes, "__proto__")) {
    problems.push({
      code: "Schema",
      file,
      ...positionOf(locate(doc, ["runtimes", "__proto__"]).key, lineCounter),
      message: 'runtimes: "__proto__" is not a runtime name (lowercase letters, digits, _ or -)',
    });
  }
  if (!Array.isArray(roster.agents)) return problems;
  const defaults = typeof roster.defaults === "object" && roster.defaults !== null ? roster.defaults : {};
  const firstSeen = new Map<string, { line: number; col: number }>();

  roster.agents.forEach((raw: unknown, index: number) => {
    if (typeof raw !== "object" || raw === null) return;
    const agent = raw as RawAgent;
    if (typeof agent.name === "string") {
      // Resolve tenant and host as the fleet will, so spelling out a default still collides.
      // Only strings count; anything else is a schema problem reported elsewhere (and
      // String() of a mapping with a `toString` key would throw).
      const text = (...values: unknown[]) => values.find((v) => v !== undefined);
      const tenantValue = text(agent.tenant, defaults.tenant, facts.user);
      const hostValue = text(agent.host, defaults.host, facts.hostname);
      const tenant = typeof tenantValue === "string" ? tenantValue : "\u0001invalid";
      const host = typeof hostValue === "string" ? hostValue : "\u0001invalid";
      const identity = `${tenant}\u0000${host}\u0000${agent.name}`;
      // An agent that is an alias (`- *x`) is reported where the alias is written.
      const item = locate(doc, ["agents", index]).written;
      const here = positionOf(isAlias(item) ? item : locate(doc, ["agents", index, "name"]).node, lineCounter);
      const first = firstSeen.get(identity);
      if (first) {
        problems.push({
          code: "DuplicateAgent",
          file,
          ...here,
          message: `duplicate agent "${agent.name}" (also at line ${first.line}:${first.col}); names must be unique per tenant and host`,
        });
      } else {
        firstSeen.set(identity, here);
      }
    }
    if (typeof agent.runtime === "string" && !runtimes.has(agent.runtime)) {
      const known = [...runtimes.keys()];
      const hint = closest(agent.runtime, known);
      const near = distance(agent.runtime, hint) <= 2 ? ` (did you mean "${hint}"?)` : "";
      const here = positionOf(locate(doc, ["agents", index, "runtime"]).node, lineCounter);
      problems.push({
        code: "UnknownRuntime",
        file,
        ...here,
        message: `unknown runtime "${agent.runtime}"${near}; known: ${known.join(", ")}; declare others under runtimes:`,
      });
    }
  });
  return problems;
}
