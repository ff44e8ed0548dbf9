import { lstatSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { log } from "../log.js";

// ssh connection reuse across mosaic runs (docs/commands.md, Many hosts), as ansible
// does it: every ssh to a host is started with ControlMaster=auto and ControlPersist,
// so the first run's connection stays up, idle, for the persist window and later runs
// (and every pass of a --watch) are sessions on it: no new handshake. The control
// sockets live in a private directory mosaic checks before every use:
// $XDG_RUNTIME_DIR/mosaic/ssh, else $XDG_CACHE_HOME/mosaic/ssh (~/.cache/mosaic/ssh):
// a real directory (not a symlink) of ours, mode 0700, holding only sockets of ours.
// Anything else, and ssh connects directly (said in the debug log).
// MOSAIC_SSH_PERSIST: how long an idle connection stays (ssh's ControlPersist time:
// 60s by default, `30`, `5m`, `1h`); `0` or `no`: no reuse across runs.

/** Seconds an idle connection stays when MOSAIC_SSH_PERSIST does not say (ansible's 60s). */
export const DEFAULT_PERSIST_SECONDS = 60;

/** Seconds an idle master connection outlives a run; 0: none (MOSAIC_SSH_PERSIST=0). */
export function persistFromEnv(env: NodeJS.ProcessEnv): number {
  const said = (env["MOSAIC_SSH_PERSIST"] ?? "").trim().toLowerCase();
  if (said === "") return DEFAULT_PERSIST_SECONDS;
  if (said === "no" || said === "off" || said === "false") return 0;
  const match = /^(\d{1,6})(s|m|h)?$/.exec(said);
  if (match === null) {
    log(
      "warn",
      { MOSAIC_SSH_PERSIST: said.slice(0, 40) },
      "MOSAIC_SSH_PERSIST is not 0, no or a time such as 60s or 5m; using 60s",
    );
    return DEFAULT_PERSIST_SECONDS;
  }
  const unit = match[2] === "h" ? 3600 : match[2] === "m" ? 60 : 1;
  return Math.min(Number(match[1]) * unit, 86_400);
}

/** A unix socket path holds 107 bytes; ssh binds DIR/%C (40 hex) plus a 17-byte temporary suffix first. */
const SOCKET_NAME_BYTES = 1 + 40 + 17;
const MAX_SOCKET_PATH = 107;

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The private directory for control sockets, or why there is none usable. */
export function controlDirectory(env: NodeJS.ProcessEnv): { ok: true; dir: string } | { ok: false; why: string } {
  const uid = process.getuid?.() ?? -1;
  const runtime = env["XDG_RUNTIME_DIR"];
  const cache = env["XDG_CACHE_HOME"];
  // The runtime directory only if it exists (mosaic never makes one); the cache directory is made if need be.
  const base =
    runtime !== undefined && isAbsolute(runtime) && isDirectory(runtime)
      ? runtime
      : cache !== undefined && isAbsolute(cache)
        ? cache
        : join(env["HOME"] || homedir(), ".cache");
  const dir = join(base, "mosaic", "ssh");
  if (Buffer.byteLength(dir) + SOCKET_NAME_BYTES > MAX_SOCKET_PATH)
    return { ok: false, why: `${dir} is too long for a socket path` };
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // (The base may be a symlink, as ~/.cache often is: what it points to is judged.)
    const baseStat = statSync(base);
    // Nobody else may rename our directories away: the base is ours or sticky, and not writable by others.
    if (baseStat.uid !== uid && (baseStat.mode & 0o1000) === 0) return { ok: false, why: `${base} is not ours` };
    if ((baseStat.mode & 0o022) !== 0 && (baseStat.mode & 0o1000) === 0)
      return { ok: false, why: `${base} is writable by others` };
    for (const [path, mode] of [
      [join(base, "mosaic"), null],
      [dir, 0o700],
    ] as const) {
      const stat = lstatSync(path);
      if (!stat.isDirectory()) return { ok: false, why: `${path} is not a directory (a symlink?)` };
      if (stat.uid !== uid) return { ok: false, why: `${path} is owned by uid ${stat.uid}, not ${uid}` };
      if (mode !== null && (stat.mode & 0o777) !== mode)
        return { ok: false, why: `${path} has mode ${(stat.mode & 0o777).toString(8)}, not 700` };
      if (mode === null && (stat.mode & 0o022) !== 0) return { ok: false, why: `${path} is writable by others` };
    }
    // Only our sockets (a stale one is ssh's to replace): anything else was put there by someone else.
    for (const name of readdirSync(dir)) {
      const stat = lstatSync(join(dir, name));
      if (!stat.isSocket() || stat.uid !== uid || (stat.mode & 0o077) !== 0)
        return { ok: false, why: `${join(dir, name)} is not a control socket of ours` };
    }
  } catch (error) {
    return { ok: false, why: (error as Error).message };
  }
  return { ok: true, dir };
}

/** ssh's ControlPath option for `dir`: a literal % is written %%. */
export function controlPathOption(dir: string): string {
  return `ControlPath=${join(dir.replace(/%/g, "%%"), "%C")}`;
}

/**
 * The ssh `-o` options for one-shot runs: connection reuse when persistence is on and
 * the directory is safe; none (a direct connection) otherwise.
 */
export function persistOptions(env: NodeJS.ProcessEnv): string[] {
  const persist = persistFromEnv(env);
  if (persist === 0) return [];
  const control = controlDirectory(env);
  if (!control.ok) {
    log("debug", { step: "ssh.control", why: control.why }, "ssh connection reuse off: connecting directly");
    return [];
  }
  return ["ControlMaster=auto", controlPathOption(control.dir), `ControlPersist=${persist}`];
}
