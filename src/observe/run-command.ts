// Moved to src/system/run.ts (the one door to the OS); kept so older imports still build.
export { runCommand, spawnedCommands, type CommandResult, type RunOptions } from "../system/run.js";
