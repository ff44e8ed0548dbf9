import type { HistoryEntry } from "./history.js";
import { safeText } from "./style.js";

// Fleet health over time as an inline SVG: one stacked bar per run (compliant green,
// non-compliant red, unknown amber). Static markup with <title> tooltips, so it needs no
// script and no external asset; a run with no agents is an amber mark, never a gap.

interface ChartOptions {
  width?: number;
  height?: number;
}

const CHART_COLORS = {
  compliant: "#2e7d32",
  nonCompliant: "#c62828",
  unknown: "#ef8f00",
  axis: "#666666",
} as const;

function svgText(text: string): string {
  return safeText(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Coordinates with at most two decimals, so goldens are stable and the SVG small. */
function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function rect(x: number, y: number, width: number, height: number, fill: string): string {
  return `<rect x="${num(x)}" y="${num(y)}" width="${num(width)}" height="${num(height)}" fill="${fill}"/>`;
}

function legend(x: number, y: number): string {
  const items = [
    ["compliant", CHART_COLORS.compliant],
    ["non-compliant", CHART_COLORS.nonCompliant],
    ["unknown", CHART_COLORS.unknown],
  ] as const;
  return items
    .map(([label, color], i) => {
      const left = x + i * 120;
      return `${rect(left, y - 9, 10, 10, color)}<text x="${num(left + 14)}" y="${num(y)}">${label}</text>`;
    })
    .join("");
}

/** An `<svg>` element charting the runs in order, oldest left. */
export function renderHealthChart(history: readonly HistoryEntry[], options: ChartOptions = {}): string {
  const width = options.width ?? 720;
  const height = options.height ?? 220;
  const margin = { left: 40, right: 12, top: 28, bottom: 30 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const baseline = margin.top + plotHeight;
  const maxAgents = Math.max(1, ...history.map((h) => h.compliant + h.nonCompliant + h.unknown));
  const scale = plotHeight / maxAgents;
  const parts = [
    `<svg class="health-chart" role="img" aria-labelledby="health-chart-title" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<title id="health-chart-title">Fleet health over the last ${history.length} run${history.length === 1 ? "" : "s"}: agents compliant, non-compliant and unknown per run</title>`,
    legend(margin.left, 14),
    `<line x1="${margin.left}" y1="${num(baseline)}" x2="${num(width - margin.right)}" y2="${num(baseline)}" stroke="${CHART_COLORS.axis}"/>`,
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${num(baseline)}" stroke="${CHART_COLORS.axis}"/>`,
    `<text x="${margin.left - 6}" y="${num(baseline)}" text-anchor="end" dominant-baseline="middle">0</text>`,
    `<text x="${margin.left - 6}" y="${margin.top}" text-anchor="end" dominant-baseline="middle">${maxAgents}</text>`,
  ];
  if (history.length === 0) {
    parts.push(
      `<text x="${num(margin.left + plotWidth / 2)}" y="${num(margin.top + plotHeight / 2)}" text-anchor="middle">no runs recorded yet</text>`,
    );
  }
  const slot = plotWidth / Math.max(1, history.length);
  const barWidth = Math.max(1, slot * 0.8);
  history.forEach((run, i) => {
    const x = margin.left + i * slot + (slot - barWidth) / 2;
    const tip = `${run.observedAt}: ${run.verdict}; ${run.compliant} compliant, ${run.nonCompliant} non-compliant, ${run.unknown} unknown of ${run.agents} agents`;
    const bars: string[] = [];
    let top = baseline;
    for (const [count, color] of [
      [run.compliant, CHART_COLORS.compliant],
      [run.nonCompliant, CHART_COLORS.nonCompliant],
      [run.unknown, CHART_COLORS.unknown],
    ] as const) {
      if (count <= 0) continue;
      top -= count * scale;
      bars.push(rect(x, top, barWidth, count * scale, color));
    }
    // Nothing observed is UNKNOWN, not an empty (healthy-looking) slot.
    if (bars.length === 0) bars.push(rect(x, baseline - 3, barWidth, 3, CHART_COLORS.unknown));
    parts.push(`<g class="run run-${run.verdict.toLowerCase()}"><title>${svgText(tip)}</title>${bars.join("")}</g>`);
  });
  const first = history[0];
  const last = history.at(-1);
  if (first !== undefined && last !== undefined) {
    parts.push(`<text x="${margin.left}" y="${height - 8}">${svgText(first.observedAt)}</text>`);
    if (history.length > 1)
      parts.push(
        `<text x="${num(width - margin.right)}" y="${height - 8}" text-anchor="end">${svgText(last.observedAt)}</text>`,
      );
  }
  parts.push("</svg>");
  return parts.join("\n");
}
