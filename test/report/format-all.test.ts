import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isReportFormat, renderReport, reportInput } from "../../src/report/formats.js";
import { REPORT_FORMAT_NAMES, REPORT_FORMATS } from "../../src/report/output-formats.js";
import { agent, emptyStatus, fixtureHistory, fixtureStatus, hostileStatus, RAW_CONTROL } from "./format-fixture.js";

// Properties every report format shares: the contract's five names, UNKNOWN said as
// UNKNOWN, and no terminal escape reaching the output.

function allUnknownStatus() {
  const base = fixtureStatus();
  const hidden = agent("remote-1", { host: "W-other" });
  hidden.conditions = hidden.conditions.map((c) => ({
    ...c,
    status: "Unknown" as const,
    reason: "RemoteHost" as const,
    message: "agent runs on host W-other",
  }));
  return { ...base, agents: [hidden], unmanaged: [], fixPlan: [] };
}

/** How each format states the verdict, read back from its output. */
const VERDICT_OF: Record<string, (text: string) => string | undefined> = {
  markdown: (text) => /^# .*: (\w+)$/m.exec(text)?.[1],
  html: (text) => /<header class="verdict verdict-(\w+)">/.exec(text)?.[1],
  junit: (text) => /<property name="verdict" value="(\w+)"\/>/.exec(text)?.[1],
  json: (text) => (JSON.parse(text) as { summary: { verdict: string } }).summary.verdict,
  prometheus: (text) => /^mosaic_fleet_verdict\{[^}]*verdict="(\w+)"\} 1$/m.exec(text)?.[1],
};

describe("report formats", () => {
  it("are exactly the contract's five, one renderer each", async () => {
    expect(REPORT_FORMAT_NAMES).toEqual(["markdown", "html", "junit", "json", "prometheus"]);
    expect(isReportFormat("json")).toBe(true);
    expect(isReportFormat("yaml")).toBe(false);
    expect(isReportFormat("toString")).toBe(false);
    for (const name of REPORT_FORMAT_NAMES) {
      const renderer = await REPORT_FORMATS[name]();
      expect(await renderReport(name, reportInput(fixtureStatus()))).toBe(
        renderer.render(reportInput(fixtureStatus())),
      );
    }
  });

  it("a format is its file plus one line in the registry: every renderer file is registered, once", () => {
    // docs/architecture.md: a new report format is 2 files. A renderer file the registry
    // does not name (or a registry line naming no renderer) fails here.
    const dir = join(import.meta.dirname, "..", "..", "src", "report");
    const renderers = readdirSync(dir)
      .filter((file) => file.endsWith(".ts"))
      .filter((file) => /^export function render\(/m.test(readFileSync(join(dir, file), "utf8")))
      .map((file) => file.replace(/\.ts$/, ".js"))
      .sort();
    const registry = readFileSync(join(dir, "output-formats.ts"), "utf8");
    const loaded = [...registry.matchAll(/import\("\.\/([a-z-]+\.js)"\)/g)].map((m) => m[1]).sort();
    expect(loaded).toEqual(renderers);
    expect(loaded).toHaveLength(REPORT_FORMAT_NAMES.length);
  });

  it.each(REPORT_FORMAT_NAMES)("%s: a roster with zero agents is UNKNOWN, never compliant", async (name) => {
    const text = await renderReport(name, reportInput(emptyStatus(), []));
    const visible = text.replace(/<style>[\s\S]*<\/style>/, ""); // CSS has width: 100%
    expect(VERDICT_OF[name]!(text)).toBe("UNKNOWN");
    expect(visible).not.toMatch(/100 ?%/);
    expect(visible).not.toMatch(/\ball (\d+ )?agents? (are )?compliant/i);
  });

  it.each(REPORT_FORMAT_NAMES)("%s: a fleet where nothing is observable is UNKNOWN", async (name) => {
    const input = reportInput(allUnknownStatus());
    expect(input.summary.verdict).toBe("UNKNOWN");
    expect(VERDICT_OF[name]!(await renderReport(name, input))).toBe("UNKNOWN");
  });

  it.each(REPORT_FORMAT_NAMES)("%s: the fixture is NONCOMPLIANT", async (name) => {
    expect(VERDICT_OF[name]!(await renderReport(name, reportInput(fixtureStatus(), fixtureHistory())))).toBe(
      "NONCOMPLIANT",
    );
  });

  it.each(REPORT_FORMAT_NAMES)("%s: a clean fleet is COMPLIANT", async (name) => {
    const clean = { ...fixtureStatus(), agents: [agent("a1"), agent("a2")], unmanaged: [], fixPlan: [] };
    expect(VERDICT_OF[name]!(await renderReport(name, reportInput(clean)))).toBe("COMPLIANT");
  });

  it.each(REPORT_FORMAT_NAMES)(
    "%s: OSC 52, title changes and CSI from pane text never reach the output raw",
    async (name) => {
      const text = await renderReport(name, reportInput(hostileStatus(), fixtureHistory()));
      expect(text).not.toMatch(RAW_CONTROL);
      expect(text).not.toContain("\x1b");
      expect(text).not.toContain("\x07");
      expect(text).not.toContain("\u009b");
    },
  );
});
