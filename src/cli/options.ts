import type { StatusFormat } from "../report/index.js";

// The option groups several commands share, as their run() reads them (docs/commands.md).
// Each command's file declares its own options from these and its own flags; src/cli/main.ts
// checks at compile time that they are exactly what that command's flags parse to.

/** `-f/--roster FILE`, `--tenant NAME`, `--no-color` (every command that reads the roster). */
export interface RosterOptions {
  roster?: string | undefined;
  tenant?: string | undefined;
  color?: boolean | undefined;
}

/** `--host NAME`, `--host-timeout DUR` (the commands that observe across hosts). */
export interface HostOptions {
  host?: string | undefined;
  hostTimeout?: string | undefined;
}

/** `--socket NAME`: the tmux socket to observe. */
export interface SocketOption {
  socket?: string | undefined;
}

/** `-o FORMAT` and `--json` (same as `-o json`). */
export interface OutputOptions<Format extends string = StatusFormat> {
  output?: Format | undefined;
  json?: boolean | undefined;
}
