import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The installed package's root (where roster/ and bin/ live), wherever the bundle chunk sits. */
export function packageRoot(): string {
  // The CLI runs as one CommonJS bundle (dist/cli.cjs, where __filename is set); tests
  // run this file as an ES module.
  let dir = dirname(typeof __filename === "string" ? __filename : fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i += 1) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "mosaic-fleet") return dir;
      } catch {
        // Not ours; keep walking up.
      }
    }
    dir = dirname(dir);
  }
  throw new Error("cannot find the mosaic-fleet package root");
}
