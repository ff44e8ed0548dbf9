import { join } from "node:path";
import { runCommand } from "../system/index.js";

// Tenancy is one Linux uid per tenant (a decision of record). A tenant's agents are
// observed through that tenant's own socket directory (/tmp/tmux-UID), run directory
// (~USER/.config/mosaic/fleet/run) and user manager (/run/user/UID) — by the tenant
// itself, or by root. Anyone else sees them as TenantNotVisible: never alive or dead.

export interface TenantAccount {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** `getent passwd` lines → accounts (NSS-aware, one call for every tenant). */
function parsePasswd(stdout: string): Map<string, TenantAccount> {
  const accounts = new Map<string, TenantAccount>();
  for (const line of stdout.split("\n")) {
    const [name, , uid, gid, , home] = line.split(":");
    if (!name || uid === undefined || gid === undefined || home === undefined) continue;
    const parsedUid = Number(uid);
    if (!Number.isInteger(parsedUid)) continue;
    accounts.set(name, { name, uid: parsedUid, gid: Number(gid), home });
  }
  return accounts;
}

/** Look up every tenant name at once; a missing name maps to null. */
export async function lookupTenants(
  names: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Map<string, TenantAccount | null>> {
  const result = new Map<string, TenantAccount | null>();
  if (names.length === 0) return result;
  // getent exits 2 when some key is unknown; the ones it found are still printed.
  const listed = await runCommand(["getent", "passwd", ...names], { env, timeoutMs });
  const accounts = parsePasswd(listed.stdout);
  for (const name of names) result.set(name, accounts.get(name) ?? null);
  return result;
}

/** How the invoking process reaches one tenant's fleet. */
export type TenantAccess =
  | {
      visible: true;
      account: TenantAccount;
      /** True when observing as root on the tenant's behalf. */
      delegated: boolean;
      /** Environment for tmux/systemctl aimed at the tenant's own instances. */
      env: NodeJS.ProcessEnv;
      runDir: string;
    }
  | { visible: false; reason: "TenantNotVisible" | "NoSuchTenant"; message: string };

interface Invoker {
  uid: number;
  user: string;
  env: NodeJS.ProcessEnv;
  /** The invoker's own run directory ($MOSAIC_HOME/fleet/run). */
  runDir: string;
}

/** Decide how (and whether) `invoker` can observe `tenant`. */
export function tenantAccess(
  tenant: string,
  account: TenantAccount | null | undefined,
  invoker: Invoker,
): TenantAccess {
  if (tenant === invoker.user) {
    return {
      visible: true,
      account: account ?? { name: tenant, uid: invoker.uid, gid: -1, home: invoker.env["HOME"] ?? "" },
      delegated: false,
      env: invoker.env,
      runDir: invoker.runDir,
    };
  }
  if (!account) {
    return { visible: false, reason: "NoSuchTenant", message: `tenant ${tenant} has no user on this host` };
  }
  if (invoker.uid !== 0) {
    return {
      visible: false,
      reason: "TenantNotVisible",
      message: `agent belongs to tenant ${tenant}; running as ${invoker.user} (only ${tenant} or root can observe it)`,
    };
  }
  const runtimeDir = `/run/user/${account.uid}`;
  const env: NodeJS.ProcessEnv = {
    ...invoker.env,
    HOME: account.home,
    USER: account.name,
    XDG_RUNTIME_DIR: runtimeDir,
  };
  // The tenant's own defaults, not root's: /tmp/tmux-UID and ~/.config.
  delete env["TMUX_TMPDIR"];
  delete env["XDG_CONFIG_HOME"];
  delete env["DBUS_SESSION_BUS_ADDRESS"];
  return {
    visible: true,
    account,
    delegated: true,
    env,
    runDir: join(account.home, ".config", "mosaic", "fleet", "run"),
  };
}
