import { jsonSafe } from "../terminal-text.js";
import type { ReportInput } from "./input.js";

// `fleet report --format json`: the `fleet ps -o json` object plus the summary (and the
// history when given). Nothing is recomputed here, so it cannot disagree with `fleet ps`.

/** Pretty-printed JSON, one trailing newline. */
export function render(input: ReportInput): string {
  const document = {
    ...input.status,
    summary: input.summary,
    ...(input.history === undefined ? {} : { history: input.history }),
  };
  // `cat report.json` stays inert: C1 controls and bidi marks as \uNNNN (same data).
  return `${jsonSafe(JSON.stringify(document, null, 2))}\n`;
}
