// Builds the CLI into dist/ with esbuild:
//
//   dist/boot.cjs             what bin/mosaic runs: compiles cli.cjs with V8's code cache
//                             (src/cli/boot.ts says how and why)
//   dist/cli.cjs              all of mosaic's own code and commander, as one CommonJS file
//   dist/vendor/NAME-HASH.cjs each larger dependency on its own, required only by the
//                             commands that use it (YAML and zod when a roster is parsed,
//                             pino when diagnostics are asked for, execa for
//                             --watch, …), so `fleet ps` and `--help` never compile them
//
// CommonJS, not ES modules: Node 20 can only reuse compiled code (vm.Script cachedData)
// for scripts, and it loads a CommonJS file without starting the ESM loader. With a code
// cache hit, V8 compiles nothing it compiled on the first run (bench/, BENCHMARKS.md).
//
// Building never breaks a running CLI. A `bin/mosaic` started before or during a build
// has loaded (or is about to load) boot.cjs and cli.cjs, and requires ./vendor/ files
// lazily, seconds later. So nothing of dist/ is ever removed or rewritten in place:
//   - esbuild builds in memory; every file is written beside its final name and
//     renamed over it (rename is atomic: a reader sees the old file or the new one);
//   - vendor bundles are content-addressed (NAME-HASH.cjs), and cli.cjs names the ones
//     it was built with; they are written before cli.cjs, so the new cli.cjs never
//     names a file that is not there yet, and the old cli.cjs's files stay;
//   - a file the new build no longer names is kept for GRACE_MS after it stopped being
//     current (dist/build.json records when), then removed by a later build.
// A rebuilt cli.cjs is a new file (new inode): boot.ts's code cache sees the change.
import { build } from "esbuild";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIST = join(ROOT, "dist");
const MANIFEST = join(DIST, "build.json");
/** How long a file of an older build stays after a newer build replaced it. */
const GRACE_MS = 60 * 60 * 1000;
/** Temporary names: `.NAME.tmp-PID-RANDOM`, hidden, never a name a build uses. */
const TEMP_RE = /^\..*\.tmp-\d+-[0-9a-f]+$/;

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

/** Dependencies bundled apart, each as dist/vendor/NAME-HASH.cjs. The others go into cli.cjs. */
const VENDOR = ["yaml", "zod", "json-diff-ts", "cli-table3", "pino", "execa"];
const vendorEntry = (name) => name.replace(/[^a-z0-9-]/g, "-");

const common = {
  absWorkingDir: ROOT,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20.19",
  sourcemap: "linked",
  legalComments: "none",
  minify: true,
  logLevel: "warning",
  write: false,
  // The compiled cli.cjs runs inside vm.Script, where import() needs an experimental
  // flag: dynamic imports become lazy require() calls.
  supported: { "dynamic-import": false },
};

// 1. Vendor bundles, named by their content.
const vendor = await build({
  ...common,
  entryPoints: Object.fromEntries(VENDOR.map((name) => [vendorEntry(name), name])),
  outdir: join(DIST, "vendor"),
  entryNames: "[name]-[hash]",
  outExtension: { ".js": ".cjs" },
});
/** package name → its bundle's file name (NAME-HASH.cjs). */
const vendorFile = new Map();
for (const name of VENDOR) {
  const pattern = new RegExp(`^${vendorEntry(name)}-[A-Za-z0-9]+\\.cjs$`);
  const files = vendor.outputFiles.map((f) => basename(f.path)).filter((file) => pattern.test(file));
  if (files.length !== 1)
    throw new Error(`build: expected one bundle for ${name}, found ${files.join(", ") || "none"}`);
  vendorFile.set(name, files[0]);
}

// Resolve each vendored package to its bundle, relative to dist/cli.cjs.
const vendorPlugin = {
  name: "vendor",
  setup(b) {
    const filter = new RegExp(`^(${VENDOR.map((n) => n.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")).join("|")})$`);
    b.onResolve({ filter }, (args) => ({ path: `./vendor/${vendorFile.get(args.path)}`, external: true }));
  },
};

// commander requires node:child_process when it loads, for executable subcommands
// (`git-foo`-style), which mosaic never declares; loading it (with net, dgram and the
// stream modules) costs every command ~3 ms, `fleet validate` and `--help` included,
// which spawn nothing. commander gets it on first use instead; src/system/run.ts, which
// spawns, loads the real module itself.
const lazyChildProcessPlugin = {
  name: "lazy-child-process-for-commander",
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)
        ? { path: "child_process", namespace: "lazy-builtin" }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, () => ({
      contents:
        'let real; const load = () => (real ??= require("node:child_process"));\n' +
        "module.exports = new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() });\n",
      loader: "js",
    }));
  },
};

// 2. The CLI and boot.
const [cli, boot] = await Promise.all([
  build({
    ...common,
    entryPoints: { cli: "src/cli/main.ts" },
    outdir: DIST,
    outExtension: { ".js": ".cjs" },
    plugins: [vendorPlugin, lazyChildProcessPlugin],
    // package-root.ts reads import.meta.url only when run as an ES module (the tests);
    // in this bundle it takes __filename.
    logOverride: { "empty-import-meta": "silent" },
    // The build stamp keys the roster cache: a rebuilt mosaic never trusts an old entry.
    define: {
      __MOSAIC_VERSION__: JSON.stringify(pkg.version),
      __MOSAIC_BUILD__: JSON.stringify(`${pkg.version}+${Date.now()}`),
    },
  }),
  build({
    ...common,
    entryPoints: { boot: "src/cli/boot.ts" },
    outdir: DIST,
    outExtension: { ".js": ".cjs" },
  }),
]);

/** Write beside the final name, then rename over it. */
function writeAtomic(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    writeFileSync(temp, contents, { mode: 0o644 });
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

const exists = (path) => {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

// 3. Into place, in an order where every file a reader can reach names only files that
// are there: vendor bundles (kept as they are when their content already is), then
// cli.cjs, then boot.cjs (which reads cli.cjs). Maps before the code they describe.
const ordered = [
  ...vendor.outputFiles.filter((f) => f.path.endsWith(".map")),
  ...vendor.outputFiles.filter((f) => !f.path.endsWith(".map")),
  ...cli.outputFiles.filter((f) => f.path.endsWith(".map")),
  ...cli.outputFiles.filter((f) => !f.path.endsWith(".map")),
  ...boot.outputFiles.filter((f) => f.path.endsWith(".map")),
  ...boot.outputFiles.filter((f) => !f.path.endsWith(".map")),
];
for (const file of ordered) {
  const isVendor = dirname(file.path) === join(DIST, "vendor");
  if (isVendor && exists(file.path)) continue; // same name, same content
  writeAtomic(file.path, file.contents);
}

// 4. Retire what the new build no longer names: remember when each file stopped being
// current; remove it once GRACE_MS have passed since (and temp files a killed build left).
const current = new Set([...ordered.map((f) => relative(DIST, f.path)), "build.json"]);
/** Every file under dist/, relative. */
function filesUnder(dir, prefix = "") {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name), join(prefix, entry.name)) : [join(prefix, entry.name)],
  );
}
let previous = { retired: {} };
try {
  previous = JSON.parse(readFileSync(MANIFEST, "utf8"));
} catch {
  // First build of this layout (or dist/ was removed): everything else was current until now.
}
const now = Date.now();
const retired = {};
for (const file of filesUnder(DIST)) {
  if (current.has(file)) continue;
  const path = join(DIST, file);
  if (TEMP_RE.test(basename(file))) {
    // Another build may be writing it right now: only an old one is litter.
    if (now - statSync(path).mtimeMs > GRACE_MS) rmSync(path, { force: true });
    continue;
  }
  const since = typeof previous.retired?.[file] === "number" ? previous.retired[file] : now;
  if (now - since > GRACE_MS) rmSync(path, { force: true });
  else retired[file] = since;
}
writeAtomic(MANIFEST, `${JSON.stringify({ files: [...current].sort(), retired }, null, 2)}\n`);
