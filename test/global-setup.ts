import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Every CLI the tests start caches rosters under XDG_CACHE_HOME: point it at a private
// directory for this run so nothing lands in the real ~/.cache, and remove it after.
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "mosaic-test-cache-"));
  process.env["XDG_CACHE_HOME"] = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
