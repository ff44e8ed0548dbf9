#!/usr/bin/env node
// `npm run bench` (package.json already points here): both benchmarks, one after the
// other, against the current dist/ (run `npm run build` first).
//
//   npm run bench                      startup (30 runs) + fleet ps at 5 100 500 1000
//   npm run bench -- 5 100             fleet ps at the sizes given (startup still runs)
//   npm run bench -- --runs 7          extra arguments go to bench/fleet-ps.mjs

import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const run = (file, args) => {
  const r = spawnSync(process.execPath, [join(here, file), ...args], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run("startup.mjs", []);
console.log("");
run("fleet-ps.mjs", process.argv.slice(2));
