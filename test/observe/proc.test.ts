import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { observeProcessTrees } from "../../src/observe/proc.js";
import { processAlive, procFilesRead, readProcess } from "../../src/system/procfs.js";
import { parseProcStat } from "../../src/system/proc-stat.js";
import type { ProcessTree } from "../../src/observe/types.js";

// Real processes, no mocks. Every child runs in its own process group so afterEach can
// kill exactly what this file started, grandchildren included.
const groups: ChildProcess[] = [];

function start(file: string, args: string[], stdout: "ignore" | "pipe" = "ignore"): ChildProcess {
  const child = spawn(file, args, { stdio: ["ignore", stdout, "ignore"], detached: true });
  if (child.pid === undefined) throw new Error(`could not start ${file}`);
  groups.push(child);
  return child;
}

function killAll(): void {
  for (const child of groups.splice(0)) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // group already gone
    }
  }
}

afterEach(killAll);
afterAll(killAll);

// A deadline for a condition, generous: on a loaded machine (load average 30 on two
// cores) starting 300 processes takes tens of seconds. The sleeps outlive any wait
// (600 s); afterEach kills them.
async function until<T>(probe: () => T | undefined | null | false, what: string, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A pid that existed a moment ago and has been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn("true", [], { stdio: "ignore" });
  await once(child, "exit");
  return child.pid as number;
}

function treeWithChildren(root: number, count: number): ProcessTree | undefined {
  const tree = observeProcessTrees([root]).get(root);
  return tree && tree.processes.length === count + 1 ? tree : undefined;
}

// Stands in for /proc so races (a process gone between listing and reading) are exact.
describe("observeProcessTrees on a fake procfs", () => {
  let root = "";
  const stat = (pid: number, comm: string, ppid: number, state = "S", start = 500) =>
    `${pid} (${comm}) ${state} ${ppid} ${"0 ".repeat(17)}${start} 0 0\n`;
  const proc = (pid: number, statText: string | null, cmdline: string | null) => {
    mkdirSync(join(root, String(pid)), { recursive: true });
    if (statText !== null) writeFileSync(join(root, String(pid), "stat"), statText);
    if (cmdline !== null) writeFileSync(join(root, String(pid), "cmdline"), cmdline);
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "fake-proc-"));
    writeFileSync(join(root, "stat"), "cpu 1 2 3\nbtime 1700000000\n");
    proc(100, stat(100, "bash", 1), "-bash\0");
    proc(101, stat(101, "node", 100, "S", 700), "node\0/usr/bin/claude\0");
    proc(102, stat(102, "gone", 100), null); // exited after its stat was read
    mkdirSync(join(root, "103")); // exited between readdir and stat
    proc(104, stat(104, "defunct", 100, "Z"), ""); // zombie: not a live process
    proc(105, stat(105, "rg", 101, "R", 600), "rg\0-n\0x\0");
    proc(106, stat(106, "sh", 100, "S", 600), "sh\0");
    proc(200, stat(200, "a) b", 201), "a\0"); // a pid cycle a racing scan could see
    proc(201, stat(201, "b", 200), "b\0");
    proc(300, stat(300, "sh", 1), null); // a root that vanished mid-read
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("builds breadth-first trees, oldest sibling first, skipping vanished and zombie entries", () => {
    const trees = observeProcessTrees([100, 999, 300], { procRoot: root });
    const tree = trees.get(100);
    expect(tree?.processes.map((p) => p.pid)).toEqual([100, 106, 101, 105]);
    expect(tree?.root).toEqual({
      pid: 100,
      ppid: 1,
      startTicks: 500,
      startedAtMs: 1_700_000_005_000,
      comm: "bash",
      argv: ["-bash"],
      pgid: 0,
      sid: 0,
    });
    expect(tree?.processes[2]?.argv).toEqual(["node", "/usr/bin/claude"]);
    expect(trees.get(999)).toBeNull();
    expect(trees.get(300)).toBeNull();
  });

  it("terminates on a ppid cycle and maps invalid roots to null", () => {
    const trees = observeProcessTrees([200, 0, -1, 200], { procRoot: root });
    expect(trees.get(200)?.processes.map((p) => p.pid)).toEqual([200, 201]);
    expect(trees.get(200)?.root.comm).toBe("a) b");
    expect(trees.get(0)).toBeNull();
    expect(trees.get(-1)).toBeNull();
    expect(trees.size).toBe(3);
  });

  it("reads single processes the same way", () => {
    expect(readProcess(105, { procRoot: root })?.argv).toEqual(["rg", "-n", "x"]);
    expect(readProcess(104, { procRoot: root })).toBeNull();
    expect(processAlive(104, { procRoot: root })).toBe(false);
    expect(processAlive(103, { procRoot: root })).toBe(false);
    expect(processAlive(106, { procRoot: root })).toBe(true);
  });

  it("throws when procfs itself is missing, instead of calling every pane dead", () => {
    expect(() => observeProcessTrees([1], { procRoot: join(root, "nope") })).toThrow();
  });
});

describe("observeProcessTrees on real processes", () => {
  it("gives the shell root and its two sleep children, and null for a dead pid", async () => {
    const spawnedAt = Date.now();
    const sh = start("sh", ["-c", "sleep 600 & sleep 600 & wait"]).pid as number;
    const dead = await deadPid();
    await until(() => treeWithChildren(sh, 2), "two sleeps under sh");

    const trees = observeProcessTrees([sh, dead]);
    expect([...trees.keys()]).toEqual([sh, dead]);
    expect(trees.get(dead)).toBeNull();
    const tree = trees.get(sh);
    expect(tree?.root.pid).toBe(sh);
    expect(tree?.root.ppid).toBe(process.pid);
    expect(tree?.root.argv).toEqual(["sh", "-c", "sleep 600 & sleep 600 & wait"]);
    expect(tree?.processes[0]).toBe(tree?.root);
    const sleeps = tree?.processes.slice(1) ?? [];
    expect(sleeps).toHaveLength(2);
    for (const sleep of sleeps) {
      expect(sleep).toMatchObject({ ppid: sh, comm: "sleep", argv: ["sleep", "600"] });
      // Started after we spawned the shell and before we looked (1 s for clock-tick rounding).
      expect(sleep.startedAtMs).toBeGreaterThanOrEqual(spawnedAt - 1_000);
      expect(sleep.startedAtMs).toBeLessThanOrEqual(Date.now() + 1_000);
    }
  }, 120_000);

  it("shows a python agent's script as argv[1]", async () => {
    let python: string;
    try {
      python = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();
    } catch {
      console.log("python3 not available; skipped");
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "proc-test-"));
    const script = join(dir, "dogfood-agent.py");
    writeFileSync(script, "import time\ntime.sleep(600)\n");
    try {
      const sh = start("sh", ["-c", '"$@" & wait', "sh", python, script]).pid as number;
      // The child exists (as a copy of sh) a moment before it execs python: wait for the exec.
      const tree = await until(() => {
        const found = treeWithChildren(sh, 1);
        return found?.processes[1]?.argv[0] === python ? found : undefined;
      }, "python under sh");
      const agent = tree.processes[1];
      expect(agent?.argv[1]?.endsWith("/dogfood-agent.py")).toBe(true);
      expect(agent?.argv[0]).toBe(python);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads 200 sleeps under 100 roots completely in one scan", async () => {
    const roots = Array.from({ length: 100 }, () => start("sh", ["-c", "sleep 600 & sleep 600 & wait"]).pid as number);
    await until(() => roots.every((pid) => treeWithChildren(pid, 2)), "200 sleeps");

    const hostProcesses = readdirSync("/proc").filter((name) => /^\d+$/.test(name)).length;
    const filesBefore = procFilesRead();
    const t0 = performance.now();
    const trees = observeProcessTrees(roots);
    const ms = performance.now() - t0;
    const files = procFilesRead() - filesBefore;
    console.log(
      `observeProcessTrees: 100 roots / 300 processes, ${hostProcesses} on host: ${ms.toFixed(1)} ms, ${files} files`,
    );

    expect(trees.size).toBe(100);
    for (const root of roots) {
      const tree = trees.get(root);
      expect(tree?.root.argv).toEqual(["sh", "-c", "sleep 600 & sleep 600 & wait"]);
      expect(tree?.processes.slice(1).map((p) => [p.ppid, p.argv])).toEqual([
        [root, ["sleep", "600"]],
        [root, ["sleep", "600"]],
      ]);
    }
    // One stat per host process plus one cmdline per tree process; a scan per root
    // would be ~100× the host count.
    expect(files).toBeLessThan(3 * hostProcesses + 300);
  }, 180_000);
});

describe("readProcess and processAlive", () => {
  it("describes this very process", () => {
    const me = readProcess(process.pid);
    expect(me).toMatchObject({ pid: process.pid, ppid: process.ppid });
    expect(me?.argv.length).toBeGreaterThan(0);
    expect(me?.startedAtMs).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(processAlive(process.pid)).toBe(true);
  });

  it("stamps a fresh process with a start time close to now", async () => {
    const child = start("sleep", ["30"]);
    const info = await until(() => readProcess(child.pid as number), "sleep to appear");
    expect(info.argv).toEqual(["sleep", "30"]);
    expect(Math.abs(info.startedAtMs - Date.now())).toBeLessThan(5_000);
  });

  it("returns null for a killed and reaped pid", async () => {
    const child = start("sleep", ["30"]);
    const pid = child.pid as number;
    expect(processAlive(pid)).toBe(true);
    child.kill("SIGKILL");
    await once(child, "exit");
    expect(readProcess(pid)).toBeNull();
    expect(processAlive(pid)).toBe(false);
  });

  it("counts a zombie as not alive", async () => {
    // The backgrounded `sleep 0` exits; its parent exec's into a sleep that never reaps
    // it. The shell itself may reap it first (a race the kernel decides), so the zombie
    // is looked up among the sleep's children, and the setup is tried again if none stays.
    const zombieOf = (pid: number): number | null => {
      let children: string;
      try {
        children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8");
      } catch {
        return null;
      }
      for (const child of children.split(" ").filter(Boolean).map(Number)) {
        try {
          if (parseProcStat(readFileSync(`/proc/${child}/stat`, "utf8"))?.state === "Z") return child;
        } catch {
          // reaped meanwhile
        }
      }
      return null;
    };
    let parent: ChildProcess | null = null;
    let zombie: number | null = null;
    for (let attempt = 0; attempt < 5 && zombie === null; attempt += 1) {
      parent = start("sh", ["-c", "sleep 0 & exec sleep 30"]);
      const pid = parent.pid as number;
      const deadline = Date.now() + 2_000;
      while (zombie === null && Date.now() < deadline) {
        zombie = zombieOf(pid);
        if (zombie === null) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    expect(zombie, "no unreaped child in 5 attempts").not.toBeNull();

    expect(processAlive(zombie as number)).toBe(false);
    expect(readProcess(zombie as number)).toBeNull();
    expect(observeProcessTrees([parent?.pid as number]).get(parent?.pid as number)?.processes).toHaveLength(1);
  });

  it("rejects pids that cannot exist", () => {
    for (const pid of [0, -1, 1.5, Number.NaN, 2 ** 60]) {
      expect(processAlive(pid)).toBe(false);
      expect(readProcess(pid)).toBeNull();
    }
  });
});
