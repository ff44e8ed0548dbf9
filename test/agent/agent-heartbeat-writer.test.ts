// HeartbeatWriter (docs/heartbeat.md) in-process: the line it writes, its sequence numbers,
// atomic rewrites, the run-directory checks, probe echoes, and the last `stopping` beat.
// Real files in a private temp dir; short real waits only where the writer's own timer
// or fs.watch is under test.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HeartbeatWriter } from "../../src/heartbeat/writer.js";
import { readProbe } from "../../src/heartbeat/probe-file.js";
import { ensurePrivateRunDir, RunDirRefused } from "../../src/heartbeat/run-dir.js";
import { parseHeartbeat } from "../../src/heartbeat/grammar.js";
import type { HeartbeatRecord } from "../../src/observe/types.js";

const isRoot = process.getuid?.() === 0;

let base: string;
let runDir: string;
const writers: HeartbeatWriter[] = [];

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "mf-agent-writer-"));
  runDir = join(base, "fleet", "run");
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  chmodSync(runDir, 0o700);
});

afterEach(() => {
  for (const writer of writers.splice(0)) writer.stop();
  rmSync(base, { recursive: true, force: true });
});

function writer(
  name = "alpha",
  intervalS = 60,
  extra: Partial<ConstructorParameters<typeof HeartbeatWriter>[0]> = {},
): HeartbeatWriter {
  const w = new HeartbeatWriter({ runDir, name, intervalS, ...extra });
  writers.push(w);
  return w;
}

function record(name = "alpha", dir = runDir): HeartbeatRecord {
  const text = readFileSync(join(dir, `${name}.hb`), "utf8");
  const parsed = parseHeartbeat(text);
  if (!parsed.ok) throw new Error(`malformed heartbeat (${parsed.message}): ${JSON.stringify(text)}`);
  return parsed.record;
}

/** What a prober does: temp file in the same directory, then rename. */
function writeProbe(name: string, content: string, dir = runDir): void {
  const temp = join(dir, `.${name}.probe.test.tmp`);
  writeFileSync(temp, content, { mode: 0o600 });
  renameSync(temp, join(dir, `${name}.probe`));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(10);
  }
}

describe("the heartbeat line", () => {
  it("is `ts=… pid=… status=… seq=… name=…`, one line, and parses with parseHeartbeat", () => {
    const before = Math.floor(Date.now() / 1000);
    writer().start();
    const text = readFileSync(join(runDir, "alpha.hb"), "utf8");
    expect(text).toMatch(/^ts=\d+ pid=\d+ status=idle seq=\d+ name=alpha since=\d+\n$/);
    const rec = record();
    expect(rec.ts).toBeGreaterThanOrEqual(before);
    expect(rec.ts).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(rec.pid).toBe(process.pid);
    expect(rec.status).toBe("idle");
    expect(rec.name).toBe("alpha");
    expect(rec.seq).toBeGreaterThanOrEqual(1);
    expect(rec.probe).toBeUndefined();
    expect(rec.ack).toBeUndefined();
  });

  it("uses the injected clock (whole seconds) and the pid it vouches for", () => {
    const w = writer("beta", 60, { now: () => 1_700_000_123_987, pid: 4242 });
    w.start();
    expect(readFileSync(join(runDir, "beta.hb"), "utf8")).toMatch(
      /^ts=1700000123 pid=4242 status=idle seq=\d+ name=beta since=1700000123\n$/,
    );
  });

  it("carries the status word and the last ack; rejects a status that is not one word", () => {
    const w = writer();
    w.start();
    w.setStatus("busy");
    expect(record().status).toBe("busy");
    w.setStatus("idle", "b94d27b9934d");
    expect(record()).toMatchObject({ status: "idle", ack: "b94d27b9934d" });
    w.setStatus("busy");
    expect(record()).toMatchObject({ status: "busy", ack: "b94d27b9934d" }); // the ack stays until the next one
    for (const bad of ["two words", "", "x=y", "1st", "a".repeat(33), "new\nline"]) {
      expect(() => w.setStatus(bad), bad).toThrow(/invalid heartbeat status/);
    }
    expect(record().status).toBe("busy");
  });
});

describe("sequence numbers and the beat", () => {
  it("seq increases by one on every rewrite", () => {
    const w = writer();
    w.start();
    const seen: number[] = [record().seq ?? -1];
    for (let i = 0; i < 20; i++) {
      w.write();
      seen.push(record().seq ?? -1);
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBe((seen[i - 1] as number) + 1);
  });

  it("beats on its own timer (at least every interval) and the ts stays current", async () => {
    const w = writer("ticker", 0.2); // beats every max(100 ms, interval / 2)
    w.start();
    const first = record("ticker").seq ?? 0;
    // Two more beats with no write() of ours: the timer beats by itself (a deadline, not a fixed wait).
    expect(await waitFor(() => (record("ticker").seq ?? 0) >= first + 2, 20_000)).toBe(true);
    const later = record("ticker");
    expect(Math.floor(Date.now() / 1000) - later.ts).toBeLessThanOrEqual(1);
  });
});

describe("atomic writes", () => {
  it("leaves nothing but NAME.hb behind, however many rewrites", () => {
    const w = writer();
    w.start();
    for (let i = 0; i < 200; i++) w.write();
    expect(readdirSync(runDir)).toEqual(["alpha.hb"]);
    expect(lstatSync(join(runDir, "alpha.hb")).mode & 0o777).toBe(0o600);
  });

  it("removes its temp file when the rename fails", () => {
    const w = writer("blocked");
    mkdirSync(join(runDir, "blocked.hb")); // rename(file, directory) fails with EISDIR
    expect(() => w.start()).toThrow();
    expect(readdirSync(runDir).sort()).toEqual(["blocked.hb"]);
  });

  it("replaces a heartbeat symlink instead of writing through it", () => {
    const outside = join(base, "outside.txt");
    writeFileSync(outside, "precious\n");
    symlinkSync(outside, join(runDir, "alpha.hb"));
    writer().start();
    expect(readFileSync(outside, "utf8")).toBe("precious\n");
    expect(lstatSync(join(runDir, "alpha.hb")).isFile()).toBe(true);
  });
});

describe("the run directory", () => {
  it("is created 0700 when missing", () => {
    const fresh = join(base, "new-home", "fleet", "run");
    const w = new HeartbeatWriter({ runDir: fresh, name: "alpha", intervalS: 60 });
    writers.push(w);
    w.start();
    expect(lstatSync(fresh).mode & 0o777).toBe(0o700);
    expect(readdirSync(fresh)).toEqual(["alpha.hb"]);
  });

  for (const mode of [0o770, 0o707, 0o777, 0o720, 0o702]) {
    it(`is refused when group/world-writable (mode ${mode.toString(8)}), writing nothing`, () => {
      chmodSync(runDir, mode);
      const w = writer();
      expect(() => w.start()).toThrow(RunDirRefused);
      expect(() => ensurePrivateRunDir(runDir)).toThrow(/group\/world-writable/);
      expect(readdirSync(runDir)).toEqual([]);
    });
  }

  it("is accepted when only readable by others (0755)", () => {
    chmodSync(runDir, 0o755);
    writer().start();
    expect(record().name).toBe("alpha");
  });

  it("is refused when it is a symlink (even to a private directory of ours)", () => {
    const real = join(base, "real-run");
    mkdirSync(real, { mode: 0o700 });
    const link = join(base, "link-run");
    symlinkSync(real, link);
    const w = new HeartbeatWriter({ runDir: link, name: "alpha", intervalS: 60 });
    writers.push(w);
    expect(() => w.start()).toThrow(/not a real directory/);
    expect(readdirSync(real)).toEqual([]);
  });

  it("is refused when it is a regular file", () => {
    const file = join(base, "file-run");
    writeFileSync(file, "");
    expect(() => ensurePrivateRunDir(file)).toThrow();
  });

  it.runIf(isRoot)("is refused when owned by another uid (chown 65534)", () => {
    chownSync(runDir, 65534, 65534);
    const w = writer();
    let error: unknown;
    try {
      w.start();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RunDirRefused);
    expect((error as Error).message).toMatch(/owned by uid 65534, not 0/);
    expect(readdirSync(runDir)).toEqual([]);
  });
});

describe("probes", () => {
  it("a nonce in NAME.probe makes the writer rewrite at once with probe=<nonce>", async () => {
    const w = writer("alpha", 60); // no beat for a minute: only the probe can cause a rewrite
    w.start();
    const seq = record().seq ?? 0;
    const started = performance.now();
    writeProbe("alpha", "a1b2c3d4e5f6-xyz\n");
    expect(await waitFor(() => record().probe === "a1b2c3d4e5f6-xyz", 2_000)).toBe(true);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(record().seq).toBe(seq + 1);
    // A second, different nonce is echoed as well.
    writeProbe("alpha", "second.nonce:2");
    expect(await waitFor(() => record().probe === "second.nonce:2", 2_000)).toBe(true);
  });

  it("a probe already waiting when the writer starts is answered", () => {
    writeProbe("alpha", "early-nonce\n");
    writer().start();
    expect(record().probe).toBe("early-nonce");
  });

  it("ignores other agents' probes", async () => {
    writer("alpha").start();
    const seq = record().seq;
    writeProbe("beta", "for-beta");
    await sleep(200);
    expect(record().seq).toBe(seq);
    expect(record().probe).toBeUndefined();
  });

  const junk: [string, string | Buffer][] = [
    ["two words", "two words\n"],
    ["shell text", "$(touch /tmp/pwned)\n"],
    ["an equals sign", "a=b\n"],
    ["two lines", "abc\ndef\n"],
    ["empty", ""],
    ["binary", Buffer.from([0x00, 0xff, 0x41, 0x0a])],
    ["non-ASCII", "nonce-é\n"],
    ["129 characters", `${"a".repeat(129)}\n`],
    ["oversized (64 KiB of nonce characters)", "a".repeat(65_536)],
    ["oversized (a valid first line, then 64 KiB)", `ok-nonce\n${"x".repeat(65_536)}`],
  ];
  for (const [label, content] of junk) {
    it(`ignores a junk probe file: ${label}`, async () => {
      const w = writer();
      w.start();
      const seq = record().seq;
      writeProbe("alpha", content as string);
      await sleep(150);
      expect(record().seq).toBe(seq);
      expect(record().probe).toBeUndefined();
      // …and is still listening: a good nonce afterwards is echoed.
      writeProbe("alpha", "good-after-junk");
      expect(await waitFor(() => record().probe === "good-after-junk", 2_000)).toBe(true);
    });
  }

  it("ignores a probe that is a symlink to a file holding a valid nonce", async () => {
    const target = join(base, "nonce.txt");
    writeFileSync(target, "via-symlink\n");
    const w = writer();
    w.start();
    const seq = record().seq;
    symlinkSync(target, join(runDir, "alpha.probe"));
    await sleep(150);
    expect(record().seq).toBe(seq);
    expect(record().probe).toBeUndefined();
    expect(readProbe(join(runDir, "alpha.probe"))).toBeNull();
  });

  it("readProbe: bounded, no symlinks, no FIFOs, no directories", () => {
    const p = (name: string) => join(runDir, name);
    writeFileSync(p("ok"), "  nonce-1:2.3_x \n");
    expect(readProbe(p("ok"))).toBe("nonce-1:2.3_x");
    expect(readProbe(p("absent"))).toBeNull();
    writeFileSync(p("max"), "n".repeat(128));
    expect(readProbe(p("max"))).toBe("n".repeat(128));
    writeFileSync(p("big"), "n".repeat(1_000_000));
    expect(readProbe(p("big"))).toBeNull();
    mkdirSync(p("dir"));
    expect(readProbe(p("dir"))).toBeNull();
    const fifo = spawnSync("mkfifo", [p("fifo")]);
    if (fifo.status === 0) {
      // Must not block waiting for a writer: returning at all is the proof (a block hangs the test).
      expect(readProbe(p("fifo"))).toBeNull();
    }
  });

  it("a FIFO named NAME.probe does not hang the writer", async () => {
    const w = writer();
    w.start();
    const seq = record().seq;
    const made = spawnSync("mkfifo", [join(runDir, "alpha.probe")]);
    if (made.status !== 0) return;
    await sleep(150);
    w.write(); // the event loop is still ours
    expect(record().seq).toBe((seq ?? 0) + 1);
  });
});

describe("stop()", () => {
  it("writes status=stopping as the last line, then neither beats nor answers probes", async () => {
    const w = writer("stopper", 0.2);
    w.start();
    w.setStatus("busy", "0123456789ab");
    w.stop();
    const last = record("stopper");
    expect(last.status).toBe("stopping");
    expect(last.ack).toBe("0123456789ab");
    expect(last.pid).toBe(process.pid);
    writeProbe("stopper", "after-stop");
    await sleep(300); // longer than the 100 ms beat
    expect(record("stopper")).toEqual(last);
    expect(readdirSync(runDir).sort()).toEqual(["stopper.hb", "stopper.probe"]);
  });

  it("does not throw when the run directory is already gone", () => {
    const w = writer();
    w.start();
    rmSync(runDir, { recursive: true, force: true });
    expect(() => w.stop()).not.toThrow();
  });
});
