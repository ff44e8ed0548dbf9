import { z } from "zod";
import { DurationSchema, RosterSchema } from "./schema.js";

const ROSTER_SCHEMA_ID = "https://mosaic-fleet.dev/schema/roster-v1.json";

/**
 * A duration's two forms as if/then/else, not oneOf: editors (vscode-json-languageservice,
 * yaml-language-server) report a oneOf's first branch when both fail, so "10x" read
 * `Expected "integer"` and 0 read `Expected "string"`. Chosen by the value's type, text
 * is checked against the grammar and a number against the bounds. Same set of values.
 */
function durationAsCondition(json: Record<string, unknown>): void {
  const [text, seconds] = (json["oneOf"] ?? []) as Record<string, unknown>[];
  if (text?.["type"] !== "string" || seconds?.["type"] !== "integer") {
    throw new Error("roster JSON Schema: the duration is no longer [text, whole seconds]");
  }
  delete json["oneOf"];
  Object.assign(json, { if: { type: "string" }, then: text, else: seconds });
}

/** The roster's JSON Schema (draft 2020-12), generated from the zod schema. */
export function rosterJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(RosterSchema, {
    target: "draft-2020-12",
    io: "input",
    override: (ctx) => {
      if (ctx.zodSchema === DurationSchema) durationAsCondition(ctx.jsonSchema);
    },
  }) as Record<string, unknown>;
  return { $schema: schema["$schema"], $id: ROSTER_SCHEMA_ID, ...schema };
}
