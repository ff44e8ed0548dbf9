import { REPORT_FORMATS, type ReportFormatName } from "./output-formats.js";
import type { ReportInput } from "./input.js";

// `fleet report --format F`: the registry is REPORT_FORMATS (src/report/output-formats.ts),
// one loader per format; a new format is its file plus one line there.

export { reportInput } from "./input.js";

/** Whether a `--format` value names a report format. */
export function isReportFormat(name: string): name is ReportFormatName {
  return Object.hasOwn(REPORT_FORMATS, name);
}

/** Render one format, loading only its renderer. */
export async function renderReport(format: ReportFormatName, input: ReportInput): Promise<string> {
  const renderer = await REPORT_FORMATS[format]();
  return renderer.render(input);
}
