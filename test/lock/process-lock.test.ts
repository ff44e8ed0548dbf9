// The fleet-apply lock (src/lock/process-lock.ts), by fault injection: real processes
// race for it while some are SIGKILLed holding it; a holder that is gone, or whose pid
// now names another process (other start time), never keeps it; a live one always does.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holderAlive, parseHolder, selfHolder, tryLock } from "../../src/lock/process-lock.js";

let dir = "";
let bundle = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mf-lock-"));
  bundle = join(dir, "lock.mjs");
  await build({
    entryPoints: [resolve(__dirname, "../../src/lock/process-lock.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: bundle,
    logLevel: "silent",
  });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A racer: takes the lock `rounds` times; inside, a marker file must not exist (else two hold it). */
const RACER = `
import { openSync, closeSync, unlinkSync, appendFileSync } from "node:fs";
const [, bundle, lock, marker, log, roundsText, dieText] = process.argv;
const { tryLock } = await import(bundle);
let got = 0;
for (let i = 0; got < Number(roundsText) && i < 200000; i++) {
  const attempt = tryLock(lock);
  if (!attempt.acquired) { await new Promise((r) => setTimeout(r, Math.random() * 3)); continue; }
  if (dieText === "die") process.kill(process.pid, "SIGKILL"); // dies holding the lock
  try { closeSync(openSync(marker, "wx")); } catch { appendFileSync(log, "VIOLATION\\n"); }
  const until = Date.now() + 1; while (Date.now() < until) {}
  unlinkSync(marker);
  attempt.release();
  got++;
}
appendFileSync(log, "done " + got + "\\n");
`;

function runNode(args: string[]): Promise<number | null> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", RACER, "--", ...args], { stdio: "ignore" });
    child.on("exit", (code) => resolvePromise(code));
  });
}

describe("process lock", () => {
  it("racing processes, some SIGKILLed while holding it: never two holders, and the dead never block", async () => {
    const lock = join(dir, "race.lock");
    const marker = join(dir, "inside");
    const log = join(dir, "race.log");
    writeFileSync(log, "");
    for (let wave = 0; wave < 3; wave++) {
      const racers = Array.from({ length: 4 }, () => runNode([bundle, lock, marker, log, "15", "live"]));
      // One racer per wave dies holding the lock.
      const killer = runNode([bundle, lock, marker, log, "1", "die"]);
      await Promise.all([...racers, killer]);
    }
    const lines = readFileSync(log, "utf8").trim().split("\n");
    expect(lines.filter((l) => l === "VIOLATION")).toEqual([]);
    expect(lines.filter((l) => l === "done 15")).toHaveLength(12);
  }, 120_000);

  it("a lock file naming a dead process, a reused pid, or garbage is taken; a live holder's is not", () => {
    const me = selfHolder();
    const path = join(dir, "states.lock");
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constant(`${me.pid} ${me.startTicks + 1}\n`), // our pid, another start: a reused pid
          fc.integer({ min: 4_000_000, max: 4_194_304 }).map((pid) => `${pid} 12345\n`), // no such pid
          fc.string({ maxLength: 40 }), // garbage (never half-written: a holder links a complete file)
        ),
        (text) => {
          writeFileSync(path, text);
          const attempt = tryLock(path, { pid: me.pid, startTicks: me.startTicks });
          expect(attempt.acquired).toBe(true);
          if (attempt.acquired) attempt.release();
          expect(existsSync(path)).toBe(false);
        },
      ),
    );
    // The test process's parent is alive: its lock holds.
    const parent = { pid: process.ppid, startTicks: selfHolder(process.ppid).startTicks };
    expect(holderAlive(parent)).toBe(true);
    writeFileSync(path, `${parent.pid} ${parent.startTicks}\n`);
    const refused = tryLock(path);
    expect(refused).toMatchObject({ acquired: false, holder: parent });
    rmSync(path);
    expect(parseHolder("12 34\n")).toEqual({ pid: 12, startTicks: 34 });
    expect(parseHolder("12 34")).toBeNull();
  });

  it("release removes only our own lock file", () => {
    const path = join(dir, "own.lock");
    const attempt = tryLock(path);
    expect(attempt.acquired).toBe(true);
    if (!attempt.acquired) return;
    writeFileSync(path, "1 1\n"); // someone else's now (pid 1 is alive)
    attempt.release();
    expect(readFileSync(path, "utf8")).toBe("1 1\n");
    rmSync(path);
  });
});
