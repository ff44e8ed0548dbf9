import type { HistoryEntry } from "./history.js";
import { safeText } from "./style.js";

// Fleet health over time as an inline SVG: one stacked bar per run (compliant green,
// non-compliant red, unknown amber), placed by its time on a UTC time axis. Static markup with <title> tooltips, so it needs no
// script and no external asset; a run with no agents is an amber mark, never a gap.

interface ChartOptions {
  width?: number;
  height?: number;
}

const CHART_COLORS = {
  compliant: "#2e7d32",
  nonCompliant: "#c62828",
  unknown: "#ef8f00",
  axis: "#888888",
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

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Tick spacings a reader counts in, smallest first. */
const TICK_STEPS = [
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/** A tick label in UTC: the time of day, with the date where the day changes (or days are the unit). */
function tickLabel(ms: number, step: number, previous: number | null): string {
  const d = new Date(ms);
  const date = `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
  const time = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  if (step >= DAY) return date;
  const newDay = previous === null || new Date(previous).toISOString().slice(0, 10) !== d.toISOString().slice(0, 10);
  return newDay ? `${date} ${time}` : time;
}

/** Tick positions (ms) at a round step, at most `most` of them, inside [from, to]. */
function ticks(from: number, to: number, most: number): { at: number[]; step: number } {
  const span = Math.max(to - from, MINUTE);
  const step = TICK_STEPS.find((s) => span / s <= most) ?? Math.ceil(span / most / DAY) * DAY;
  const at: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) at.push(t);
  return { at, step };
}

/** An `<svg>` element charting the runs along a time axis (UTC), oldest left. */
export function renderHealthChart(history: readonly HistoryEntry[], options: ChartOptions = {}): string {
  const width = options.width ?? 720;
  const height = options.height ?? 220;
  const margin = { left: 40, right: 16, top: 28, bottom: 34 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const baseline = margin.top + plotHeight;
  const maxAgents = Math.max(1, ...history.map((h) => h.compliant + h.nonCompliant + h.unknown));
  const scale = plotHeight / maxAgents;
  const parts = [
    `<svg class="health-chart" role="img" aria-labelledby="health-chart-title" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="sans-serif" font-size="11" fill="currentColor">`,
    `<title id="health-chart-title">Fleet health over the last ${history.length} run${history.length === 1 ? "" : "s"}: agents compliant, non-compliant and unknown per run, by time (UTC)</title>`,
    legend(margin.left, 14),
  ];
  // Runs placed by their time; a file edited by hand may hold an unreadable time: it keeps its order.
  const times = history.map((run) => Date.parse(run.observedAt));
  const readable = times.filter((t) => Number.isFinite(t));
  const from = readable.length === 0 ? 0 : Math.min(...readable);
  const to = readable.length === 0 ? 0 : Math.max(...readable);
  const inset = Math.min(12, plotWidth / 4);
  const usable = plotWidth - 2 * inset;
  const xOf = (i: number): number => {
    const t = times[i]!;
    if (!Number.isFinite(t) || to === from) {
      return history.length === 1 || (to === from && Number.isFinite(t))
        ? margin.left + plotWidth / 2
        : margin.left + inset + (usable * i) / Math.max(1, history.length - 1);
    }
    return margin.left + inset + (usable * (t - from)) / (to - from);
  };
  // Bars as wide as the densest stretch allows, so close runs never hide each other.
  const sorted = [...history.keys()].map(xOf).sort((a, b) => a - b);
  let closest = plotWidth / Math.max(1, history.length);
  for (let i = 1; i < sorted.length; i += 1) {
    const gap = sorted[i]! - sorted[i - 1]!;
    if (gap > 0) closest = Math.min(closest, gap);
  }
  const barWidth = Math.max(1, Math.min(18, closest * 0.8, (plotWidth / Math.max(1, history.length)) * 0.8));
  if (history.length > 0 && readable.length > 0) {
    const { at, step } = ticks(from, to, Math.max(2, Math.floor(plotWidth / 90)));
    let previous: number | null = null;
    for (const t of to === from ? [from] : at) {
      const x = to === from ? margin.left + plotWidth / 2 : margin.left + inset + (usable * (t - from)) / (to - from);
      parts.push(
        `<line class="grid" x1="${num(x)}" y1="${margin.top}" x2="${num(x)}" y2="${num(baseline)}" stroke="#999" stroke-opacity=".35"/>`,
        `<text x="${num(x)}" y="${num(baseline + 14)}" text-anchor="middle">${svgText(to === from ? tickLabel(t, MINUTE, null) : tickLabel(t, step, previous))}</text>`,
      );
      previous = t;
    }
    parts.push(`<text x="${num(width - margin.right)}" y="${height - 4}" text-anchor="end">time (UTC)</text>`);
  }
  parts.push(
    `<line class="axis" x1="${margin.left}" y1="${num(baseline)}" x2="${num(width - margin.right)}" y2="${num(baseline)}" stroke="${CHART_COLORS.axis}"/>`,
    `<line class="axis" x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${num(baseline)}" stroke="${CHART_COLORS.axis}"/>`,
    `<text x="${margin.left - 6}" y="${num(baseline)}" text-anchor="end" dominant-baseline="middle">0</text>`,
    `<text x="${margin.left - 6}" y="${margin.top}" text-anchor="end" dominant-baseline="middle">${maxAgents}</text>`,
  );
  if (history.length === 0) {
    parts.push(
      `<text x="${num(margin.left + plotWidth / 2)}" y="${num(margin.top + plotHeight / 2)}" text-anchor="middle">no runs recorded yet</text>`,
    );
  }
  history.forEach((run, i) => {
    const x = xOf(i) - barWidth / 2;
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
  parts.push("</svg>");
  return parts.join("\n");
}
