#!/usr/bin/env node
// Startup cost: `bin/mosaic --help` against `node -e 0` (the floor of any Node CLI),
// interleaved in the same run so both see the same machine state.
//
//   node bench/startup.mjs [RUNS]          (default RUNS=30, after 5 warm-up rounds)
//
// Runs against a snapshot of bin/ + dist/ taken at start (so a concurrent rebuild cannot
// mix two builds into one measurement). Also times the shim-less import of dist/cli.js,
// and what each chunk --help loads costs. Target: ratio of medians < 1.5.
// Set BENCH_OUT=FILE for a JSON record.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  cleanEnv, interleave, machine, measureQuietly, waitForQuiet, moduleLoadCost, ms, printLoadCost, printMachine, requireBuild, snapshotCli, timed,
} from "./lib.mjs";

requireBuild();
const runs = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 30);
const WARMUP = 5;
const TARGET = 1.5;
const env = { ...cleanEnv(), NO_COLOR: "1" };
const cli = snapshotCli();
process.on("exit", () => cli.cleanup());
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));

const m = machine();
printMachine(m);
console.log(`build: ${cli.build}`);

const help = timed([cli.mosaic, "--help"], { env });
if (help.status !== 0 || !help.stdout.toString().includes("fleet")) {
  console.error(`bench: bin/mosaic --help failed (${help.status}): ${help.stderr}`);
  process.exit(1);
}

const cliUrl = `file://${join(cli.dist, "cli.js")}`;
const commands = {
  "node -e 0": { argv: [process.execPath, "-e", "0"], env },
  "bin/mosaic --help": { argv: [cli.mosaic, "--help"], env },
  // Without the shebang/env hop and without running main(): the cost of the import alone.
  "node: import(dist/cli.js) only": { argv: [process.execPath, "--input-type=module", "-e", `await import(${JSON.stringify(cliUrl)})`], env },
};
const { result, foreign, quietBefore, attempt } = await measureQuietly(() => interleave(commands, { runs, warmup: WARMUP }), { log: console.log });
const floor = result["node -e 0"].median;
const ratio = result["bin/mosaic --help"].median / floor;
await waitForQuiet({ maxBusy: 0.1, log: console.log });
const loadCost = await moduleLoadCost(cli.dist, null, { env });

console.log(`\nstartup, ${runs} interleaved rounds after ${WARMUP} warm-up rounds (ms, wall time around spawnSync):`);
console.log(`other work on the machine meanwhile: ${(foreign * 100).toFixed(1)}% of all CPUs (before: ${(quietBefore * 100).toFixed(0)}%; attempt ${attempt})`);
console.log(`${"command".padEnd(34)} ${"median".padStart(7)} ${"p10".padStart(7)} ${"p90".padStart(7)} ${"min".padStart(7)} ${"max".padStart(7)} ${"cpu".padStart(7)}`);
for (const [name, s] of Object.entries(result)) {
  console.log(`${name.padEnd(34)} ${ms(s.median).padStart(7)} ${ms(s.p10).padStart(7)} ${ms(s.p90).padStart(7)} ${ms(s.min).padStart(7)} ${ms(s.max).padStart(7)} ${ms(s.cpuMean).padStart(7)}`);
}
console.log(`\nratio bin/mosaic --help / node -e 0 (medians): ${ratio.toFixed(2)}x (target < ${TARGET}x) ${ratio < TARGET ? "OK" : "ABOVE TARGET"}`);
console.log("modules --help loads (each chunk imported alone, deps first; median of 11 fresh processes):");
printLoadCost(loadCost);
if (process.env.BENCH_OUT) {
  writeFileSync(process.env.BENCH_OUT, JSON.stringify({ machine: m, build: cli.build, runs, warmup: WARMUP, quietBefore, foreignLoad: foreign, attempt, results: result, ratio, loadCost }, null, 2));
}
