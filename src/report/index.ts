// The report stage's front file (docs/architecture.md): other folders import it only
// from here. What `fleet ps -o json` and `--help` need is exported as is; the table and
// the report formats are reached through tableRenderer(), tableCells() and
// reportRenderers(), loaded only by the commands that draw them.

export { renderDiff } from "./diff-text.js";
export { renderFixPlan } from "./fix-plan.js";
export { appendHistory, historyEntry, readHistory } from "./history.js";
export { DIFF_FORMATS, REPORT_FORMAT_NAMES, STATUS_FORMATS, TEXT_FORMATS } from "./output-formats.js";
export type { DiffFormat, ReportFormatName, StatusFormat, TextFormat } from "./output-formats.js";
export { shellLine } from "./shell-line.js";
export { jsonPieces, renderJson, renderYaml } from "./status-formats.js";
export { colorEnabled, painter, safeText } from "./style.js";
export type { Paint } from "./style.js";
export type { TableLayout } from "./table.js";

/** `renderTable(status, paint, layout)`, loaded on first use. */
export const tableRenderer = () => import("./table.js");
/** The table's cells (`textCell`, `paintCell`, `truncateCell`), loaded on first use. */
export const tableCells = () => import("./cells.js");
/** `watchJson(status)`: `fleet ps --watch -o json`'s line, from the row texts it kept; loaded on first use. */
export const watchJsonWriter = () => import("./watch-json.js");
/** `reportInput(status)` and `renderReport(format, input)`: every `fleet report` format, loaded on first use. */
export const reportRenderers = () => import("./formats.js");
