import { describe, expect, it } from "vitest";
import { summarize } from "../../src/diff/compliance.js";
import { reportInput } from "../../src/report/formats.js";
import { render } from "../../src/report/report-json.js";
import {
  emptyStatus,
  expectGolden,
  fixtureHistory,
  fixtureStatus,
  HOSTILE_MESSAGE,
  HOSTILE_NAME,
  hostileStatus,
  RAW_CONTROL,
} from "./format-fixture.js";

describe("json report", () => {
  it("matches the golden file", () => {
    expectGolden("report.json", render(reportInput(fixtureStatus(), fixtureHistory())));
  });

  it("is the fleet ps status plus the summary and the history, pretty-printed", () => {
    const status = fixtureStatus();
    const text = render(reportInput(status, fixtureHistory()));
    expect(text).toMatch(/^\{\n {2}"apiVersion": "mosaic.fleet\/v1",\n/);
    expect(text.endsWith("}\n")).toBe(true);
    const parsed = JSON.parse(text) as Record<string, unknown>;
    expect(parsed).toEqual({ ...status, summary: { ...summarize(status), unmanaged: 1 }, history: fixtureHistory() });
    expect(parsed["summary"]).toEqual({
      agents: 7,
      compliant: 1,
      nonCompliant: 4,
      unknown: 2,
      verdict: "NONCOMPLIANT",
      unmanaged: 1,
    });
  });

  it("has no history key when none is given", () => {
    const parsed = JSON.parse(render(reportInput(fixtureStatus()))) as Record<string, unknown>;
    expect(Object.hasOwn(parsed, "history")).toBe(false);
  });

  it("keeps hostile text exactly, but never raw on the terminal", () => {
    const text = render(reportInput(hostileStatus()));
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).not.toMatch(/[\u2028\u2029\u202e]/);
    const parsed = JSON.parse(text) as { agents: { name: string; conditions: { message: string }[] }[] };
    expect(parsed.agents[0]?.name).toBe(HOSTILE_NAME);
    expect(parsed.agents[0]?.conditions[2]?.message).toBe(HOSTILE_MESSAGE); // even the lone surrogate survives as \ud800
    const bidi = render(reportInput({ ...hostileStatus(), fleet: "a\u202eb\u2028c\u009bd\u007f" }));
    expect(bidi).toContain(`"fleet": "a\\u202eb\\u2028c\\u009bd\\u007f"`);
    expect((JSON.parse(bidi) as { fleet: string }).fleet).toBe("a\u202eb\u2028c\u009bd\u007f");
  });

  it("says UNKNOWN for a roster with no agents", () => {
    const parsed = JSON.parse(render(reportInput(emptyStatus()))) as { summary: { verdict: string; agents: number } };
    expect(parsed.summary).toMatchObject({ verdict: "UNKNOWN", agents: 0 });
  });
});
