import type { FleetDiffDocument, FleetStatus } from "../diff/types.js";
import { jsonSafe } from "../terminal-text.js";

/** The documents the machine formats print: `fleet ps`'s status and `fleet diff`'s. */
export type MachineDocument = FleetStatus | FleetDiffDocument;

// Machine formats of the one status object: no field is computed here, so JSON, YAML
// and the table can never disagree. YAML loads its library only when asked for.

/** `-o json` (docs/json.md: FleetStatus, FleetDiff). */
export function renderJson(status: MachineDocument): string {
  return `${jsonSafe(JSON.stringify(status, null, 2))}\n`;
}

// The element of an array member at depth 2 of a 2-space document, cut out of a
// one-element document of the same shape: `{\n  "a": [\n` and `\n  ]\n}` around it.
const ELEMENT_PREFIX = 11;
const ELEMENT_SUFFIX = 6;

/**
 * `-o json` as renderJson prints it, the same text in pieces of about `size` characters:
 * a 1 000-agent document (~2.3 MB) is then never one string plus its copy in a write
 * buffer, which was the peak of `fleet ps`'s memory (BENCHMARKS.md).
 */
export function* renderJsonChunks(document: MachineDocument, size = 64 * 1024): Generator<string> {
  if (typeof (document as { toJSON?: unknown }).toJSON === "function") {
    yield renderJson(document);
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
    for (let i = 0; i < value.length; i += 1) {
      const element = JSON.stringify({ a: [value[i]] }, null, 2);
      pending += `${element.slice(ELEMENT_PREFIX, -ELEMENT_SUFFIX)}${i < value.length - 1 ? ",\n" : "\n"}`;
      if (pending.length >= size) {
        yield jsonSafe(pending);
        pending = "";
      }
    }
    pending += "  ]";
  }
  yield jsonSafe(first ? "{}\n" : `${pending}\n}\n`);
}

/** `-o yaml`. */
export async function renderYaml(status: MachineDocument): Promise<string> {
  const yaml = await import("yaml");
  // CommonJS through the bundle: the functions may sit on the default export.
  const stringify = yaml.stringify ?? (yaml as unknown as { default: typeof yaml }).default.stringify;
  return stringify(status, { lineWidth: 0 });
}
