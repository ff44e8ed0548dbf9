// The output formats each command accepts, named once: the CLI's choices (-o) come from
// here, and each renderer registry is checked against them by type. Names only — no
// renderer is loaded by importing this, so `--help` stays cheap.

/** `fleet ps -o`: the status as a table, the wide table, or the status document. */
export const STATUS_FORMATS = ["table", "wide", "json", "yaml"] as const;
/** `fleet diff -o`. */
export const DIFF_FORMATS = ["table", "json", "yaml"] as const;
/** `fleet report -o/--format` (src/report/formats.ts renders each). */
export const REPORT_FORMAT_NAMES = ["markdown", "html", "junit", "json", "prometheus"] as const;
/** `fleet validate -o` and `agent send -o`: a sentence, or the same as data. */
export const TEXT_FORMATS = ["text", "json"] as const;

export type StatusFormat = (typeof STATUS_FORMATS)[number];
export type ReportFormatName = (typeof REPORT_FORMAT_NAMES)[number];
export type DiffFormat = (typeof DIFF_FORMATS)[number];
export type TextFormat = (typeof TEXT_FORMATS)[number];
