// `fleet ps --watch`'s pid watch (src/observe/events.ts, ProcessWatch): each period checks
// a slice of the watched pids in turn, so that a large fleet costs no more per second
// than a thousand pids. Whatever the number of pids and however they change, every
// pid is checked within ceil(N / slice) periods, a gone one is reported exactly once,
// and a live one never. The periods are driven by hand here (check()): no time asserted.

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { ProcessWatch } from "../../src/observe/events.js";
import { waitFor } from "../helpers/proc.mjs";

const watches: ProcessWatch[] = [];
afterEach(() => {
  for (const w of watches.splice(0)) w.close();
});

/**
 * A watch driven by hand: its periods are check() calls. Its own timer has the period
 * given — the synchronous tests end before it could fire; the others give an hour.
 */
function manual(periodMs: number): { watch: ProcessWatch; reported: string[] } {
  const reported: string[] = [];
  const watch = new ProcessWatch(
    () => periodMs,
    (agents) => reported.push(...agents),
  );
  watches.push(watch);
  return { watch, reported };
}

/** Pids above the kernel's pid_max (at most 4 194 304): no process has them. */
const GONE_BASE = 4_200_000;

describe("ProcessWatch: a slice of the pids per period", () => {
  it("any number of pids, gone and live: every gone pid is reported once within ceil(N / slice) periods, no live one ever", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 1, max: 200 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 8 }), { maxLength: 4 }),
        (gone, periodMs, rewatchAt) => {
          const { watch } = manual(periodMs);
          const pids = new Map<number, string[]>();
          pids.set(process.pid, ["live"]);
          for (let i = 0; i < gone; i += 1) pids.set(GONE_BASE + i, [`agent-${i}`]);
          watch.watch(pids);
          const slice = watch.slice;
          expect(slice).toBeGreaterThanOrEqual(1);
          const periods = Math.ceil(pids.size / slice);
          const seen: string[] = [];
          for (let p = 0; p < periods; p += 1) {
            // The loop calls watch() again after a round (the same pids, minus the reported ones).
            if (rewatchAt.includes(p)) {
              const left = new Map([...pids].filter(([, agents]) => !seen.includes(agents[0]!)));
              watch.watch(left);
            }
            seen.push(...(watch.check() ?? []));
          }
          expect(seen.sort()).toEqual(Array.from({ length: gone }, (_, i) => `agent-${i}`).sort());
          for (let p = 0; p < 3; p += 1) expect(watch.check()).toBeNull();
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a thousand pids are all checked every period; two thousand take more than one", () => {
    const { watch } = manual(50);
    const pids = (n: number) =>
      new Map(Array.from({ length: n }, (_, i): [number, string[]] => [GONE_BASE + i, [`a${i}`]]));
    watch.watch(pids(1000));
    expect(watch.slice).toBe(1000);
    watch.watch(pids(2000));
    expect(watch.slice).toBeLessThan(2000);
  });

  it("a real process that exits is reported, as it exits", async () => {
    const { watch, reported } = manual(3_600_000);
    const child = spawn("sleep", ["600"], { stdio: "ignore" });
    const pid = child.pid as number;
    watch.watch(
      new Map([
        [pid, ["sleeper"]],
        [process.pid, ["me"]],
      ]),
    );
    for (let k = 0; k < 20; k += 1) expect(watch.check()).toBeNull();
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited; // reaped by Node: kill(pid, 0) fails from now on
    expect(watch.check()).toEqual(["sleeper"]);
    expect(reported).toEqual([]); // the hour-long timer never fired: only check() reported it
    watch.close();
    expect(watch.slice).toBe(0);
  });

  it("a zombie (kill(pid, 0) still succeeds on one) is reported at its first check", async () => {
    // `sleep 600` never waits for its child: the short sleep stays a zombie until this test ends it.
    const parent = spawn("sh", ["-c", "sleep 0.05 & echo $!; exec sleep 600"], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      const pid = Number(
        await new Promise<string>((resolve) => parent.stdout.once("data", (chunk: Buffer) => resolve(String(chunk)))),
      );
      const zombie = await waitFor(() => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
          return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
        } catch {
          return false;
        }
      }, 5_000);
      expect(zombie).toBe(true);
      expect(() => process.kill(pid, 0)).not.toThrow();
      // At the period of a 100-agent watch, checked by hand before its timer can fire.
      const { watch } = manual(100);
      watch.watch(new Map([[pid, ["zombie"]]]));
      expect(watch.check()).toEqual(["zombie"]);
      expect(watch.check()).toBeNull();
    } finally {
      parent.kill("SIGKILL");
    }
  });
});
