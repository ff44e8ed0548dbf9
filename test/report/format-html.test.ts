import { describe, expect, it } from "vitest";
import { reportInput } from "../../src/report/formats.js";
import { renderHealthChart } from "../../src/report/health-chart.js";
import { htmlText, render } from "../../src/report/html.js";
import {
  emptyStatus,
  expectGolden,
  fixtureHistory,
  fixtureStatus,
  HOSTILE_NAME,
  hostileStatus,
  RAW_CONTROL,
} from "./format-fixture.js";

/** Anything that would make the browser fetch or run something. */
const EXTERNAL = [
  /<script/i,
  /<link/i,
  /<iframe/i,
  /<img/i,
  /<object/i,
  /<embed/i,
  /\ssrc\s*=/i,
  /\shref\s*=/i,
  /url\(/i,
  /@import/i,
  /https?:\/\//i,
  /\/\/[a-z0-9.-]+\.[a-z]{2,}\//i,
  /\son[a-z]+\s*=/i,
];

describe("html report", () => {
  it("matches the golden file, with the health chart", () => {
    expectGolden("report.html", render(reportInput(fixtureStatus(), fixtureHistory())));
  });

  it("matches the golden file without history (no chart)", () => {
    const html = render(reportInput(fixtureStatus()));
    expectGolden("report-no-history.html", html);
    expect(html).not.toContain("<svg");
  });

  it("is one self-contained document: inline CSS, no script, no external asset", () => {
    for (const html of [
      render(reportInput(fixtureStatus(), fixtureHistory())),
      render(reportInput(hostileStatus(), fixtureHistory())),
    ]) {
      expect(html.startsWith("<!DOCTYPE html>\n")).toBe(true);
      expect(html).toContain("<style>");
      for (const pattern of EXTERNAL) expect(html).not.toMatch(pattern);
      // The CSP forbids every fetch except the inline style, as a second line of defence.
      expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    }
  });

  it("shows the drifted agent's failure in red and the Unknown conditions in amber", () => {
    const html = render(reportInput(fixtureStatus()));
    expect(html).toMatch(/<tr class="agent-noncompliant"><td>canary-pi<\/td>/);
    expect(html).toContain(
      `<span class="cond cond-True" title="True: RuntimeMismatch: roster runtime pi, pane runs stub (python3 dogfood-agent.py | tee \`log\`)">Drift</span>`,
    );
    // An Unknown condition reads ?Name (condition-set.ts), in its own colour, and its row sits in its own group.
    expect(html).toMatch(/<span class="cond cond-Unknown" title="Unknown: NoHeartbeat: [^"]*">\?Stale<\/span>/);
    expect(html.indexOf("Problems (")).toBeLessThan(html.indexOf("Not fully observed ("));
    expect(html.indexOf("Not fully observed (")).toBeLessThan(html.indexOf("In compliance ("));
    expect(html).toContain("agents not fully observed");
    expect(html).toMatch(/<tr class="status-True"><td>canary-pi<\/td><td>Drift<\/td>.*RuntimeMismatch/);
    expect(html).toMatch(/<tr class="agent-unknown"><td>dogfood-coder<\/td>/);
    expect(html).toMatch(/<tr class="agent-compliant"><td>_holder<\/td>/);
    expect(html).toMatch(/\.cond-True \{[^}]*var\(--true\)/);
    expect(html).toMatch(/--true: #c62828/);
    expect(html).toContain(`<span class="disruptive">disruptive: restarts the agent</span>`);
  });

  it("embeds an SVG chart of fleet health when history is given", () => {
    const html = render(reportInput(fixtureStatus(), fixtureHistory()));
    const svg = html.slice(html.indexOf("<svg"), html.indexOf("</svg>") + 6);
    expect(svg).toContain(`role="img"`);
    expect(svg.match(/<g class="run /g)).toHaveLength(4);
    // The zero-agent run is drawn as an amber UNKNOWN mark, not as an empty slot.
    expect(svg).toMatch(
      /<g class="run run-unknown"><title>2026-06-20T10:00:00.000Z: UNKNOWN; 0 compliant[^<]*<\/title><rect [^>]*fill="#ef8f00"\/><\/g>/,
    );
  });

  it("places runs on a time axis (UTC) with readable time labels, not by index", () => {
    const at = (iso: string) => ({ ...fixtureHistory()[0]!, observedAt: iso });
    // Three runs close together, then one five hours later: the gap shows as a gap.
    const runs = [
      at("2026-06-20T07:00:00.000Z"),
      at("2026-06-20T07:10:00.000Z"),
      at("2026-06-20T07:20:00.000Z"),
      at("2026-06-20T12:20:00.000Z"),
    ];
    const svg = renderHealthChart(runs);
    const xs = [...svg.matchAll(/<g class="run [^"]*"><title>[^<]*<\/title><rect x="([\d.]+)"/g)].map((m) =>
      Number(m[1]),
    );
    expect(xs).toHaveLength(4);
    const [a, b, c, d] = xs as [number, number, number, number];
    expect(b - a).toBeCloseTo(c - b, 0);
    expect((d - c) / (b - a)).toBeCloseTo(30, 0); // 300 min against 10 min
    const labels = [...svg.matchAll(/<text [^>]*text-anchor="middle">([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(labels[0]).toMatch(/^Jun 20 \d\d:\d\d$/);
    for (const label of labels.slice(1)) expect(label).toMatch(/^\d\d:\d\d$/);
    expect(labels).toContain("08:00");
    expect(svg).toContain("time (UTC)");
    // A week of runs is labelled by day.
    const week = Array.from({ length: 50 }, (_, i) =>
      at(new Date(Date.UTC(2026, 5, 14) + i * 3.3 * 3_600_000).toISOString()),
    );
    const dayLabels = [...renderHealthChart(week).matchAll(/text-anchor="middle">([^<]+)</g)].map((m) => m[1]);
    expect(dayLabels.length).toBeGreaterThan(2);
    for (const label of dayLabels) expect(label).toMatch(/^Jun \d+$/);
  });

  it("honours prefers-color-scheme: dark, and the chart's text follows the page colour", () => {
    const html = render(reportInput(fixtureStatus(), fixtureHistory()));
    expect(html).toMatch(/color-scheme: light dark/);
    const dark = /@media \(prefers-color-scheme: dark\) \{([\s\S]*?)\n\}/.exec(html)?.[1] ?? "";
    for (const variable of ["--fg", "--bg", "--true", "--unknown", "--ok", "--line"]) expect(dark).toContain(variable);
    expect(html).toMatch(/<svg class="health-chart"[^>]* fill="currentColor">/);
    // No fixed dark text colour outside the variables.
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? "";
    expect(css.replace(/--[a-z-]+: #[0-9a-f]+;?/gi, "")).not.toMatch(/#1a1a1a|#f5f5f5|#f3f3f3/i);
  });

  it("charts an empty history as 'no runs recorded yet'", () => {
    const svg = renderHealthChart([]);
    expect(svg).toContain("no runs recorded yet");
    expect(svg).not.toContain('<g class="run');
  });

  it("scales to 500 runs without losing a bar", () => {
    const runs = Array.from({ length: 500 }, (_, i) => ({
      ...fixtureHistory()[i % 4]!,
      observedAt: new Date(Date.UTC(2026, 0, 1) + i * 300_000).toISOString(),
    }));
    const svg = renderHealthChart(runs);
    expect(svg.match(/<g class="run /g)).toHaveLength(500);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it("escapes terminal escapes and markup from pane text", () => {
    const html = render(reportInput(hostileStatus()));
    expect(html).not.toMatch(RAW_CONTROL);
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("</failure>");
    expect(html).toContain(htmlText(HOSTILE_NAME));
    expect(htmlText(HOSTILE_NAME)).toBe(
      "evil\\x1b]52;c;cm0gLXJmIH4=\\x07&#60;script&#62;alert(1)&#60;/script&#62;|`x`",
    );
  });

  it("says UNKNOWN for a roster with no agents, never compliant", () => {
    const html = render(reportInput(emptyStatus()));
    expect(html).toContain(`<header class="verdict verdict-UNKNOWN">`);
    expect(html).toContain(`<span class="badge badge-UNKNOWN">UNKNOWN</span>`);
    expect(html).toContain("<title>Fleet mosaic-factory on W-jarvis: UNKNOWN</title>");
    const visible = html.replace(/<style>[\s\S]*<\/style>/, "");
    expect(visible).not.toMatch(/100 ?%|(?<!NON)COMPLIANT/);
  });
});
