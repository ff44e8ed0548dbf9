// The roster stage's public face: load a roster file into a resolved fleet spec.
export { loadRoster, parseRoster, type RosterResult } from "./load.js";
export { formatProblem, type RosterProblem } from "./problems.js";
export type { AgentSpec, FleetSpec, MachineFacts } from "./resolve.js";
export { rosterJsonSchema } from "./json-schema.js";
