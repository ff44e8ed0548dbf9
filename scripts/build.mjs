// Bundles the CLI into dist/ with code splitting, so `mosaic --help` loads only the
// argument parser and each command's code (and its dependencies) loads when it runs.
import { build } from "esbuild";
import { readFileSync, rmSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

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
  banner: { js: "import { createRequire as __mosaicCreateRequire } from 'node:module'; const require = __mosaicCreateRequire(import.meta.url);" },
  logLevel: "warning",
});
