import { join } from "node:path";
import { lstatSync, mkdirSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../system/index.js";

// mosaic's cache files ($XDG_CACHE_HOME/mosaic): private files of the invoking user
// (JSON entries, and the compiled-code cache of src/cli/boot.ts). A cache is only ever
// a shortcut, so reading never fails (anything odd is a miss) and writing never fails
// (a cache that cannot be written is only slower).

/**
 * A file name for the cache entry of `key`: `PREFIX-` and 16 hex digits of a 64-bit
 * FNV-1a hash. Not a security boundary — every entry stores its full key and is only
 * used when that matches — just a short name; node:crypto alone costs `fleet ps` ~2 ms
 * to load, which a hash of a path does not need.
 */
export function cacheFileName(prefix: string, key: string, extension = "json"): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= BigInt(key.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return `${prefix}-${hash.toString(16).padStart(16, "0")}.${extension}`;
}

/** Where caches live: $XDG_CACHE_HOME/mosaic or ~/.cache/mosaic; null when MOSAIC_NO_CACHE is set. */
export function cacheDir(env: NodeJS.ProcessEnv): string | null {
  if (env["MOSAIC_NO_CACHE"]) return null;
  const base = env["XDG_CACHE_HOME"] || (env["HOME"] ? join(env["HOME"], ".cache") : null);
  return base ? join(base, "mosaic") : null;
}

/** The file's bytes, only if it is a regular file of `uid` that no one else can read or write. */
export function readPrivateFile(path: string, uid: number): Buffer | null {
  try {
    const stat = lstatSync(path);
    // Our own private file only: anyone else's could claim anything.
    if (!stat.isFile() || stat.uid !== uid || (stat.mode & 0o077) !== 0) return null;
    return readFileSync(path);
  } catch {
    return null;
  }
}

/** The parsed file, only if it is a regular file of `uid` that no one else can read or write. */
export function readPrivateJson(path: string, uid: number): unknown {
  const bytes = readPrivateFile(path, uid);
  if (bytes === null) return null;
  try {
    return JSON.parse(bytes.toString("utf8")) as unknown;
  } catch {
    return null;
  }
}

/**
 * Write `data` as `dir/name` atomically (temp file + rename), mode 600 in a 700 directory.
 * `data` may be a function: it is called only once the directory exists, so a cache
 * that cannot be written costs no work to produce.
 */
export function writePrivateFile(
  dir: string,
  name: string,
  data: string | Uint8Array | (() => string | Uint8Array),
): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(join(dir, name), typeof data === "function" ? data() : data, {
      mode: 0o600,
      durable: false,
      keepModeAndOwner: false,
    });
  } catch {
    // A cache that cannot be written is only slower.
  }
}

/** Write `value` as JSON, as writePrivateFile does. */
export function writePrivateJson(dir: string, name: string, value: unknown): void {
  writePrivateFile(dir, name, JSON.stringify(value));
}
