#!/usr/bin/env node
// Startup cost: `bin/mosaic --help` against `node -e 0` (the floor of any Node CLI),
// interleaved in the same run so both see the same machine state.
//
//   node bench/startup.mjs [RUNS]          (default RUNS=30, after 5 warm-up rounds)
//
// Runs against a snapshot of bin/ + dist/ taken at start (so a concurrent rebuild cannot
// mix two builds into one measurement). `--help` runs twice over: as users run it, with
// the compiled-code cache that the first run writes (src/cli/boot.ts), and with every
// cache off (MOSAIC_NO_CACHE=1: dist/cli.cjs compiled from source each time). Also prints
// what the bundles hold. Target: ratio of medians < 1.5.
// Set BENCH_OUT=FILE for a JSON record.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  bundleSizes,
  cleanEnv,
  codeCacheEntries,
  interleave,
  machine,
  measureQuietly,
  ms,
  printBundleSizes,
  printMachine,
  requireBuild,
  snapshotCli,
  timed,
} from "./lib.mjs";

requireBuild();
const runs = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 30);
const WARMUP = 5;
const TARGET = 1.5;
// The CLI's caches go to a directory of this run, never to ~/.cache.
const cacheHome = mkdtempSync(join(tmpdir(), "mf-bench-cache-"));
const env = { ...cleanEnv(), NO_COLOR: "1", XDG_CACHE_HOME: cacheHome };
const cli = snapshotCli();
process.on("exit", () => {
  cli.cleanup();
  rmSync(cacheHome, { recursive: true, force: true });
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));

const m = machine();
printMachine(m);
console.log(`build: ${cli.build}`);

const help = timed([cli.mosaic, "--help"], { env });
if (help.status !== 0 || !help.stdout.toString().includes("fleet")) {
  console.error(`bench: bin/mosaic --help failed (${help.status}): ${help.stderr.toString()}`);
  process.exit(1);
}

const commands = {
  "node -e 0": { argv: [process.execPath, "-e", "0"], env },
  "bin/mosaic --help": { argv: [cli.mosaic, "--help"], env },
  "bin/mosaic --help, no cache": { argv: [cli.mosaic, "--help"], env: { ...env, MOSAIC_NO_CACHE: "1" } },
  // Without the shebang/env hop, the code cache and main(): compiling and running the bundle's top level.
  "node: require(dist/cli.cjs) only": {
    argv: [process.execPath, "-e", `require(${JSON.stringify(join(cli.dist, "cli.cjs"))})`],
    env,
  },
};
const { result, foreign, quietBefore, attempt } = await measureQuietly(
  () => interleave(commands, { runs, warmup: WARMUP }),
  { log: console.log },
);
const floor = result["node -e 0"].median;
const ratio = result["bin/mosaic --help"].median / floor;
const bundles = await bundleSizes(cli.dist);
const entries = codeCacheEntries(cacheHome);

console.log(`\nstartup, ${runs} interleaved rounds after ${WARMUP} warm-up rounds (ms, wall time around spawnSync):`);
console.log(
  `other work on the machine meanwhile: ${(foreign * 100).toFixed(1)}% of all CPUs (before: ${(quietBefore * 100).toFixed(0)}%; attempt ${attempt})`,
);
console.log(
  `${"command".padEnd(34)} ${"median".padStart(7)} ${"p10".padStart(7)} ${"p90".padStart(7)} ${"min".padStart(7)} ${"max".padStart(7)} ${"cpu".padStart(7)}`,
);
for (const [name, s] of Object.entries(result)) {
  console.log(
    `${name.padEnd(34)} ${ms(s.median).padStart(7)} ${ms(s.p10).padStart(7)} ${ms(s.p90).padStart(7)} ${ms(s.min).padStart(7)} ${ms(s.max).padStart(7)} ${ms(s.cpuMean).padStart(7)}`,
  );
}
console.log(
  `\nratio bin/mosaic --help / node -e 0 (medians): ${ratio.toFixed(2)}x (target < ${TARGET}x) ${ratio < TARGET ? "OK" : "ABOVE TARGET"}`,
);
console.log(
  `code cache entries written by the warm-up: ${entries.map((e) => `${e.name} (${(e.bytes / 1024).toFixed(0)} KiB)`).join(", ") || "none"}`,
);
console.log("what --help compiles (bytes per package, from the source maps):");
printBundleSizes(bundles);
if (process.env.BENCH_OUT) {
  writeFileSync(
    process.env.BENCH_OUT,
    JSON.stringify(
      {
        machine: m,
        build: cli.build,
        runs,
        warmup: WARMUP,
        quietBefore,
        foreignLoad: foreign,
        attempt,
        results: result,
        ratio,
        bundles,
        codeCache: entries,
      },
      null,
      2,
    ),
  );
}
