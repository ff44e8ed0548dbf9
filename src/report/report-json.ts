import type { ReportInput } from "./history.js";

// `fleet report --format json`: the `fleet ps -o json` object plus the summary (and the
// history when given). Nothing is recomputed here, so it cannot disagree with `fleet ps`.

/**
 * JSON.stringify leaves DEL, C1 controls (0x9b is CSI to some terminals), line
 * separators and bidi overrides raw; they only occur inside strings, so escaping them
 * as \uXXXX keeps the data identical while `cat report.json` stays inert.
 */
// eslint-disable-next-line no-control-regex
const TERMINAL_UNSAFE = /[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Pretty-printed JSON, one trailing newline. */
export function render(input: ReportInput): string {
  const document = {
    ...input.status,
    summary: input.summary,
    ...(input.history === undefined ? {} : { history: input.history }),
  };
  const text = JSON.stringify(document, null, 2).replace(
    TERMINAL_UNSAFE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `${text}\n`;
}
