// Bundles the CLI into dist/ with code splitting, so `mosaic --help` loads only the
// argument parser and each command's code (and its dependencies) loads when it runs.
import { build } from "esbuild";
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

// Some dependencies ship CommonJS that calls require(): chunks holding such code need a
// `require` of their own, made by this banner. The others drop it (post-build, below):
// importing node:module and calling createRequire in each of ~15 chunks cost `fleet ps`
// ~2 ms (bench/).
const BANNER = "import { createRequire as __mosaicCreateRequire } from 'node:module'; const require = __mosaicCreateRequire(import.meta.url);";

// Chunk names carry content hashes: start clean so old chunks never pile up.
rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });

await build({
  entryPoints: { cli: "src/cli/main.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20.19",
  sourcemap: "linked",
  legalComments: "none",
  minify: true,
  chunkNames: "chunks/[name]-[hash]",
  // The build stamp keys the roster cache: a rebuilt mosaic never trusts an old entry.
  define: { __MOSAIC_VERSION__: JSON.stringify(pkg.version), __MOSAIC_BUILD__: JSON.stringify(`${pkg.version}+${Date.now()}`) },
  // Some dependencies ship CommonJS that requires Node built-ins.
  banner: { js: BANNER },
  logLevel: "warning",
});

// The banner's text goes, its line stays (so the source maps still line up).
const outputs = ["dist/cli.js", ...readdirSync(new URL("../dist/chunks", import.meta.url)).filter((f) => f.endsWith(".js")).map((f) => `dist/chunks/${f}`)];
for (const file of outputs) {
  const url = new URL(`../${file}`, import.meta.url);
  const code = readFileSync(url, "utf8");
  if (!code.startsWith(BANNER)) throw new Error(`${file}: the require banner is missing`);
  const rest = code.slice(BANNER.length);
  if (!/\brequire\b/.test(rest)) writeFileSync(url, rest);
}
