import { closeSync, fstatSync, openSync, readFileSync, type BigIntStats } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { Script } from "node:vm";
import { cacheDir, cacheFileName, readPrivateFile, writePrivateFile } from "../cache/index.js";

// What bin/mosaic runs first (built to dist/boot.cjs): it compiles dist/cli.cjs with
// V8's code cache, so a run does not parse and compile again what the previous run of
// the same command compiled. That is most of mosaic's own startup (bench/,
// BENCHMARKS.md). Node 20 has no built-in compile cache for modules
// (module.enableCompileCache came in Node 22), so the bundle is one CommonJS script,
// compiled here with vm.Script, as Node's own loader would, plus `cachedData`.
//
// Why not the v8-compile-cache package: it keeps its cache in a predictable directory
// under the shared /tmp without checking who owns it. Compiled code is trusted as is
// (V8 checks versions and the source's length, not what the code does), so on a host
// with one Linux user per tenant another tenant could plant code there. This cache
// lives with mosaic's other caches ($XDG_CACHE_HOME/mosaic, MOSAIC_NO_CACHE turns it
// off) and is read only from a regular file of the invoking user that no one else may
// read or write (cache/private-file.ts).

/** Whether this run's compile used a cache entry. */
type CodeCacheState = "hit" | "miss" | "rejected" | "off";

/** What boot hands to the CLI's main(). */
export interface BootOptions {
  codeCache: CodeCacheState;
  /** Write the cache entry, when this run had none to use; call once output is flushed. */
  saveCodeCache?: () => void;
}

interface CliBundle {
  main(boot: BootOptions): Promise<void>;
}

const MAGIC = "mosaic code cache v1";

/**
 * One cache entry per command (`fleet ps`, `agent send`, `demo`, …): V8 keeps the code
 * of every function the run compiled, and each command compiles different ones.
 */
export function commandKey(argv: readonly string[]): string {
  const words: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith("-")) continue;
    if (!/^[a-z][a-z-]{0,19}$/.test(arg)) break;
    words.push(arg);
    if (words.length === 2 || (words[0] !== "fleet" && words[0] !== "agent")) break;
  }
  return words.length === 0 ? "none" : words.join("-");
}

/**
 * What a cache entry must have been made from: this node, this bundle file (a rebuild
 * writes a new file: new inode and change time). V8 itself rejects data from another
 * V8 version or other flags, but of the source it checks only the length.
 */
function bundleIdentity(bundle: string, stat: BigIntStats): string {
  return [MAGIC, process.version, process.arch, bundle, stat.dev, stat.ino, stat.size, stat.mtimeNs, stat.ctimeNs].join(
    "\0",
  );
}

/**
 * The bundle's text and the identity of exactly those bytes: one open file, so a build
 * renaming a new cli.cjs into place between a stat and a read cannot pair the old file's
 * identity (and its cache entry) with the new file's source of the same length.
 */
function readBundle(bundle: string): { source: string; stat: BigIntStats } {
  const fd = openSync(bundle, "r");
  try {
    return { stat: fstatSync(fd, { bigint: true }), source: readFileSync(fd, "utf8") };
  } finally {
    closeSync(fd);
  }
}

// V8 (Node 20) does not checksum the code it loads from a cache: a flipped byte in the
// data crashes the process (SIGSEGV, measured), on every run until the entry goes. So
// each entry carries a CRC-32 of the data, checked before V8 sees it, as Node 22's own
// compile cache does. node:zlib is loaded only when there is an entry to check or write.
const crc32 = (data: Uint8Array): number => process.getBuiltinModule("node:zlib").crc32(data);

/** An entry: the identity's length (4 bytes, little-endian), the identity, the data's CRC-32 (4 bytes), V8's data. */
export function encodeEntry(identity: string, data: Buffer): Buffer {
  const head = Buffer.from(identity, "utf8");
  const fields = Buffer.alloc(8);
  fields.writeUInt32LE(head.length, 0);
  fields.writeUInt32LE(crc32(data), 4);
  return Buffer.concat([fields.subarray(0, 4), head, fields.subarray(4), data]);
}

/** V8's data from an intact entry made for exactly `identity`; undefined otherwise. */
export function decodeEntry(entry: Buffer | null, identity: string): Buffer | undefined {
  if (entry === null || entry.length < 8) return undefined;
  const length = entry.readUInt32LE(0);
  if (entry.length <= 8 + length || entry.toString("utf8", 4, 4 + length) !== identity) return undefined;
  const data = entry.subarray(8 + length);
  return crc32(data) === entry.readUInt32LE(4 + length) ? data : undefined;
}

/** One CommonJS file compiled with the code cache: its state, and how to save an entry it lacked. */
interface CompiledFile {
  state: CodeCacheState;
  save?: () => void;
}

/**
 * Compile `file` (CommonJS source) with its entry in `dir` for this command, run it as
 * a module (`module` is filled in), and say whether the entry was used.
 */
function runCached(
  file: string,
  module: { exports: unknown },
  require: NodeJS.Require,
  dir: string | null,
  command: string,
): CompiledFile {
  const { source: text, stat } = readBundle(file);
  let entryPath: string | null = null;
  let identity = "";
  let cachedData: Buffer | undefined;
  if (dir !== null) {
    try {
      identity = bundleIdentity(file, stat);
      entryPath = join(dir, cacheFileName(`code-${command}`, file, "v8"));
      cachedData = decodeEntry(readPrivateFile(entryPath, process.getuid?.() ?? -1), identity);
    } catch {
      entryPath = null;
    }
  }

  // The same wrapper Node's CommonJS loader puts around a module; its own line, so line
  // numbers in stack traces and source maps stay those of the file.
  const source = `(function (exports, require, module, __filename, __dirname) {\n${text}\n})`;
  const script = new Script(source, { filename: file, lineOffset: -1, cachedData });
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, require, module, file, dirname(file));

  const state: CodeCacheState =
    entryPath === null
      ? "off"
      : cachedData === undefined
        ? "miss"
        : script.cachedDataRejected === true
          ? "rejected"
          : "hit";
  const target = entryPath;
  if (target === null || dir === null || state === "hit") return { state };
  // After the run, so the data holds every function this command compiled, not just the top level.
  return {
    state,
    save: () => writePrivateFile(dir, basename(target), () => encodeEntry(identity, script.createCachedData())),
  };
}

/**
 * The `require` the bundle gets: the libraries it loads on demand (dist/vendor/*.cjs,
 * YAML and zod for a roster parse among them) go through the code cache too — compiled
 * from source they cost `fleet validate` and every roster-cache miss ~20 ms — as real
 * CommonJS modules (require.cache, module.paths), each loaded once. Everything else is
 * Node's own loader.
 */
function bundleRequire(bundle: string, dir: string | null, command: string, compiled: CompiledFile[]): NodeJS.Require {
  const base = createRequire(bundle);
  if (dir === null) return base;
  const vendor = join(dirname(bundle), "vendor") + "/";
  const load = (id: string): unknown => {
    if (!id.startsWith("./vendor/")) return base(id);
    const file = resolve(dirname(bundle), id);
    if (!file.startsWith(vendor)) return base(id);
    const known = base.cache[file];
    if (known) return known.exports;
    const Module = base("node:module") as typeof import("node:module") & {
      new (id: string, parent?: unknown): NodeJS.Module;
      _nodeModulePaths(dir: string): string[];
    };
    const module = new Module(file);
    module.filename = file;
    module.paths = Module._nodeModulePaths(dirname(file));
    base.cache[file] = module;
    try {
      compiled.push(runCached(file, module, createRequire(file), dir, command));
    } catch (error) {
      delete base.cache[file];
      throw error;
    }
    module.loaded = true;
    return module.exports;
  };
  return Object.assign(load, {
    resolve: base.resolve,
    cache: base.cache,
    main: base.main,
    extensions: base.extensions,
  });
}

/**
 * V8 doubles the young generation (up to 16 MiB a half) whenever a scavenge finds much
 * of it alive. A run of mosaic keeps most of what it builds until it prints, so that
 * growth only holds more garbage between collections: at 1 000 agents `fleet ps` peaked
 * at ~77 MiB RSS with it and ~66 MiB without, for no measurable CPU either way
 * (BENCHMARKS.md, Round 3). V8 reads this flag each time it would grow the space, so
 * setting it here, before anything is loaded, holds for the whole run.
 */
function keepYoungGenerationSmall(): void {
  process.getBuiltinModule("node:v8").setFlagsFromString("--semi-space-growth-factor=1");
}

/**
 * Compile and run the CLI bundle (a CommonJS file), then call its main(). Throws only
 * what loading the bundle throws (missing file, syntax error); bin/mosaic reports it.
 */
export function boot(
  path: string,
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  keepYoungGenerationSmall();
  const bundle = resolve(path);
  const dir = cacheDir(env);
  const command = commandKey(argv);
  const vendored: CompiledFile[] = [];
  const module = { exports: {} as Partial<CliBundle> };
  const { state: codeCache, save } = runCached(
    bundle,
    module,
    bundleRequire(bundle, dir, command, vendored),
    dir,
    command,
  );
  // Every file this run compiled without an entry gets one once output is flushed
  // (vendor files are loaded during the run, so which ones is known only then).
  const saveCodeCache =
    dir === null
      ? undefined
      : () => {
          save?.();
          for (const file of vendored) file.save?.();
        };
  const main = module.exports.main;
  if (typeof main !== "function") throw new Error(`${bundle} has no main()`);
  return main(saveCodeCache ? { codeCache, saveCodeCache } : { codeCache });
}
