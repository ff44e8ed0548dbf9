import { existsSync } from "node:fs";
import { join } from "node:path";

// Whether a tenant's user manager starts at boot without a login (logind's "linger",
// docs/conditions.md BootDisabled/LingerDisabled). The cheapest true answer is a file:
// logind keeps /var/lib/systemd/linger/USER for every lingering user — no subprocess.
// Linger governs only the manager logind starts, user@UID.service at /run/user/UID.
// Where that is not the manager observed (a private XDG_RUNTIME_DIR: a hand-started
// manager), or logind does not manage this user at all (no linger directory and no
// /run/systemd/users/UID: a container), linger means nothing and the answer is null:
// no verdict. MOSAIC_LINGER_DIR names the linger directory outright and is always judged.

/** The linger directory: MOSAIC_LINGER_DIR (tests, unusual hosts), else logind's own. */
export function lingerDir(env: NodeJS.ProcessEnv): string {
  return env["MOSAIC_LINGER_DIR"] || "/var/lib/systemd/linger";
}

/**
 * true: lingers; false: does not; null: not judged here. `env` is the invoker's (for
 * MOSAIC_LINGER_DIR); `runtimeDir` is the XDG_RUNTIME_DIR the tenant's manager is reached at.
 */
export function observeLinger(
  user: string,
  uid: number,
  env: NodeJS.ProcessEnv,
  runtimeDir: string | undefined = `/run/user/${uid}`,
): boolean | null {
  // Tenant names are roster-validated user names; refuse anything that could leave the directory.
  if (user === "" || user.includes("/") || user.startsWith(".")) return null;
  const explicit = env["MOSAIC_LINGER_DIR"];
  if (!explicit && runtimeDir !== undefined && runtimeDir.replace(/\/+$/, "") !== `/run/user/${uid}`) return null;
  const dir = lingerDir(env);
  if (existsSync(join(dir, user))) return true;
  if (explicit || existsSync(dir) || existsSync(`/run/systemd/users/${uid}`)) return false;
  return null;
}
