import { stringify } from "yaml";
import type { FleetStatus } from "../diff/types.js";

// Machine formats of the one status object: no field is computed here, so JSON, YAML
// and the table can never disagree.

/** `-o json` (CONTRACT §8). */
export function renderJson(status: FleetStatus): string {
  return `${JSON.stringify(status, null, 2)}\n`;
}

/** `-o yaml`. */
export function renderYaml(status: FleetStatus): string {
  return stringify(status, { lineWidth: 0 });
}
