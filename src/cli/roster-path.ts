import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { rosterFileAt, STDIN_ROSTER, type RosterFile } from "../spec/index.js";
import { UserError } from "./exit-codes.js";
import type { Io } from "./io.js";

/** `$MOSAIC_HOME`, else `~/.config/mosaic`. */
export function mosaicHome(env: NodeJS.ProcessEnv): string {
  const home = env["MOSAIC_HOME"];
  if (home) return home;
  const config = env["XDG_CONFIG_HOME"] || join(env["HOME"] || homedir(), ".config");
  return join(config, "mosaic");
}

/**
 * The roster to read: --roster (`-` is standard input), else $MOSAIC_ROSTER, else
 * $MOSAIC_HOME/fleet/roster.yaml. Opened at its absolute path; shown as typed when
 * under the current directory, escaped.
 */
export function rosterFile(flag: string | undefined, io: Io): RosterFile {
  // `-f "$UNSET"` must not quietly check some other roster.
  if (flag !== undefined && flag.trim() === "") throw new UserError("--roster was given an empty path");
  if (flag === "-") return STDIN_ROSTER;
  const chosen = flag || io.env["MOSAIC_ROSTER"] || join(mosaicHome(io.env), "fleet", "roster.yaml");
  const path = isAbsolute(chosen) ? chosen : resolve(io.cwd, chosen);
  return rosterFileAt(path, path.startsWith(io.cwd + "/") ? path.slice(io.cwd.length + 1) : path);
}
