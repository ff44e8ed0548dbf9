import type { ReportInput } from "./input.js";

// The output formats each command accepts, named once: the CLI's choices (-o) come from
// here, and each renderer registry is checked against them by type. No renderer is
// loaded by importing this (the report formats are loaders), so `--help` stays cheap.

/** `fleet ps -o`: the status as a table, the wide table, or the status document. */
export const STATUS_FORMATS = ["table", "wide", "json", "yaml"] as const;
/** `fleet diff -o`. */
export const DIFF_FORMATS = ["table", "json", "yaml"] as const;
/** A report format's file: one pure `render(input) → string`. */
export interface ReportRenderer {
  render: (input: ReportInput) => string;
}

/**
 * `fleet report -o/--format`: each format and how to load its renderer (only the one
 * rendered is loaded). A new format is its file plus one line here (docs/architecture.md).
 */
export const REPORT_FORMATS = {
  markdown: () => import("./markdown.js"),
  html: () => import("./html.js"),
  junit: () => import("./junit.js"),
  json: () => import("./report-json.js"),
  prometheus: () => import("./prometheus.js"),
} as const satisfies Record<string, () => Promise<ReportRenderer>>;

export type ReportFormatName = keyof typeof REPORT_FORMATS;
/** The report formats' names, in the order `--help` lists them. */
export const REPORT_FORMAT_NAMES = Object.keys(REPORT_FORMATS) as readonly ReportFormatName[];
/** `fleet validate -o` and `agent send -o`: a sentence, or the same as data. */
export const TEXT_FORMATS = ["text", "json"] as const;

export type StatusFormat = (typeof STATUS_FORMATS)[number];
export type DiffFormat = (typeof DIFF_FORMATS)[number];
export type TextFormat = (typeof TEXT_FORMATS)[number];
