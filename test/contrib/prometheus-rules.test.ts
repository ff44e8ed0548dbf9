// contrib/prometheus: the alert rules are valid (promtool check rules), behave as their
// unit tests say (promtool test rules: for:, reason lookup, no reset on a reason change),
// and only name series and conditions the real report writes.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { reportInput } from "../../src/report/formats.js";
import { render } from "../../src/report/prometheus.js";
import { fixtureStatus } from "../report/format-fixture.js";
import { skipIfOutsideCi } from "../helpers/skip.js";
import { ROOT } from "../cli/run-cli.js";

const DIR = join(ROOT, "contrib", "prometheus");
const promtool = spawnSync("promtool", ["--version"], { encoding: "utf8" });
const missing = promtool.error !== undefined;

describe.skipIf(skipIfOutsideCi(missing, "promtool is not installed (apt-get install prometheus)"))(
  "contrib/prometheus alert rules",
  () => {
    it("pass promtool check rules and promtool test rules", () => {
      const check = spawnSync("promtool", ["check", "rules", "mosaic-fleet.rules.yml"], { cwd: DIR, encoding: "utf8" });
      expect(check.status, check.stdout + check.stderr).toBe(0);
      const test = spawnSync("promtool", ["test", "rules", "mosaic-fleet.rules.test.yml"], {
        cwd: DIR,
        encoding: "utf8",
      });
      expect(test.status, test.stdout + test.stderr).toBe(0);
      expect(test.stdout + test.stderr).toMatch(/SUCCESS/);
    });
  },
);

describe("the rules and the report agree", () => {
  it("every metric the rules query is one the prometheus report writes", () => {
    const rules = readFileSync(join(DIR, "mosaic-fleet.rules.yml"), "utf8");
    const written = new Set(
      render(reportInput(fixtureStatus()))
        .split("\n")
        .filter((l) => l.startsWith("# TYPE "))
        .map((l) => l.split(" ")[2]),
    );
    const queried = new Set(rules.match(/\bmosaic_[a-z_]+/g) ?? []);
    expect(queried.size).toBeGreaterThan(2);
    for (const name of queried) expect(written, `${name} is not in the report`).toContain(name);
  });
});
