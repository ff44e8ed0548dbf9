import { existsSync } from "node:fs";
import { join } from "node:path";

// Whether a tenant's user manager starts at boot without a login (logind's "linger",
// docs/conditions.md BootDisabled/LingerDisabled). The cheapest true answer is a file:
// logind keeps /var/lib/systemd/linger/USER for every lingering user — no subprocess.
// Where logind does not manage this user at all (no linger directory and no
// /run/systemd/users/UID: a container, a hand-started manager), linger means nothing
// and the answer is null: no verdict.

/** The linger directory: MOSAIC_LINGER_DIR (tests, unusual hosts), else logind's own. */
export function lingerDir(env: NodeJS.ProcessEnv): string {
  return env["MOSAIC_LINGER_DIR"] || "/var/lib/systemd/linger";
}

/** true: lingers; false: does not; null: logind does not manage this user here. */
export function observeLinger(user: string, uid: number, env: NodeJS.ProcessEnv): boolean | null {
  // Tenant names are roster-validated user names; refuse anything that could leave the directory.
  if (user === "" || user.includes("/") || user.startsWith(".")) return null;
  const dir = lingerDir(env);
  if (existsSync(join(dir, user))) return true;
  if (existsSync(dir) || existsSync(`/run/systemd/users/${uid}`)) return false;
  return null;
}
