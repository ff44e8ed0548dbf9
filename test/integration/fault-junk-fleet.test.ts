// Fault injection (docs/threat-model.md "Heartbeats", at fleet scale): a 1 000-agent roster
// whose run directory is full of junk — symlinks (to good heartbeats and dangling),
// FIFOs, directories, 1 GB sparse files, oversized files, garbage and near-miss lines,
// NUL bytes, CRLF, torn writes, other users' files, group/world-writable files, dead and
// reused pids, timestamps from the future, and stray entries no agent owns. `fleet ps
// -o json` must exit 0 with all 1 000 agents, and no junk heartbeat may be healthy.
// A tenth of the agents have good heartbeats, so "nothing healthy" cannot pass by
// accident. The wall time is printed (not asserted): the benchmark lives in bench/.

import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pidAlive, startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import type { FleetStatus, Reason } from "../../src/diff/types.js";
import {
  cliEnv,
  conditionOf,
  localDefaults,
  mosaic,
  nowS,
  parseTable,
  scratch,
  type Scratch,
} from "./fleet-support.js";

const COUNT = 1000;
const isRoot = process.getuid?.() === 0;

type Expect = { state: "healthy" | "stale" | "unknown"; reasons: Reason[] };
interface Junk {
  kind: string;
  expect: Expect;
  /** Create the agent's heartbeat entry at `path` (or leave it absent). */
  make(path: string, ctx: MakeContext): void;
}
interface MakeContext {
  now: number;
  dead: number;
  newcomer: number;
  outside: string;
  fifos: string[];
  sparse: string[];
}

const line = (ctx: MakeContext, pid = process.pid, ts = ctx.now) => `ts=${ts} pid=${pid} status=idle seq=1`;
const write = (path: string, text: string | Buffer, mode = 0o600) => {
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
};
const malformed: Expect = { state: "unknown", reasons: ["HeartbeatMalformed"] };
const untrusted: Expect = { state: "unknown", reasons: ["HeartbeatUntrusted"] };
const unreadable: Expect = { state: "unknown", reasons: ["HeartbeatUnreadable"] };

const JUNK: Junk[] = [
  { kind: "good", expect: { state: "healthy", reasons: ["HeartbeatFresh"] }, make: (p, c) => write(p, `${line(c)}\n`) },
  {
    kind: "symlink to a good heartbeat",
    expect: untrusted,
    make: (p, c) => {
      const target = join(c.outside, `${p.split("/").pop() ?? "x"}.target`);
      write(target, `${line(c)}\n`);
      symlinkSync(target, p);
    },
  },
  { kind: "dangling symlink", expect: untrusted, make: (p) => symlinkSync("/nonexistent/mf-fault", p) },
  { kind: "symlink loop", expect: untrusted, make: (p) => symlinkSync(p, p) },
  { kind: "FIFO", expect: unreadable, make: (p, c) => c.fifos.push(p) },
  { kind: "directory", expect: unreadable, make: (p) => mkdirSync(join(p, "nested.hb"), { recursive: true }) },
  { kind: "1 GB sparse file", expect: unreadable, make: (p, c) => c.sparse.push(p) },
  {
    kind: "4097 bytes",
    expect: unreadable,
    make: (p, c) => write(p, `${line(c)}${" ".repeat(4097 - line(c).length - 1)}\n`),
  },
  { kind: "garbage", expect: malformed, make: (p) => write(p, "hello world\n") },
  {
    kind: "JSON",
    expect: malformed,
    make: (p, c) => write(p, `${JSON.stringify({ ts: c.now, pid: process.pid, status: "idle" })}\n`),
  },
  { kind: "NUL bytes", expect: malformed, make: (p, c) => write(p, `${line(c)}\0\n`) },
  { kind: "only NULs", expect: malformed, make: (p) => write(p, Buffer.alloc(64)) },
  { kind: "CRLF", expect: malformed, make: (p, c) => write(p, `${line(c)}\r\n`) },
  {
    kind: "ts twice",
    expect: malformed,
    make: (p, c) => write(p, `ts=${c.now} ts=${c.now} pid=${process.pid} status=idle\n`),
  },
  { kind: "negative ts", expect: malformed, make: (p) => write(p, `ts=-1 pid=${process.pid} status=idle\n`) },
  { kind: "float ts", expect: malformed, make: (p, c) => write(p, `ts=${c.now}.5 pid=${process.pid} status=idle\n`) },
  {
    kind: "20-digit ts",
    expect: malformed,
    make: (p) => write(p, `ts=17000000000000000000 pid=${process.pid} status=idle\n`),
  },
  { kind: "missing pid", expect: malformed, make: (p, c) => write(p, `ts=${c.now} status=idle\n`) },
  { kind: "torn write", expect: malformed, make: (p, c) => write(p, line(c).slice(0, 17)) },
  { kind: "two lines", expect: malformed, make: (p, c) => write(p, `${line(c)}\n${line(c)}\n`) },
  { kind: "empty", expect: malformed, make: (p) => write(p, "") },
  {
    kind: "invalid UTF-8 / binary",
    expect: malformed,
    make: (p, c) =>
      write(p, Buffer.concat([Buffer.from(`${line(c)} x=`), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from("\n")])),
  },
  {
    kind: "escape sequences",
    expect: malformed,
    make: (p, c) => write(p, `${line(c)} status2=\u001b]52;c;aGk=\u0007\n`),
  },
  { kind: "group-writable", expect: untrusted, make: (p, c) => write(p, `${line(c)}\n`, 0o620) },
  { kind: "world-writable", expect: untrusted, make: (p, c) => write(p, `${line(c)}\n`, 0o666) },
  {
    kind: "another user's file",
    expect: isRoot ? untrusted : { state: "healthy", reasons: ["HeartbeatFresh"] },
    make: (p, c) => {
      write(p, `${line(c)}\n`);
      if (isRoot) chownSync(p, 65534, 65534);
    },
  },
  {
    kind: "dead pid",
    expect: { state: "stale", reasons: ["HeartbeatPidGone"] },
    make: (p, c) => write(p, `${line(c, c.dead)}\n`),
  },
  {
    kind: "reused pid",
    expect: { state: "stale", reasons: ["HeartbeatPidReused"] },
    make: (p, c) => write(p, `${line(c, c.newcomer, c.now - 20)}\n`),
  },
  {
    kind: "ts an hour ahead",
    expect: { state: "unknown", reasons: ["ClockAnomaly"] },
    make: (p, c) => write(p, `${line(c, process.pid, c.now + 3600)}\n`),
  },
  // pid 1 started at boot, normally long before ts: expired; on a machine booted moments ago, reused. Stale either way.
  {
    kind: "ts 100 s old",
    expect: { state: "stale", reasons: ["HeartbeatExpired", "HeartbeatPidReused"] },
    make: (p, c) => write(p, `${line(c, 1, c.now - 100)}\n`),
  },
  { kind: "no file", expect: { state: "unknown", reasons: ["NoHeartbeat"] }, make: () => undefined },
];

let tmux: TmuxServer;
let s: Scratch;
let file = "";
let newcomer: ChildProcess | undefined;
const names = Array.from({ length: COUNT }, (_, i) => `a${String(i).padStart(4, "0")}`);
/** Every tenth agent is good; the others cycle through the junk kinds in turn. */
const kinds: Junk[] = (() => {
  let next = 0;
  return names.map((_, i) => (i % 10 === 0 ? (JUNK[0] as Junk) : (JUNK[1 + (next++ % (JUNK.length - 1))] as Junk)));
})();
const kindOf = (i: number): Junk => kinds[i] as Junk;

beforeAll(async () => {
  s = scratch("mf-fault-junk-");
  tmux = await startTmuxServer("fault-junk");
  await tmux.newSession("keeper", ["sleep", "600"]);
  file = s.roster("junk.yaml", {
    version: 1,
    defaults: localDefaults(tmux.socket, { heartbeat: { interval: "15s" } }),
    agents: names.map((name) => ({ name, runtime: "stub" })),
  });

  const outside = join(s.dir, "outside");
  mkdirSync(outside, { mode: 0o700 });
  const dead = spawnSync("/bin/true").pid;
  expect(pidAlive(dead)).toBe(false);
  // A process started after the "reused pid" heartbeats' ts (now - 20 s): ours, killed in afterAll.
  newcomer = spawn("sleep", ["600"], { stdio: "ignore" });
  const ctx: MakeContext = { now: nowS(), dead, newcomer: newcomer.pid as number, outside, fifos: [], sparse: [] };
  names.forEach((name, i) => kindOf(i).make(join(s.runDir, `${name}.hb`), ctx));
  if (ctx.fifos.length > 0) execFileSync("mkfifo", ["-m", "600", ...ctx.fifos]);
  if (ctx.sparse.length > 0) {
    execFileSync("truncate", ["-s", "1G", ...ctx.sparse]);
    for (const p of ctx.sparse) chmodSync(p, 0o600);
  }
  // Entries no agent owns: ignored, whatever they are.
  write(join(s.runDir, "zzzz.hb"), `${line(ctx)}\n`);
  write(join(s.runDir, ".a0001.hb.tmp"), `${line(ctx)}\n`);
  write(join(s.runDir, "a0001.hb.bak"), "junk\n", 0o666);
  mkdirSync(join(s.runDir, "sub", "deeper"), { recursive: true });
  execFileSync("mkfifo", [join(s.runDir, "a0001.probe")]);
  symlinkSync("/", join(s.runDir, "root-link"));
}, 60_000);

afterAll(async () => {
  if (newcomer?.pid !== undefined && pidAlive(newcomer.pid)) newcomer.kill("SIGKILL");
  await tmux?.kill();
  s?.cleanup();
});

describe("a 1 000-agent roster over a run directory full of junk", () => {
  it("fleet ps -o json exits 0 with all 1 000 agents; no junk heartbeat is healthy; every good one is", async () => {
    const env = cliEnv({
      TMUX_TMPDIR: tmux.tmpdir,
      MOSAIC_HOME: s.home,
      HOME: s.dir,
      XDG_RUNTIME_DIR: join(s.dir, "no-manager"),
    });
    const run = await mosaic(["fleet", "ps", "-f", file, "-o", "json"], env, 60_000);
    // Wall time for the report (not asserted here; bench/ owns performance).
    console.log(`[fault-junk-fleet] fleet ps -o json, ${COUNT} agents over a junk run dir: ${run.ms} ms`);
    expect(run.timedOut, "fleet ps hung on the junk run directory").toBe(false);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    const status = JSON.parse(run.stdout) as FleetStatus;
    expect(status.agents).toHaveLength(COUNT);
    expect(status.agents.map((a) => a.name)).toEqual(names);

    const wrong: string[] = [];
    const seen = new Map<string, number>();
    status.agents.forEach((agent, i) => {
      const junk = kindOf(i);
      seen.set(junk.kind, (seen.get(junk.kind) ?? 0) + 1);
      const stale = conditionOf(agent, "Stale");
      const healthy = agent.heartbeat.state === "healthy";
      if (junk.kind !== "good" && junk.expect.state !== "healthy" && (healthy || stale.status === "False")) {
        wrong.push(
          `${agent.name} (${junk.kind}) is healthy: ${JSON.stringify(agent.heartbeat)} ${JSON.stringify(stale)}`,
        );
      }
      if (agent.heartbeat.state !== junk.expect.state || !junk.expect.reasons.includes(stale.reason)) {
        wrong.push(
          `${agent.name} (${junk.kind}): expected ${junk.expect.state} ${junk.expect.reasons.join("|")}, got ${agent.heartbeat.state} ${stale.status} ${stale.reason} (${stale.message})`,
        );
      }
    });
    expect(wrong, wrong.slice(0, 20).join("\n")).toEqual([]);
    // Every kind of junk was really exercised.
    for (const junk of JUNK) expect(seen.get(junk.kind) ?? 0, junk.kind).toBeGreaterThan(10);
    // The unowned entries are not agents and not unmanaged sessions.
    expect(status.unmanaged.map((u) => u.session)).toEqual(["keeper"]);
  }, 90_000);

  it("the table (fleet ps) also exits 0 with 1 000 rows and no escape byte from the junk", async () => {
    const env = cliEnv({
      TMUX_TMPDIR: tmux.tmpdir,
      MOSAIC_HOME: s.home,
      HOME: s.dir,
      XDG_RUNTIME_DIR: join(s.dir, "no-manager"),
    });
    const run = await mosaic(["fleet", "ps", "-f", file], env, 60_000);
    console.log(`[fault-junk-fleet] fleet ps (table), ${COUNT} agents: ${run.ms} ms`);
    expect(run.code, run.stderr).toBe(0);
    const rows = parseTable(run.stdout).rows.filter((r) => /^a\d{4}$/.test(r["NAME"] ?? ""));
    expect(rows).toHaveLength(COUNT);
    expect(run.stdout).not.toContain("\u001b");
    const healthyRows = rows.filter((r) => (r["HEARTBEAT"] ?? "").startsWith("healthy")).map((r) => r["NAME"]);
    expect(healthyRows).toEqual(names.filter((_, i) => kindOf(i).expect.state === "healthy"));
  }, 90_000);
});
