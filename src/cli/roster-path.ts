import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { UserError } from "./exit-codes.js";
import type { Io } from "./io.js";

/** `$MOSAIC_HOME`, else `~/.config/mosaic`. */
export function mosaicHome(env: NodeJS.ProcessEnv): string {
  const home = env["MOSAIC_HOME"];
  if (home) return home;
  const config = env["XDG_CONFIG_HOME"] || join(env["HOME"] || homedir(), ".config");
  return join(config, "mosaic");
}

/** The roster to read: --roster, else $MOSAIC_ROSTER, else $MOSAIC_HOME/fleet/roster.yaml. */
export function rosterPath(flag: string | undefined, io: Io): string {
  // `-f "$UNSET"` must not quietly check some other roster.
  if (flag !== undefined && flag.trim() === "") throw new UserError("--roster was given an empty path");
  const chosen = flag || io.env["MOSAIC_ROSTER"] || join(mosaicHome(io.env), "fleet", "roster.yaml");
  return isAbsolute(chosen) ? chosen : resolve(io.cwd, chosen);
}

/** Show paths the way the operator typed them when they are under the cwd. */
export function displayPath(file: string, io: Io): string {
  return file.startsWith(io.cwd + "/") ? file.slice(io.cwd.length + 1) : file;
}
