// Process facts read from /proc, bounded waiting, and the one detached cleanup watcher,
// shared by the test helpers (test/helpers/*.ts, test/integration/*-support.ts) and the
// benchmarks (bench/lib.mjs). Plain JavaScript with node built-ins only, so that
// `node bench/<file>.mjs` imports it without a TypeScript loader; types in proc.d.mts.

import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmdirSync } from "node:fs";
import { join } from "node:path";

/** The fields of /proc/PID/stat after the command name (state first), or null when pid is gone. */
function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** The one-letter scheduler state of pid (R, S, T, Z …), or null when gone. */
export function pidState(pid) {
  return procStat(pid)?.[0] ?? null;
}

/** True while pid exists and is not a zombie. */
export function pidAlive(pid) {
  const state = pidState(pid);
  return state !== null && state !== "Z" && state !== "X";
}

/** pid's start time in clock ticks since boot (field 22 of stat), "" when gone: with the pid, a process's identity. */
export function startTicks(pid) {
  return procStat(pid)?.[19] ?? "";
}

/** Live children of pid, read from /proc (zombies left out). */
export function childPids(pid) {
  const found = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = procStat(Number(entry));
    if (fields !== null && Number(fields[1]) === pid && fields[0] !== "Z") found.push(Number(entry));
  }
  return found;
}

/**
 * Every live descendant of pid, each as { pid, start } (its start time: the pair names
 * the process, so a pid handed out again later is not taken for it). One /proc scan.
 */
export function descendantsOf(pid) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = procStat(Number(entry));
    if (fields === null || fields[0] === "Z") continue;
    const parent = Number(fields[1]);
    const siblings = children.get(parent) ?? [];
    siblings.push({ pid: Number(entry), start: fields[19] });
    children.set(parent, siblings);
  }
  const found = [];
  for (let queue = [...(children.get(pid) ?? [])]; queue.length > 0;) {
    const next = queue.pop();
    found.push(next);
    queue.push(...(children.get(next.pid) ?? []));
  }
  return found;
}

/** Whether the process { pid, start } (descendantsOf's) is still running: same pid, same start, not a zombie. */
export function stillRunning({ pid, start }) {
  const fields = procStat(pid);
  return fields !== null && fields[19] === start && fields[0] !== "Z" && fields[0] !== "X";
}

/** argv of pid from /proc, or [] when it is gone. */
export function argvOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * How much longer a wait may take than the test says: CI runs the whole suite on 2 cores
 * beside other work (and the suite is run beside a CPU hog, issue 13's class 10), where a
 * pane, a unit or a file can take several times its usual moment. A wait ends as soon as
 * its condition holds, so a longer deadline costs nothing when the test passes; it only
 * keeps a loaded machine from failing one. MOSAIC_TEST_WAIT_SCALE overrides it.
 */
const WAIT_SCALE = (() => {
  const raw = Number(process.env.MOSAIC_TEST_WAIT_SCALE);
  if (Number.isFinite(raw) && raw >= 1) return raw;
  return process.env.CI || process.env.MOSAIC_REQUIRE_SYSTEMD === "1" ? 3 : 1;
})();

/** Poll `check` until it holds (true) or the deadline passes (false). */
export async function waitFor(check, timeoutMs, stepMs = 50) {
  const deadline = Date.now() + timeoutMs * WAIT_SCALE;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(stepMs);
  }
}

/** Hierarchies systemd tracks processes in (cgroup2 mounts and the v1 name=systemd one) that we can enter. */
export function trackingHierarchies() {
  let mounts;
  try {
    mounts = readFileSync("/proc/self/mounts", "utf8");
  } catch {
    return [];
  }
  const found = [];
  for (const line of mounts.split("\n")) {
    const [, mountPoint, fsType, options] = line.split(" ");
    if (mountPoint === undefined || options === undefined) continue;
    if (fsType === "cgroup2" || (fsType === "cgroup" && options.split(",").includes("name=systemd"))) {
      found.push(mountPoint.replace(/\\040/g, " "));
    }
  }
  return found.filter((h) => existsSync(join(h, "cgroup.procs")));
}

/** Every pid in the cgroups under `dirs`. */
export function cgroupPids(dirs) {
  const pids = new Set();
  const visit = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    try {
      for (const line of readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n")) {
        const pid = Number(line);
        if (line !== "" && Number.isInteger(pid)) pids.add(pid);
      }
    } catch {
      // not a cgroup directory or already gone
    }
    for (const entry of entries) if (entry.isDirectory()) visit(join(dir, entry.name));
  };
  for (const dir of dirs) visit(dir);
  return [...pids];
}

/** Remove the cgroup trees under `dirs`, deepest first; a busy one stays (the caller reports leftovers). */
export function removeCgroupTrees(dirs) {
  const remove = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) if (entry.isDirectory()) remove(join(dir, entry.name));
    try {
      rmdirSync(dir);
    } catch {
      // busy (processes left) or gone
    }
  };
  for (const dir of dirs) remove(dir);
}

// The cleanup watcher. It runs detached in its own session and waits for the process
// that started it (and, with followManager, also for the manager) to be gone, then:
// kill-server on our tmux socket only, terminate our systemd manager (identified by pid
// AND start time, so a recycled pid is never signalled; read from managerFile when the
// manager started after the watcher), kill what is left in our cgroups and remove them,
// run a cleanup script, remove our temporary root. This covers a test or benchmark
// process killed by a signal, where no JavaScript runs at all.
const REAPER = `
parent=$1 sock=$2 tmuxdir=$3 mgr=$4 mgrstart=$5 mgrfile=$6 follow=$7 script=$8 root=$9; shift 9
state() { set -- $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null); echo "$1 \${20}"; }
alive() { set -- $(state "$1"); [ -n "$1" ] && [ "$1" != Z ]; }
mgr_alive() { [ -n "$mgr" ] || return 1; set -- $(state "$mgr"); [ -n "$1" ] && [ "$1" != Z ] && [ "$2" = "$mgrstart" ]; }
while alive "$parent" && { [ -z "$follow" ] || mgr_alive; }; do sleep 1; done
if [ -z "$mgr" ] && [ -n "$mgrfile" ] && [ -f "$mgrfile" ]; then read mgr mgrstart < "$mgrfile"; fi
if [ -n "$sock" ] && [ -d "$tmuxdir" ]; then TMUX= TMUX_TMPDIR="$tmuxdir" tmux -f /dev/null -L "$sock" kill-server 2>/dev/null; fi
mgr_alive && kill -TERM "$mgr" 2>/dev/null
i=0; while mgr_alive && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
mgr_alive && kill -KILL "$mgr" 2>/dev/null
for cg in "$@"; do
  for f in $(find "$cg" -name cgroup.procs 2>/dev/null); do
    for p in $(cat "$f" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  done
done
[ $# -gt 0 ] && sleep 0.3
for cg in "$@"; do find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null; done
if [ -n "$script" ] && [ -f "$script" ]; then sh "$script"; fi
if [ -n "$root" ]; then rm -rf "$root"; fi
`;

/**
 * Start the cleanup watcher for the resources named; `stop()` ends it (call it once the
 * normal cleanup has run). Nothing is touched that is not named here.
 */
export function startReaper({
  tmux,
  manager,
  managerFile,
  followManager = false,
  script,
  root,
  cgroups = [],
  env = process.env,
}) {
  const args = [
    String(process.pid),
    tmux?.socket ?? "",
    tmux?.dir ?? "",
    manager ? String(manager.pid) : "",
    manager?.start ?? "",
    managerFile ?? "",
    followManager ? "1" : "",
    script ?? "",
    root ?? "",
    ...cgroups,
  ];
  const child = spawn("/bin/sh", ["-c", REAPER, "sh", ...args], { detached: true, stdio: "ignore", env });
  child.on("error", () => undefined);
  child.unref();
  let pid = child.pid;
  return {
    pid,
    stop() {
      if (pid === undefined) return;
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // already gone
      }
      pid = undefined;
    },
  };
}
