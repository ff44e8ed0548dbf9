import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CONDITION_CHECKS } from "../../src/diff/conditions/index.js";
import { CONDITION_TYPES } from "../../src/diff/types.js";

// docs/architecture.md: a new condition is 3 files — its check in src/diff/conditions/,
// its type (and reasons) in src/diff/types.ts, one case in src/diff/conditions/index.ts —
// plus its section in docs/conditions.md. These keep the registry and those files in step.

const ROOT = join(import.meta.dirname, "..", "..");
const kebab = (type: string) =>
  type.replace(/[a-z][A-Z]/g, (pair) => `${pair[0]}-${pair[1]!.toLowerCase()}`).toLowerCase();

describe("the condition registry", () => {
  it("checks every condition type once, in the documented order", () => {
    expect(CONDITION_CHECKS.map(([type]) => type)).toEqual([...CONDITION_TYPES]);
    expect(new Set(CONDITION_CHECKS.map(([, check]) => check)).size).toBe(CONDITION_TYPES.length);
  });

  it("each condition is one file in src/diff/conditions/, named after its type; no other check file", () => {
    const dir = join(ROOT, "src", "diff", "conditions");
    const checks = readdirSync(dir)
      .filter((file) => file.endsWith(".ts") && file !== "index.ts" && file !== "check.ts")
      .sort();
    expect(checks).toEqual(CONDITION_TYPES.map((type) => `${kebab(type)}.ts`).sort());
  });

  it("each condition has its section in docs/conditions.md, in the same order", () => {
    const doc = readFileSync(join(ROOT, "docs", "conditions.md"), "utf8");
    const sections = [...doc.matchAll(/^## (\w+)$/gm)].map((m) => m[1]);
    expect(sections.filter((name) => (CONDITION_TYPES as readonly string[]).includes(name!))).toEqual([
      ...CONDITION_TYPES,
    ]);
  });
});
