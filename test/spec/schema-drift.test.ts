import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { rosterJsonSchema } from "../../src/spec/json-schema.js";
import { ROOT, runCli } from "../cli/run-cli.js";

// The checked-in roster/roster.schema.json is what editors load; it must be exactly what
// `mosaic fleet schema` prints, or editors and the CLI disagree about the roster.

const SCHEMA_FILE = join(ROOT, "roster", "roster.schema.json");

describe("roster JSON Schema", () => {
  it("`mosaic fleet schema` prints roster/roster.schema.json byte for byte", () => {
    const result = runCli(["fleet", "schema"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout, "schema drift: regenerate roster/roster.schema.json with `bin/mosaic fleet schema`").toBe(
      readFileSync(SCHEMA_FILE, "utf8"),
    );
  });

  it("the in-process schema matches the checked-in file", () => {
    expect(`${JSON.stringify(rosterJsonSchema(), null, 2)}\n`).toBe(readFileSync(SCHEMA_FILE, "utf8"));
  });

  it("is JSON Schema draft 2020-12 with an $id, describing a strict roster", () => {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, "utf8")) as Record<string, unknown>;
    expect(schema["$schema"]).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(typeof schema["$id"]).toBe("string");
    expect(schema["type"]).toBe("object");
    expect(schema["required"]).toEqual(expect.arrayContaining(["version", "agents"]));
    expect(schema["additionalProperties"]).toBe(false);
    const properties = schema["properties"] as Record<string, unknown>;
    expect(Object.keys(properties).sort()).toEqual(["agents", "defaults", "fleet", "hosts", "runtimes", "version"]);
  });

  for (const name of ["mosaic-factory.yaml", "demo.yaml"]) {
    it(`roster/${name} starts with a yaml-language-server $schema comment pointing at the schema`, () => {
      const file = join(ROOT, "roster", name);
      const first = readFileSync(file, "utf8").split("\n")[0] ?? "";
      const match = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
      expect(match, first).not.toBeNull();
      const target = match?.[1] ?? "";
      const pointsAt = /^https?:/.test(target) ? target : resolve(dirname(file), target);
      expect([SCHEMA_FILE, (JSON.parse(readFileSync(SCHEMA_FILE, "utf8")) as { $id: string }).$id]).toContain(pointsAt);
    });
  }
});
