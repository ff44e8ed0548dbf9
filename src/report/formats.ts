import { summarize } from "../diff/compliance.js";
import type { FleetStatus } from "../diff/types.js";
import type { HistoryEntry } from "./history.js";
import type { ReportInput } from "./input.js";
import { render as html } from "./html.js";
import { render as json } from "./report-json.js";
import { render as junit } from "./junit.js";
import { render as markdown } from "./markdown.js";
import { render as prometheus } from "./prometheus.js";
import { REPORT_FORMAT_NAMES, type ReportFormatName } from "./output-formats.js";

// `fleet report --format F`: one line per format. A new format is one file plus one
// line here; every renderer is a pure `render(input) → string`.

type ReportRenderer = (input: ReportInput) => string;

export const REPORT_FORMATS = {
  markdown,
  html,
  junit,
  json,
  prometheus,
} as const satisfies Record<ReportFormatName, ReportRenderer>;

type ReportFormat = ReportFormatName;
export { REPORT_FORMAT_NAMES };

/** Whether a `--format` value names a report format. */
export function isReportFormat(name: string): name is ReportFormat {
  return Object.hasOwn(REPORT_FORMATS, name);
}

/** The report input for a status: the same summary `fleet diff` uses, plus unmanaged. */
export function reportInput(status: FleetStatus, history?: HistoryEntry[]): ReportInput {
  const summary = { ...summarize(status), unmanaged: status.unmanaged.length };
  return history === undefined ? { status, summary } : { status, summary, history };
}

/** Render one format. */
export function renderReport(format: ReportFormat, input: ReportInput): string {
  return REPORT_FORMATS[format](input);
}
