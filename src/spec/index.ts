// The roster stage's front file (docs/architecture.md): other folders import the spec
// stage only from here. The parser (YAML and the schema, the largest code mosaic loads)
// is reached through rosterParser()/rosterSchema(), so a command that takes its fleet
// from the roster cache never loads it.

export { dropCachedRoster, loadRosterCached } from "./cache.js";
export { formatSeconds, parseDuration } from "./duration.js";
export { AGENT_NAME_RE, SOCKET_RE } from "./names.js";
export { formatProblem } from "./problems.js";
export type { RosterProblem } from "./problems.js";
export { rosterFileAt, STDIN_ROSTER } from "./read.js";
export type { RosterFile, RosterResult } from "./read.js";
export { machineFacts, thisMachineNames } from "./resolve.js";
export type { AgentSpec, FleetSpec, HostSpec, MachineFacts } from "./resolve.js";
export { GENERAL_SCREEN_RULES, INTERPRETERS, RUNTIME_SCREEN_RULES } from "./runtimes.js";
export type { RuntimeSpec, ScreenRules } from "./runtimes.js";
export { didYouMean } from "./suggest.js";

/** The roster parser: `loadRoster(file)` and `parseRoster(label, text)`, loaded on first use. */
export const rosterParser = () => import("./load.js");
/** The roster's JSON Schema (`fleet schema`), loaded on first use. */
export const rosterSchema = () => import("./json-schema.js");
