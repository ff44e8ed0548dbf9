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
export { reportInput } from "./input.js";

/** Whether a `--format` value names a report format. */
export function isReportFormat(name: string): name is ReportFormat {
  return Object.hasOwn(REPORT_FORMATS, name);
}

/** Render one format. */
export function renderReport(format: ReportFormat, input: ReportInput): string {
  return REPORT_FORMATS[format](input);
}
