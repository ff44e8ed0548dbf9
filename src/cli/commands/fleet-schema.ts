import { rosterSchema } from "../../spec/index.js";
import { EXIT_OK } from "../exit-codes.js";
import type { Io } from "../io.js";

/** `mosaic fleet schema`: the roster's JSON Schema, exactly roster/roster.schema.json. */
export async function run(_options: object, _args: string[], io: Io): Promise<number> {
  const { rosterJsonSchema } = await rosterSchema();
  io.stdout(`${JSON.stringify(rosterJsonSchema(), null, 2)}\n`);
  return EXIT_OK;
}
