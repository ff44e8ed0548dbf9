// Output targets (docs/threat-model.md): `fleet report --output` and `--history` replace
// or append to only a plain regular file. Every other kind of thing at the path — device,
// FIFO, socket, directory, symbolic link (to anything), a file with other hard links — is
// refused with exit 2 and left exactly as it was; `-` and `/dev/stdout` mean standard
// output; a replaced report keeps its mode and owner. Run as root (as cron would), with
// the real CLI, over every kind of target.

import { execFileSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  type Stats,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/run-cli.js";

const isRoot = process.getuid?.() === 0;

let dir: string;
let roster: string;
const servers: Server[] = [];

/** Everything that identifies what sits at a path, without following it. */
function fingerprint(path: string): string {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return "absent";
  }
  const link = st.isSymbolicLink() ? ` -> ${readlinkSync(path)}` : "";
  const content = st.isFile() ? ` ${readFileSync(path, "utf8")}` : "";
  return `${st.dev}:${st.ino} mode=${st.mode.toString(8)} uid=${st.uid} nlink=${st.nlink} rdev=${st.rdev}${link}${content}`;
}

type Maker = (path: string) => void | Promise<void>;

/** Every kind of target that must be refused and left as it was. */
const REFUSED: Record<string, Maker> = {
  directory: (p) => mkdirSync(p),
  fifo: (p) => void execFileSync("mkfifo", [p]),
  socket: (p) =>
    new Promise<void>((resolve) => {
      const server = createServer();
      servers.push(server);
      server.listen(p, () => resolve());
    }),
  "symlink to /dev/null": (p) => symlinkSync("/dev/null", p),
  "symlink to /proc/self/fd/1": (p) => symlinkSync("/proc/self/fd/1", p),
  "symlink to a directory": (p) => {
    mkdirSync(`${p}.d`);
    symlinkSync(`${p}.d`, p);
  },
  "symlink to a regular file": (p) => {
    writeFileSync(`${p}.real`, "keep me\n");
    symlinkSync(`${p}.real`, p);
  },
  "dangling symlink": (p) => symlinkSync(`${p}.nowhere`, p),
  "file with another hard link": (p) => {
    writeFileSync(`${p}.other`, "shared\n");
    linkSync(`${p}.other`, p);
  },
  ...(isRoot
    ? {
        "character device (a private /dev/null)": (p: string) =>
          void execFileSync("mknod", ["-m", "666", p, "c", "1", "3"]),
        "block device": (p: string) => void execFileSync("mknod", ["-m", "600", p, "b", "7", "200"]),
      }
    : {}),
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mosaic-targets-"));
  roster = join(dir, "roster.yaml");
  // No agents: nothing to observe, the report is still rendered (UNKNOWN, exit 1).
  writeFileSync(roster, "version: 1\nfleet: targets\nagents: []\n");
});

afterAll(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

const report = (args: string[]) =>
  runCli(["fleet", "report", "-f", roster, "--format", "json", ...args], {
    env: { HOME: dir, MOSAIC_HOME: join(dir, "home"), NO_COLOR: "1" },
  });

describe("fleet report --output / --history: only a regular file is replaced", () => {
  for (const [kind, make] of Object.entries(REFUSED)) {
    for (const flag of ["--output", "--history"] as const) {
      it(`${flag} at a ${kind}: exit 2, one sentence, left exactly as it was`, async () => {
        const path = join(dir, `${flag.slice(2)}-${kind.replace(/\W+/g, "-")}`);
        await make(path);
        const before = fingerprint(path);
        const run = report([flag, path]);
        expect(run.code, run.stderr).toBe(2);
        expect(run.stderr.trim().split("\n")).toHaveLength(1);
        expect(run.stderr).not.toMatch(/^\s+at /m);
        expect(fingerprint(path)).toBe(before);
        if (kind.startsWith("symlink to a regular")) expect(readFileSync(`${path}.real`, "utf8")).toBe("keep me\n");
        if (kind.startsWith("file with")) expect(readFileSync(`${path}.other`, "utf8")).toBe("shared\n");
      });
    }
  }

  for (const target of ["-", "/dev/stdout"]) {
    it(`--output ${target} writes the report to standard output`, () => {
      const before = fingerprint("/dev/null");
      const run = report(["--output", target]);
      expect(run.code, run.stderr).toBe(1); // zero agents: UNKNOWN
      expect(JSON.parse(run.stdout)).toMatchObject({ summary: { verdict: "UNKNOWN" } });
      expect(fingerprint("/dev/null")).toBe(before);
    });
  }

  it("--output /dev/null as root leaves the system's /dev/null a character device", () => {
    const before = fingerprint("/dev/null");
    const run = report(["--output", "/dev/null"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/character device/);
    expect(fingerprint("/dev/null")).toBe(before);
    expect(lstatSync("/dev/null").isCharacterDevice()).toBe(true);
  });

  it("a replaced report keeps its mode and owner", () => {
    const path = join(dir, "kept.json");
    writeFileSync(path, "old\n");
    chmodSync(path, 0o640);
    if (isRoot) chownSync(path, 65534, 65534);
    const before = lstatSync(path);
    const run = report(["--output", path]);
    expect(run.code, run.stderr).toBe(1);
    const after = lstatSync(path);
    expect(after.ino).not.toBe(before.ino); // replaced atomically, not rewritten in place
    expect(after.mode & 0o777).toBe(0o640);
    expect([after.uid, after.gid]).toEqual([before.uid, before.gid]);
    expect(JSON.parse(readFileSync(path, "utf8"))).toMatchObject({ summary: { verdict: "UNKNOWN" } });
  });

  it("a refused --history leaves --output unwritten: nothing changes", () => {
    const out = join(dir, "not-written.json");
    const fifo = join(dir, "history-fifo-2");
    execFileSync("mkfifo", [fifo]);
    const run = report(["--output", out, "--history", fifo]);
    expect(run.code).toBe(2);
    expect(fingerprint(out)).toBe("absent");
  });
});
