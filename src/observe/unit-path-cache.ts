import { lstatSync } from "node:fs";
import { join } from "node:path";
import { cacheFileName, readPrivateJson, writePrivateJson } from "../cache/index.js";

// The user manager's UnitPath, remembered per manager instance, so `fleet ps` needs
// one systemctl call (list-units), not two: a second systemctl was ~5 ms of a 500-agent
// run on two cores (bench/, BENCHMARKS.md).
//
// Why this is safe to remember: systemd computes the search path from its own process
// environment (XDG_CONFIG_HOME, XDG_DATA_DIRS, SYSTEMD_UNIT_PATH …), which is fixed for
// the life of the manager — `systemctl set-environment` changes what units get, not
// where unit files are looked up — and it keeps directories that do not exist yet
// (a fresh ~/.config/systemd/user needs no new UnitPath). A new manager is a new
// instance: the key is the identity of the socket it creates when it starts,
// $XDG_RUNTIME_DIR/systemd/private (device, inode and change time), plus what chooses
// which manager systemctl talks to. No socket, no cache: systemctl is asked.

interface CachedUnitPath {
  key: string;
  paths: string[];
}

/** The key of the manager that systemctl --user reaches with `env`, or null when it cannot be told. */
export function managerInstanceKey(env: NodeJS.ProcessEnv): string | null {
  const runtimeDir = env["XDG_RUNTIME_DIR"];
  if (!runtimeDir) return null;
  try {
    const socket = lstatSync(join(runtimeDir, "systemd", "private"), { bigint: true });
    if (!socket.isSocket()) return null;
    return [runtimeDir, env["DBUS_SESSION_BUS_ADDRESS"] ?? "", socket.dev, socket.ino, socket.ctimeNs].join("\u0000");
  } catch {
    return null;
  }
}

function fileName(key: string): string {
  return cacheFileName("unitpath", key);
}

/** The UnitPath remembered for this manager instance, or null. */
export function readUnitPath(dir: string, key: string, uid: number): string[] | null {
  const cached = readPrivateJson(join(dir, fileName(key)), uid) as CachedUnitPath | null;
  if (
    cached?.key !== key ||
    !Array.isArray(cached.paths) ||
    !cached.paths.every((p) => typeof p === "string" && p.startsWith("/"))
  )
    return null;
  return cached.paths;
}

/** Remember the UnitPath systemctl reported for this manager instance. */
export function storeUnitPath(dir: string, key: string, paths: readonly string[]): void {
  const entry: CachedUnitPath = { key, paths: [...paths] };
  writePrivateJson(dir, fileName(key), entry);
}
