import { z } from "zod";
import { RosterSchema } from "./schema.js";

const ROSTER_SCHEMA_ID = "https://mosaic-fleet.dev/schema/roster-v1.json";

/** The roster's JSON Schema (draft 2020-12), generated from the zod schema. */
export function rosterJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(RosterSchema, { target: "draft-2020-12", io: "input" }) as Record<string, unknown>;
  return { $schema: schema["$schema"], $id: ROSTER_SCHEMA_ID, ...schema };
}
