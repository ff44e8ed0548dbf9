// Two probers at once (a cron `fleet report` while an operator runs `fleet ps --probe`):
// both write NAME.probe, the responder echoes whichever nonce it reads, and the other
// one's was overwritten. Each prober must still get its own answer: once the responder
// has answered the other nonce, the overwritten prober writes its nonce again.
// The responder here is the real HeartbeatWriter (fs.watch + poll), in-process.

import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HeartbeatWriter } from "../../src/heartbeat/writer.js";
import { probeHeartbeats } from "../../src/heartbeat/prober.js";

const uid = process.getuid?.() ?? 0;
let base: string;
let runDir: string;
const writers: HeartbeatWriter[] = [];

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "mf-probe-race-"));
  runDir = join(base, "run");
  mkdirSync(runDir, { mode: 0o700 });
});
afterEach(() => {
  for (const writer of writers.splice(0)) writer.stop();
  rmSync(base, { recursive: true, force: true });
});

function responder(name: string): HeartbeatWriter {
  const writer = new HeartbeatWriter({ runDir, name, intervalS: 60 });
  writer.start();
  writers.push(writer);
  return writer;
}

/** What another prober does: its own nonce, written atomically over ours. */
function foreignProbe(name: string, nonce: string): void {
  const temp = join(runDir, `.${name}.probe.other.tmp`);
  writeFileSync(temp, `${nonce}\n`, { mode: 0o600 });
  renameSync(temp, join(runDir, `${name}.probe`));
}

describe("concurrent probers", () => {
  it("a probe overwritten before the responder read it is written again, and answered", async () => {
    responder("p");
    const probing = probeHeartbeats(runDir, ["p"], { timeoutMs: 3_000, uid });
    // Same tick: the responder has not read our nonce yet; the other prober's replaces it.
    foreignProbe("p", "other-prober-1");
    const result = (await probing).get("p");
    expect(result?.rttMs, "the overwritten probe was never answered").not.toBeNull();
    expect(readFileSync(join(runDir, "p.hb"), "utf8")).toContain(`probe=${result?.nonce}`);
    // The other prober's file is left for it to remove; ours is gone.
    expect(readdirSync(runDir).filter((f) => f.endsWith(".probe"))).toEqual([]);
  });

  it("two real probers started together both get their own answer, every time", async () => {
    responder("q");
    for (let round = 0; round < 10; round += 1) {
      const [a, b] = await Promise.all([
        probeHeartbeats(runDir, ["q"], { timeoutMs: 3_000, uid }),
        probeHeartbeats(runDir, ["q"], { timeoutMs: 3_000, uid }),
      ]);
      expect(a.get("q")?.rttMs, `round ${round}: first prober unanswered`).not.toBeNull();
      expect(b.get("q")?.rttMs, `round ${round}: second prober unanswered`).not.toBeNull();
      expect(a.get("q")?.nonce).not.toBe(b.get("q")?.nonce);
    }
  });

  it("a competing nonce nobody answers is not overwritten: the probe waits its turn, then times out unanswered", async () => {
    // No responder at all: nothing answers the other nonce, so we must not keep rewriting.
    const probing = probeHeartbeats(runDir, ["r"], { timeoutMs: 300, uid });
    foreignProbe("r", "other-prober-2");
    const result = (await probing).get("r");
    expect(result?.rttMs).toBeNull();
    expect(readFileSync(join(runDir, "r.probe"), "utf8").trim()).toBe("other-prober-2");
  });
});
