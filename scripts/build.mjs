// Builds the CLI into dist/ with esbuild:
//
//   dist/boot.cjs        what bin/mosaic runs: compiles cli.cjs with V8's code cache
//                        (src/cli/boot.ts says how and why)
//   dist/cli.cjs         all of mosaic's own code and commander, as one CommonJS file
//   dist/vendor/*.cjs    each larger dependency on its own, required only by the
//                        commands that use it (YAML and zod when a roster is parsed,
//                        pino when diagnostics are asked for, execa and chokidar for
//                        --watch, …), so `fleet ps` and `--help` never compile them
//
// CommonJS, not ES modules: Node 20 can only reuse compiled code (vm.Script cachedData)
// for scripts, and it loads a CommonJS file without starting the ESM loader. With a code
// cache hit, V8 compiles nothing it compiled on the first run (bench/, BENCHMARKS.md).
import { build } from "esbuild";
import { readFileSync, rmSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

/** Dependencies bundled apart, each as dist/vendor/NAME.cjs. The others go into cli.cjs. */
const VENDOR = ["yaml", "zod", "json-diff-ts", "cli-table3", "pino", "execa", "chokidar"];
const vendorFile = (name) => `${name.replace(/[^a-z0-9-]/g, "-")}.cjs`;

const common = {
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20.19",
  sourcemap: "linked",
  legalComments: "none",
  minify: true,
  logLevel: "warning",
  // The compiled cli.cjs runs inside vm.Script, where import() needs an experimental
  // flag: dynamic imports become lazy require() calls.
  supported: { "dynamic-import": false },
};

// Resolve each vendored package to its bundle, relative to dist/cli.cjs.
const vendorPlugin = {
  name: "vendor",
  setup(b) {
    const filter = new RegExp(`^(${VENDOR.map((n) => n.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")).join("|")})$`);
    b.onResolve({ filter }, (args) => ({ path: `./vendor/${vendorFile(args.path)}`, external: true }));
  },
};

// Chunk-free output: start clean so no file of an older layout is left behind.
rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });

await Promise.all([
  build({
    ...common,
    entryPoints: { cli: "src/cli/main.ts" },
    outdir: "dist",
    outExtension: { ".js": ".cjs" },
    plugins: [vendorPlugin],
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
    outdir: "dist",
    outExtension: { ".js": ".cjs" },
  }),
  build({
    ...common,
    entryPoints: Object.fromEntries(VENDOR.map((name) => [vendorFile(name).replace(/\.cjs$/, ""), name])),
    outdir: "dist/vendor",
    outExtension: { ".js": ".cjs" },
  }),
]);
