// Moved to src/system/tmux.ts (the one door to tmux); kept so older imports still build.
export { checkTmuxSocket, tmuxClientEnv, tmuxSocketPath, withUtf8Client, type SocketCheck } from "../system/tmux.js";
