// `fleet ps --watch`'s heartbeat events (src/observe/events.ts, watchHeartbeatDir): one
// inotify watch on the run directory names the agent of each heartbeat file written,
// replaced (the atomic writer's rename) or removed; the writer's temp files and other
// files name nobody; the directory itself going away says "look at everything" (null),
// and a run directory made again is watched again. Real files, real inotify; waits
// have deadlines, no time is asserted.

import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { watchHeartbeatDir, type EventSource } from "../../src/observe/events.js";
import { waitFor } from "../helpers/proc.mjs";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function watched(): Promise<{ dir: string; runDir: string; seen: (string | null)[] }> {
  const dir = mkdtempSync(join(tmpdir(), "mf-hb-watch-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const runDir = join(dir, "run");
  mkdirSync(runDir, { mode: 0o700 });
  const seen: (string | null)[] = [];
  const source: EventSource = await watchHeartbeatDir(runDir, (agent) => seen.push(agent));
  cleanups.push(() => source.close());
  return { dir, runDir, seen };
}

describe("watchHeartbeatDir", () => {
  it("names the agent of each heartbeat written, replaced or removed; temp files name nobody", async () => {
    const { runDir, seen } = await watched();
    writeFileSync(join(runDir, ".ia.hb.1.x.tmp"), "ts=1 pid=1 status=idle\n");
    renameSync(join(runDir, ".ia.hb.1.x.tmp"), join(runDir, "ia.hb"));
    expect(await waitFor(() => seen.includes("ia"), 5_000)).toBe(true);
    writeFileSync(join(runDir, "ib.hb"), "ts=1 pid=1 status=idle\n");
    expect(await waitFor(() => seen.includes("ib"), 5_000)).toBe(true);
    writeFileSync(join(runDir, "notes.txt"), "x");
    unlinkSync(join(runDir, "ia.hb"));
    expect(await waitFor(() => seen.filter((a) => a === "ia").length >= 2, 5_000)).toBe(true);
    // Nothing but the two agents: no temp file, no other file, and the directory was never in question.
    expect(new Set(seen)).toEqual(new Set(["ia", "ib"]));
  });

  it("the run directory removed: null (look at everything); made again: watched again", async () => {
    const { dir, runDir, seen } = await watched();
    renameSync(runDir, join(dir, "old"));
    expect(await waitFor(() => seen.includes(null), 5_000)).toBe(true);
    mkdirSync(runDir, { mode: 0o700 });
    // Once watched again, a heartbeat written there is named (written until it is: no fixed wait).
    let n = 0;
    const named = await waitFor(() => {
      writeFileSync(join(runDir, "ic.hb"), `ts=${(n += 1)} pid=1 status=idle\n`);
      return seen.includes("ic");
    }, 10_000);
    expect(named).toBe(true);
  });
});
