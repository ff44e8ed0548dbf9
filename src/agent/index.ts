// The agent folder's front file (docs/architecture.md): one agent's verbs (watch, send,
// logs, run), the stub runtime and the runtime hooks. Other folders import it only from
// here; nothing in it imports src/cli.

export { applyHookUpdate, runtimePid } from "./hooks/apply.js";
export { claudeCodeUpdate, codexHookUpdate, codexNotifyUpdate } from "./hooks/events.js";
export type { HookUpdate } from "./hooks/events.js";
export {
  codexTomlFragment,
  hookArgv,
  hookCommand,
  hooksFragment,
  mergeCodexToml,
  mergeHooks,
  nextStartNotice,
} from "./hooks/setup.js";
export type { HookRuntime } from "./hooks/setup.js";
export { resolveAgentName } from "./identity.js";
export { followPaneLog, readPaneLog } from "./logs.js";
export { messageProblem } from "./message.js";
export { findPane, tmux } from "./pane.js";
export { sendMessage } from "./send.js";
export { parseStatusScript, playStatusScript } from "./status-script.js";
export type { StatusStep } from "./status-script.js";
export { serveStub } from "./stub.js";
export { superviseAgent } from "./supervise.js";
export type { SuperviseOutcome } from "./supervise.js";
export { runViewer } from "./viewer.js";
