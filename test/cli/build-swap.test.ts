import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, cleanEnv, scratchDir } from "./run-cli.js";

// Building never breaks a running CLI (scripts/build.mjs): while dist/ is rebuilt, again
// and again, bin/mosaic keeps starting and finishing its commands, including the lazy
// require of a vendor bundle (yaml and zod for a roster, cli-table3 for the table) that
// comes after the CLI itself has loaded. Run in a copy of the checkout (src/, scripts/,
// bin/, roster/, package.json; node_modules linked), so the repository's own dist/ is
// not the one being rebuilt under other tests.

interface Manifest {
  files: string[];
  retired: Record<string, number>;
}

describe("scripts/build.mjs swaps dist/ in atomically", () => {
  let scratch: ReturnType<typeof scratchDir>;
  let copy = "";
  const build = () => execa(process.execPath, [join(copy, "scripts", "build.mjs")], { cwd: copy, reject: false });
  const manifest = () => JSON.parse(readFileSync(join(copy, "dist", "build.json"), "utf8")) as Manifest;

  beforeAll(async () => {
    scratch = scratchDir("mosaic-build-swap-");
    copy = join(scratch.dir, "checkout");
    for (const part of ["src", "scripts", "bin", "roster", "package.json", "tsconfig.json"]) {
      cpSync(join(ROOT, part), join(copy, part), { recursive: true });
    }
    symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
    mkdirSync(join(scratch.dir, "tmux"), { mode: 0o700 });
    const first = await build();
    expect(first.exitCode, first.stderr).toBe(0);
  }, 120_000);
  afterAll(() => scratch.cleanup());

  it("bin/mosaic --help, fleet validate and fleet ps never fail while builds run back to back, and two at once", async () => {
    const home = join(scratch.dir, "home");
    mkdirSync(home, { recursive: true });
    // No tmux server and no user manager for this user: fleet ps reports them Unknown, quickly.
    const env = cleanEnv(home, {
      TMUX_TMPDIR: join(scratch.dir, "tmux"),
      XDG_RUNTIME_DIR: join(scratch.dir, "no-runtime-dir"),
      XDG_CACHE_HOME: join(scratch.dir, "cache"), // the code cache too, re-keyed by every build
    });
    const roster = join(copy, "roster", "demo.yaml");
    const commands = [["--help"], ["fleet", "validate", "-f", roster], ["fleet", "ps", "-f", roster]];

    let building = true;
    let builds = 0;
    const builder = (async () => {
      try {
        // Two at a time too, as `npm test` and an editor's build in the same checkout would.
        for (const width of [1, 2, 1, 2]) {
          const runs = await Promise.all(Array.from({ length: width }, () => build()));
          for (const run of runs) expect(run.exitCode, run.stderr).toBe(0);
          builds += width;
        }
      } finally {
        building = false;
      }
    })();

    const failures: string[] = [];
    let duringBuilds = 0;
    const runner = async (offset: number): Promise<void> => {
      for (let i = offset; building; i += 1) {
        const argv = commands[i % commands.length] ?? ["--help"];
        const run = await execa(process.execPath, [join(copy, "bin", "mosaic"), ...argv], {
          cwd: scratch.dir,
          env,
          extendEnv: false,
          reject: false,
          timeout: 60_000,
        });
        if (building) duringBuilds += 1;
        if (run.exitCode !== 0 || /Cannot find module|cannot load dist/.test(run.stderr)) {
          failures.push(`mosaic ${argv.join(" ")}: exit ${run.exitCode}: ${run.stderr.slice(0, 300)}`);
        }
      }
    };
    await Promise.all([builder, runner(0), runner(1), runner(2)]);

    expect(failures).toEqual([]);
    expect(builds).toBe(6);
    for (const file of manifest().files) expect(existsSync(join(copy, "dist", file)), file).toBe(true);
    // The runs really overlapped the builds (not a test that cannot fail).
    expect(duringBuilds).toBeGreaterThanOrEqual(12);
  }, 600_000);

  it("every file the current build names is in dist/, and cli.cjs requires only those vendor bundles", () => {
    const { files } = manifest();
    for (const file of files) expect(existsSync(join(copy, "dist", file)), file).toBe(true);
    const cli = readFileSync(join(copy, "dist", "cli.cjs"), "utf8");
    const required = [...cli.matchAll(/require\("\.\/(vendor\/[^"]+)"\)/g)].map((m) => m[1]);
    expect(required.length).toBeGreaterThan(5);
    for (const file of required) expect(files).toContain(file);
  });

  it("a CLI loaded from the previous build still finds its vendor bundles after a build that changed every one", async () => {
    const dist = join(copy, "dist");
    const vendorOf = (cli: string) =>
      [...cli.matchAll(/require\("\.\/(vendor\/[^"]+)"\)/g)].map((m) => m[1] ?? "").sort();
    // The previous build's cli.cjs, as a process that loaded it before the swap holds it.
    const previous = readFileSync(join(dist, "cli.cjs"), "utf8");
    writeFileSync(join(dist, "cli-previous.cjs"), previous);
    writeFileSync(
      join(copy, "previous.cjs"),
      `require(${JSON.stringify(join(dist, "boot.cjs"))}).boot(${JSON.stringify(join(dist, "cli-previous.cjs"))});\n`,
    );
    // A dependency update, as far as the bundles can tell: every vendor bundle changes.
    const script = join(copy, "scripts", "build.mjs");
    const original = readFileSync(script, "utf8");
    writeFileSync(script, original.replace("minify: true,", "minify: false,"));
    try {
      const run = await build();
      expect(run.exitCode, run.stderr).toBe(0);
    } finally {
      writeFileSync(script, original);
    }
    const now = vendorOf(readFileSync(join(dist, "cli.cjs"), "utf8"));
    const before = vendorOf(previous);
    expect(now.filter((file) => before.includes(file))).toEqual([]);

    const roster = join(copy, "roster", "demo.yaml");
    const env = cleanEnv(scratch.dir, {
      TMUX_TMPDIR: join(scratch.dir, "tmux"),
      XDG_RUNTIME_DIR: join(scratch.dir, "no-runtime-dir"),
    });
    for (const argv of [
      ["fleet", "validate", "-f", roster],
      ["fleet", "ps", "-f", roster],
    ]) {
      const run = await execa(process.execPath, [join(copy, "previous.cjs"), ...argv], {
        env,
        extendEnv: false,
        reject: false,
      });
      expect(run.exitCode, run.stderr).toBe(0);
    }
    for (const file of before) expect(manifest().retired[file], file).toBeGreaterThan(0);
  }, 120_000);

  it("a file an older build named stays for an hour after it was replaced, then goes; litter of a killed build too", async () => {
    const vendor = join(copy, "dist", "vendor");
    const hourAgo = Date.now() - 61 * 60 * 1000;
    writeFileSync(join(vendor, "yaml-OLDBUILD.cjs"), "// an older build's bundle\n");
    writeFileSync(join(vendor, "zod-RECENT.cjs"), "// replaced a minute ago\n");
    writeFileSync(join(vendor, ".yaml-X.cjs.tmp-1-abcd"), "half written, long ago\n");
    const { files } = manifest();
    writeFileSync(
      join(copy, "dist", "build.json"),
      JSON.stringify({
        files,
        retired: { "vendor/yaml-OLDBUILD.cjs": hourAgo, "vendor/zod-RECENT.cjs": Date.now() - 60_000 },
      }),
    );
    utimesSync(join(vendor, ".yaml-X.cjs.tmp-1-abcd"), hourAgo / 1000, hourAgo / 1000);

    const run = await build();
    expect(run.exitCode, run.stderr).toBe(0);
    const left = readdirSync(vendor);
    expect(left).not.toContain("yaml-OLDBUILD.cjs");
    expect(left).not.toContain(".yaml-X.cjs.tmp-1-abcd");
    expect(left).toContain("zod-RECENT.cjs");
    expect(manifest().retired["vendor/zod-RECENT.cjs"]).toBeLessThan(Date.now() - 50_000);
  }, 120_000);
});
