import { jsonSafe } from "../terminal-text.js";
import type { FleetStatus } from "../diff/index.js";

// `fleet ps --watch -o json` (docs/commands.md, Watch): one compact FleetStatus document
// per line, on every change. A round re-judges only the rows an event or a clock named
// and hands the other row objects on unchanged, so each row's text is kept (by the row
// object) and a document is those texts joined: the same bytes as jsonSafe(JSON.stringify
// (document)), without serialising a 1 000-agent fleet again for one changed row.

/** Row object → its JSON text, made safe. Rows are never changed once judged. */
const rowTexts = new WeakMap<object, string>();

function rowText(row: object): string {
  let text = rowTexts.get(row);
  if (text === undefined) {
    text = jsonSafe(JSON.stringify(row));
    rowTexts.set(row, text);
  }
  return text;
}

/** An element's text as JSON.stringify writes it inside an array. */
function elementText(element: unknown): string {
  if (typeof element === "object" && element !== null && !("toJSON" in element)) return rowText(element);
  const text: string | undefined = JSON.stringify(element);
  return jsonSafe(text ?? "null");
}

/** The text of one member's value, or undefined when JSON leaves the member out. */
function memberText(key: string, value: unknown): string | undefined {
  if (key === "agents" && Array.isArray(value)) {
    const rows: string[] = [];
    for (let i = 0; i < value.length; i += 1) rows.push(elementText(value[i]));
    return `[${rows.join(",")}]`;
  }
  const text: string | undefined = JSON.stringify(value);
  return text === undefined ? undefined : jsonSafe(text);
}

/** `jsonSafe(JSON.stringify(status))`, from the row texts kept since the last document. */
export function watchJson(status: FleetStatus): string {
  if ("toJSON" in status) return jsonSafe(JSON.stringify(status));
  const parts: string[] = [];
  for (const [key, value] of Object.entries(status) as [string, unknown][]) {
    const text = memberText(key, value);
    if (text !== undefined) parts.push(`${jsonSafe(JSON.stringify(key))}:${text}`);
  }
  return `{${parts.join(",")}}`;
}
