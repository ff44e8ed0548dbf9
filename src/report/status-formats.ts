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

/** `-o yaml`. */
export async function renderYaml(status: MachineDocument): Promise<string> {
  const yaml = await import("yaml");
  // CommonJS through the bundle: the functions may sit on the default export.
  const stringify = yaml.stringify ?? (yaml as unknown as { default: typeof yaml }).default.stringify;
  return stringify(status, { lineWidth: 0 });
}
