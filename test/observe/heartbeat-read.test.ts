import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readHeartbeat, readHeartbeats } from "../../src/heartbeat/reader.js";
import { skipIfOutsideCi } from "../helpers/skip.js";

const LINE = "ts=1700000000 pid=4242 status=idle seq=3\n";
const isRoot = process.getuid?.() === 0;

let base: string;
let runDir: string;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "mosaic-hb-"));
  runDir = join(base, "run");
  mkdirSync(runDir);
  chmodSync(runDir, 0o755);
});

afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

/** Write NAME.hb with an explicit mode, so the test does not depend on the umask. */
function writeHb(name: string, content: string | Buffer, mode = 0o644): string {
  const path = join(runDir, `${name}.hb`);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

function invalid(reason: string, message?: RegExp | string): unknown {
  return {
    state: "invalid",
    reason,
    // vitest types its asymmetric matchers `any`.
    message: (message === undefined
      ? expect.any(String)
      : typeof message === "string"
        ? expect.stringContaining(message)
        : expect.stringMatching(message)) as unknown,
  };
}

function timed<T>(fn: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
}

describe("readHeartbeat: ordinary files", () => {
  it("reports a well-formed heartbeat as present with its record and fstat mtime", () => {
    const path = writeHb("worker-1", LINE);
    expect(readHeartbeat(path)).toEqual({
      state: "present",
      record: {
        ts: 1700000000,
        pid: 4242,
        status: "idle",
        seq: 3,
        fields: { ts: "1700000000", pid: "4242", status: "idle", seq: "3" },
      },
      mtimeMs: statSync(path).mtimeMs,
    });
  });

  it("accepts a file of exactly 4096 bytes", () => {
    const head = "ts=1 pid=2 status=ok pad=";
    const path = writeHb("full", `${head}${"x".repeat(4096 - head.length - 1)}\n`);
    expect(statSync(path).size).toBe(4096);
    expect(readHeartbeat(path)).toMatchObject({ state: "present", record: { ts: 1, pid: 2, status: "ok" } });
  });

  it("reports a missing file as missing", () => {
    expect(readHeartbeat(join(runDir, "nobody.hb"))).toEqual({ state: "missing" });
  });

  it("reports a missing run dir as missing", () => {
    expect(readHeartbeat(join(base, "no-such-dir", "a.hb"))).toEqual({ state: "missing" });
  });
});

describe("readHeartbeat: hostile files", () => {
  it("refuses to follow a symlink, even to a valid heartbeat", () => {
    const target = join(base, "elsewhere.hb");
    writeFileSync(target, LINE);
    const path = join(runDir, "agent.hb");
    symlinkSync(target, path);
    expect(readHeartbeat(path)).toEqual(invalid("Symlink", `${path} is a symlink`));
  });

  it("refuses a dangling symlink as a symlink, not as missing", () => {
    const path = join(runDir, "agent.hb");
    symlinkSync(join(base, "nothing-here"), path);
    expect(readHeartbeat(path)).toEqual(invalid("Symlink"));
  });

  it("returns at once for a FIFO with no writer", () => {
    const path = join(runDir, "agent.hb");
    execFileSync("mkfifo", ["-m", "0644", path]);
    const { value, ms } = timed(() => readHeartbeat(path));
    expect(value).toEqual(invalid("NotRegularFile", `${path} is not a regular file`));
    expect(ms).toBeLessThan(1000);
  });

  it("reports a unix socket named NAME.hb as not a regular file", async () => {
    const path = join(runDir, "agent.hb");
    const server: Server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, resolve);
    });
    try {
      expect(readHeartbeat(path)).toEqual(invalid("NotRegularFile"));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("reports a directory named NAME.hb as not a regular file", () => {
    const path = join(runDir, "agent.hb");
    mkdirSync(path);
    expect(readHeartbeat(path)).toEqual(invalid("NotRegularFile"));
  });

  it("reports a 1 GB sparse file as too large without reading it", () => {
    const path = writeHb("agent", LINE);
    truncateSync(path, 1024 ** 3);
    const { value, ms } = timed(() => readHeartbeat(path));
    expect(value).toEqual(invalid("TooLarge", `${path} is larger than 4096 bytes`));
    expect(ms).toBeLessThan(1000);
  });

  it("reports a 4097-byte file as too large", () => {
    const head = "ts=1 pid=2 status=ok pad=";
    const path = writeHb("agent", `${head}${"x".repeat(4097 - head.length - 1)}\n`);
    expect(statSync(path).size).toBe(4097);
    expect(readHeartbeat(path)).toEqual(invalid("TooLarge"));
  });

  it("distrusts a group-writable heartbeat", () => {
    const path = writeHb("agent", LINE, 0o664);
    expect(readHeartbeat(path)).toEqual(invalid("Untrusted", `${path} is group- or world-writable`));
  });

  it("distrusts a world-writable heartbeat", () => {
    const path = writeHb("agent", LINE, 0o646);
    expect(readHeartbeat(path)).toEqual(invalid("Untrusted", `${path} is group- or world-writable`));
  });

  it.skipIf(skipIfOutsideCi(!isRoot, "not root: cannot chown"))(
    "distrusts a heartbeat owned by another uid (needs root for chown; skipped when not root)",
    () => {
      const path = writeHb("agent", LINE);
      chownSync(path, 65534, 65534);
      expect(readHeartbeat(path)).toEqual(invalid("Untrusted", `${path} is owned by uid 65534, not 0`));
    },
  );

  it("reports a torn write (no trailing newline) as malformed", () => {
    const path = writeHb("agent", "ts=1700000000 pid=42");
    expect(readHeartbeat(path)).toEqual(invalid("Malformed", `${path} does not end in a newline`));
  });

  it("reports a complete line without its newline as malformed too", () => {
    const path = writeHb("agent", "ts=1700000000 pid=42 status=ok");
    expect(readHeartbeat(path)).toEqual(invalid("Malformed", "does not end in a newline"));
  });

  it("reports an empty file as malformed", () => {
    const path = writeHb("agent", "");
    expect(readHeartbeat(path)).toEqual(invalid("Malformed", `${path} is empty`));
  });

  it("passes the parser's sentence through for bad content", () => {
    const path = writeHb("agent", "ts=1 ts=2 pid=3 status=ok\n");
    expect(readHeartbeat(path)).toEqual(invalid("Malformed", `${path}: heartbeat has ts twice`));
  });

  it("reports NUL bytes as malformed", () => {
    const path = writeHb("agent", Buffer.alloc(64));
    expect(readHeartbeat(path)).toEqual(invalid("Malformed", "does not end in a newline"));
    const withNewline = writeHb("nul", Buffer.from("ts=1 pid=2 status=ok\0\n", "latin1"));
    expect(readHeartbeat(withNewline)).toEqual(invalid("Malformed", "heartbeat contains a NUL byte"));
  });

  it("reports invalid UTF-8 bytes as malformed, not as replacement characters", () => {
    const path = writeHb("agent", Buffer.from([...Buffer.from("ts=1 pid=2 status=ok x="), 0xff, 0xfe, 0x0a]));
    expect(readHeartbeat(path)).toEqual(invalid("Malformed", "heartbeat contains a non-ASCII character"));
  });
});

describe("readHeartbeat / readHeartbeats: the run directory", () => {
  it("distrusts every agent when the run dir is world-writable, naming the dir", () => {
    writeHb("a", LINE);
    chmodSync(runDir, 0o777);
    const expected = invalid("Untrusted", `run directory ${runDir} is group- or world-writable`);
    expect(readHeartbeats(runDir, ["a", "b"])).toEqual(
      new Map([
        ["a", expected],
        ["b", expected],
      ]),
    );
    expect(readHeartbeat(join(runDir, "a.hb"))).toEqual(expected);
  });

  it("distrusts every agent when the run dir is group-writable", () => {
    writeHb("a", LINE);
    chmodSync(runDir, 0o775);
    expect(readHeartbeats(runDir, ["a"]).get("a")).toEqual(invalid("Untrusted", "group- or world-writable"));
  });

  it("distrusts every agent when the run dir is a symlink to a good directory", () => {
    writeHb("a", LINE);
    const link = join(base, "run-link");
    symlinkSync(runDir, link);
    const expected = invalid("Untrusted", `run directory ${link} is a symlink`);
    expect(readHeartbeats(link, ["a", "b"])).toEqual(
      new Map([
        ["a", expected],
        ["b", expected],
      ]),
    );
    expect(readHeartbeat(join(link, "a.hb"))).toEqual(expected);
  });

  it("distrusts every agent when the run dir is a regular file", () => {
    const file = join(base, "not-a-dir");
    writeFileSync(file, "");
    expect(readHeartbeats(file, ["a"]).get("a")).toEqual(
      invalid("Untrusted", `run directory ${file} is not a directory`),
    );
  });

  it("distrusts every agent when the run dir is owned by a uid other than the expected one", () => {
    writeHb("a", LINE);
    const uid = (process.getuid?.() ?? 0) + 12345;
    expect(readHeartbeats(runDir, ["a"], { uid }).get("a")).toEqual(
      invalid("Untrusted", `run directory ${runDir} is owned by uid ${process.getuid?.()}, not ${uid}`),
    );
  });

  it("reports every agent missing when the run dir does not exist", () => {
    const gone = join(base, "gone");
    expect(readHeartbeats(gone, ["a", "b", "c"])).toEqual(
      new Map([
        ["a", { state: "missing" }],
        ["b", { state: "missing" }],
        ["c", { state: "missing" }],
      ]),
    );
  });

  it("keeps a name with a slash inside the run dir", () => {
    writeFileSync(join(base, "escape.hb"), LINE);
    expect(readHeartbeats(runDir, ["../escape"]).get("../escape")).toEqual(
      invalid("ReadError", "is not a plain file name"),
    );
  });

  it("returns an empty map for an empty fleet", () => {
    expect(readHeartbeats(runDir, [])).toEqual(new Map());
  });
});

describe("readHeartbeats: a fleet of 1 000", () => {
  it("returns one correct observation per name, quickly", () => {
    const names = Array.from({ length: 1000 }, (_, i) => `agent-${i}`);
    const expected = new Map<string, unknown>(); // an observation, or a matcher for one;
    for (const [i, name] of names.entries()) {
      if (i % 2 === 1) {
        expected.set(name, { state: "missing" });
        continue;
      }
      switch (i % 10) {
        case 0: {
          writeHb(name, "ts=1 pid=2 status=ok garbage\n");
          expected.set(name, invalid("Malformed", "heartbeat field 4 is not key=value"));
          break;
        }
        case 2: {
          symlinkSync(join(base, "nowhere"), join(runDir, `${name}.hb`));
          expected.set(name, invalid("Symlink"));
          break;
        }
        case 4: {
          mkdirSync(join(runDir, `${name}.hb`));
          expected.set(name, invalid("NotRegularFile"));
          break;
        }
        default: {
          const path = writeHb(name, `ts=${1700000000 + i} pid=${i + 1} status=busy name=${name}\n`);
          expected.set(name, {
            state: "present",
            record: {
              ts: 1700000000 + i,
              pid: i + 1,
              status: "busy",
              name,
              fields: { ts: String(1700000000 + i), pid: String(i + 1), status: "busy", name },
            },
            mtimeMs: statSync(path).mtimeMs,
          });
        }
      }
    }

    // Cost is measured in bench/, never asserted here.
    const value = readHeartbeats(runDir, names);
    expect(value).toEqual(expected);
    expect([...value.keys()]).toEqual(names);
    const counts = new Map<string, number>();
    for (const obs of value.values()) {
      const key = obs.state === "invalid" ? obs.reason : obs.state;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({
      Malformed: 100,
      Symlink: 100,
      NotRegularFile: 100,
      present: 200,
      missing: 500,
    });
  });
});
