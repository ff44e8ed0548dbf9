import type { FleetDiffDocument, FleetStatus } from "../diff/index.js";
import { jsonSafe } from "../terminal-text.js";

/** The documents the machine formats print: `fleet ps`'s status and `fleet diff`'s. */
export type MachineDocument = FleetStatus | FleetDiffDocument;

// Machine formats of the one status object: no field is computed here, so JSON, YAML
// and the table can never disagree. YAML loads its library only when asked for.

/** `-o json` (docs/json.md: FleetStatus, FleetDiff). */
export function renderJson(status: MachineDocument): string {
  return `${jsonSafe(JSON.stringify(status, null, 2))}\n`;
}

// Elements of an array member at depth 2 of a 2-space document, cut out of a document
// of the same shape holding only them: `{\n  "a": [\n` and `\n  ]\n}` around them.
const ELEMENTS_PREFIX = 11;
const ELEMENTS_SUFFIX = 6;

/**
 * `-o json` as renderJson prints it, before jsonSafe, in pieces of about `size`
 * characters: JSON.stringify's own text, for a writer that escapes and encodes each
 * piece at once (cli/io.ts printJson). A 1 000-agent document (~2.3 MB) is then never
 * one string plus its copy in a write buffer, which was the peak of `fleet ps`'s memory
 * (BENCHMARKS.md). Array members are stringified a run of elements at a time (as many
 * as make about `size`), not one by one.
 */
export function* jsonPieces(document: MachineDocument, size = 64 * 1024): Generator<string> {
  if (typeof (document as { toJSON?: unknown }).toJSON === "function") {
    yield `${JSON.stringify(document, null, 2)}\n`;
    return;
  }
  let pending = "{\n";
  let first = true;
  // What goes before a member: nothing before the first, a comma and a newline otherwise.
  const separator = () => (first ? ((first = false), "") : ",\n");
  for (const [key, value] of Object.entries(document) as [string, unknown][]) {
    if (!Array.isArray(value) || value.length === 0) {
      // `  "key": value`, cut out of a document holding only this member; "{}" when
      // JSON leaves the member out (undefined, a function).
      const member = JSON.stringify({ [key]: value }, null, 2);
      if (member !== "{}") pending += separator() + member.slice(2, -2);
      continue;
    }
    pending += `${separator()}  ${JSON.stringify(key)}: [\n`;
    let run = 1;
    for (let i = 0; i < value.length;) {
      const end = Math.min(value.length, i + run);
      const text = JSON.stringify({ a: value.slice(i, end) }, null, 2).slice(ELEMENTS_PREFIX, -ELEMENTS_SUFFIX);
      pending += i === 0 ? text : `,\n${text}`;
      if (pending.length >= size) {
        yield pending;
        pending = "";
      }
      // Next run: as many elements as this run's average makes `size` characters.
      run = Math.max(1, Math.floor((size * (end - i)) / Math.max(1, text.length)));
      i = end;
    }
    pending += "\n  ]";
  }
  yield first ? "{}\n" : `${pending}\n}\n`;
}

/** `-o yaml`. */
export async function renderYaml(status: MachineDocument): Promise<string> {
  const yaml = await import("yaml");
  // CommonJS through the bundle: the functions may sit on the default export.
  const stringify = yaml.stringify ?? (yaml as unknown as { default: typeof yaml }).default.stringify;
  return stringify(status, { lineWidth: 0 });
}
