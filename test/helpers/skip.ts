// A test that needs something this machine lacks (a user manager, Chromium, root) skips
// loudly on a developer's machine — but never in CI: `.ci/run` sets
// MOSAIC_REQUIRE_SYSTEMD=1 and installs what the suite needs, so a skip there would
// hide a test that did not run. It fails instead.

/** Skip with a reason, or fail when CI requires every test to run. */
export function skipOutsideCi(ctx: { skip: (note?: string) => never }, why: string): never {
  if (process.env["MOSAIC_REQUIRE_SYSTEMD"] === "1") {
    throw new Error(`this test cannot run here (${why}), and CI requires it to (MOSAIC_REQUIRE_SYSTEMD=1)`);
  }
  process.stderr.write(`\n!!! SKIPPED: ${why}\n`);
  return ctx.skip(why);
}

/**
 * For `describe.skipIf(…)`/`it.skipIf(…)`: whether to skip because `missing` — never in
 * CI, where the file fails to load instead, naming what is missing.
 */
export function skipIfOutsideCi(missing: boolean, why: string): boolean {
  if (!missing) return false;
  if (process.env["MOSAIC_REQUIRE_SYSTEMD"] === "1") {
    throw new Error(`tests cannot run here (${why}), and CI requires them to (MOSAIC_REQUIRE_SYSTEMD=1)`);
  }
  process.stderr.write(`\n!!! SKIPPED: ${why}\n`);
  return true;
}
