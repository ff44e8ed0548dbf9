// The system layer's front file (docs/architecture.md): the one door to the operating
// system (processes, tmux, systemctl, /proc, files, locks). Other folders import it only
// from here; only src/system spawns processes or renames files into place.

export { decodeExit } from "./exit-status.js";
export type { ExitMeaning } from "./exit-status.js";
export { isStdoutPath, replaceRefusal, writeFileAtomic } from "./files.js";
export { acquireLock, flockFd } from "./lock.js";
export { asOwnerSync } from "./owner.js";
export type { Owner } from "./owner.js";
export {
  bootTimeSec,
  DEFAULT_PROC_ROOT,
  foregroundWaitingForInput,
  isPid,
  processAlive,
  readProcess,
  resolvedExecutable,
  scanProcesses,
  toInfo,
} from "./procfs.js";
export type { ProcessIndex, ProcOptions } from "./procfs.js";
export { answered, CommandTimeout, runCommand } from "./run.js";
/** Streaming a long-running program (agent logs -f, watch and attach over ssh): loaded when used. */
export const processStreams = () => import("./stream.js");
export type { CommandResult } from "./run.js";
export { runSystemctl } from "./systemctl.js";
export type { UserManager } from "./systemctl.js";
export {
  attachTmux,
  checkTmuxSocket,
  controlClient,
  ownSession,
  runTmux,
  runTmuxNamed,
  tmuxClientEnv,
  tmuxSocketPath,
} from "./tmux.js";
export type { ControlClient, TmuxServer } from "./tmux.js";
export { ProcessIndexCache, WatchedProcess } from "./proc-rescan.js";
