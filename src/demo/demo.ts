import {
  accessSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { cacheDir } from "../cache/index.js";
import { dropCachedRoster, rosterParser } from "../spec/index.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runSystemctl, runTmuxNamed, tmuxClientEnv, tmuxSocketPath, processAlive } from "../system/index.js";
import { userManagerEnv } from "../observe/index.js";
import { shellLine } from "../report/index.js";
import { heartbeatPath, probePath, runDirOf } from "../heartbeat/index.js";
import { packageRoot } from "./package-root.js";
import { agentTemplate, DEMO_MARKER, demoPrefix, demoUnitNames, holderUnit } from "./units.js";

// `mosaic demo`: a private fleet shaped like production (canary-pi running the stub
// though the roster says pi, units started but not enabled), on its own socket with
// its own MOSAIC_HOME. Everything it creates is written down in a state file so
// `--down` removes exactly that and nothing else. Demos never collide: each has a name
// (none by default; `--name NAME` for more) that owns a socket, a MOSAIC_HOME and unit
// names; a second `mosaic demo` of the same name joins the running one, and bringing a
// demo up or down holds a lock on its MOSAIC_HOME so two shells take turns.

export const DEMO_SOCKET = "mosaic-demo";
const DEMO_INTERVAL = "2s";
/** `--name`: short, and fit for a tmux socket, a unit name and a directory name. */
export const DEMO_NAME_RE = /^[a-z0-9][a-z0-9-]{0,15}$/;
/**
 * What two of the demo's stubs play (`agent stub --status`): one agent asking its
 * operator (AwaitingInput) and one at work that prints nothing (NoProgress once the
 * roster's attention.progress_timeout, 10 s, has passed).
 */
const DEMO_STUB_STATUS: Readonly<Record<string, string>> = {
  "dogfood-reviewer": "working:2s,waiting:note=Allow Bash(git push origin main)?",
  "dogfood-orchestrator": "working",
};

/** The demo's per-agent environment files (MOSAIC_STUB_STATUS), read by its agent units. */
function agentEnvFile(home: string, name: string): string {
  return join(home, "agents", `${name}.env`);
}

/** Everything one demo owns, by name. */
export interface DemoIdentity {
  /** null: the default demo. */
  name: string | null;
  home: string;
  socket: string;
  holderUnit: string;
  agentTemplate: string;
}

/** The demo called `name` (null: the default one) for this user. */
export function demoIdentity(env: NodeJS.ProcessEnv, uid: number, name: string | null): DemoIdentity {
  const units = demoUnitNames(name);
  return {
    name,
    home: demoHome(env, uid, name),
    socket: demoPrefix(name),
    holderUnit: units.holder,
    agentTemplate: units.template,
  };
}

export interface DemoState {
  /** `--name` (absent in states written before names existed: the default demo). */
  name?: string | null;
  startedAt?: string;
  /** false until the demo is fully up (absent in older states: they were). */
  complete?: boolean;
  home: string;
  socket: string;
  tmuxTmpdir: string | null;
  /** Units started, and the unit files written (absolute paths). */
  units: string[];
  unitFiles: string[];
  sessions: string[];
  panePids: number[];
  /** The stubs themselves (children of the panes' wrapper shells), from their heartbeats. */
  agentPids?: number[];
  agents: string[];
  mode: "systemd" | "tmux";
  why: string;
}

/** The demo's MOSAIC_HOME: $MOSAIC_DEMO_HOME or $TMPDIR/mosaic-demo-UID; `-NAME` appended for a named demo. */
export function demoHome(env: NodeJS.ProcessEnv, uid: number, name: string | null = null): string {
  const base = env["MOSAIC_DEMO_HOME"] || join(tmpdir(), `mosaic-demo-${uid}`);
  return name === null ? base : `${base}-${name}`;
}

function statePath(home: string): string {
  return join(home, "demo-state.json");
}

/** What an earlier `mosaic demo` left, if anything. */
function readDemoState(home: string): DemoState | null {
  try {
    return JSON.parse(readFileSync(statePath(home), "utf8")) as DemoState;
  } catch {
    return null;
  }
}

/** The demo roster's agents, read with the roster loader: name, and whether it is started. */
async function demoAgents(file: string, rosterText: string): Promise<{ name: string; start: boolean }[]> {
  const { parseRoster } = await rosterParser();
  const result = parseRoster(file, rosterText);
  if (!result.ok) throw new Error(`the built-in demo roster is invalid: ${result.problems[0]?.message ?? "?"}`);
  return result.fleet.agents.map((agent) => ({ name: agent.name, start: agent.lifecycle === "core" }));
}

/** Where this user manager reads user unit files, or why the demo cannot use systemd. */
async function systemdTarget(
  env: NodeJS.ProcessEnv,
  uid: number,
): Promise<{ env: NodeJS.ProcessEnv; unitDir: string } | { why: string }> {
  const managerEnv = userManagerEnv(env, uid);
  if (!managerEnv)
    return { why: "no systemd user manager is reachable (XDG_RUNTIME_DIR is unset and /run/user/UID has none)" };
  const paths = await runSystemctl({ env: managerEnv, timeoutMs: 3_000 }, ["show", "--property=UnitPath", "--value"]);
  if (!paths.ok) return { why: `no systemd user manager answers (${paths.message})` };
  const configHome = env["XDG_CONFIG_HOME"] || join(env["HOME"] || "/root", ".config");
  const unitDir = join(configHome, "systemd", "user");
  if (!paths.stdout.split(/\s+/).includes(unitDir)) return { why: `the user manager does not read ${unitDir}` };
  return { env: managerEnv, unitDir };
}

export interface DemoIo {
  say: (line: string) => void;
  env: NodeJS.ProcessEnv;
  uid: number;
  demo: DemoIdentity;
}

/** Whether the demo a state file describes still runs (any of its panes' processes is alive). */
export function demoRunning(state: DemoState): boolean {
  return state.panePids.some((pid) => processAlive(pid));
}

const LOCK_FILE = ".demo.lock";
/** How long a second shell waits for the first to finish bringing the same demo up or down. */
const LOCK_WAIT_MS = 120_000;

/**
 * Hold the demo's lock (flock on `.demo.lock` in its MOSAIC_HOME, which the kernel drops
 * if the holder dies, so a killed `mosaic demo` never blocks the next) while `body` runs:
 * a second shell bringing the same demo up or down waits for the first instead of
 * racing it. The lock file goes with a removed demo: a waiter that got the lock on a
 * file no longer at its path (its pid is not written there) takes it again.
 */
async function withDemoLock<T>(home: string, body: () => Promise<T>): Promise<T> {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const { acquireLock } = await import("../system/index.js");
  const path = join(home, LOCK_FILE);
  const deadline = Date.now() + LOCK_WAIT_MS;
  let held: { release(): void } | null = null;
  while (held === null) {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    const taken = await acquireLock(path, Math.max(0, deadline - Date.now()), "mosaic demo");
    if (!taken.ok) {
      const who = taken.busy && taken.holder ? ` (${taken.holder})` : "";
      throw new Error(`another \`mosaic demo\` is still working on ${home}${who}: ${taken.message}`);
    }
    if (readFileSafe(path).startsWith(`pid=${process.pid} `)) held = taken.lock;
    else taken.lock.release();
  }
  try {
    return await body();
  } finally {
    // A removed demo's home holds nothing but the lock: unlink it while held, then go.
    const removed = readDemoState(home) === null;
    if (removed) removeFile(path);
    held.release();
    if (removed) {
      try {
        rmdirSync(home);
      } catch {
        // Not empty: something there is not the demo's.
      }
    }
  }
}

export type DemoStart = { kind: "started"; state: DemoState } | { kind: "joined"; state: DemoState };

/**
 * `mosaic demo`: join this demo if it runs; else clear what a dead one left and bring
 * it up. Never replaces a running demo, never touches another demo's socket or units.
 */
export async function demoStart(io: DemoIo): Promise<DemoStart> {
  return withDemoLock(io.demo.home, async () => {
    const earlier = readDemoState(io.demo.home);
    // A demo whose start was cut short (killed mid-way) is not joined: it is cleared and started again.
    if (earlier && earlier.complete !== false && demoRunning(earlier)) return { kind: "joined", state: earlier };
    if (earlier) {
      const why = earlier.complete === false ? "never finished starting" : "is no longer running";
      io.say(`The earlier demo in ${io.demo.home} ${why}: removing what is left of it first.`);
      await demoDownLocked(io);
    }
    return { kind: "started", state: await demoUp(io) };
  });
}

/** What `--name` to repeat in a hint: "" for the default demo. */
export function nameFlag(demo: DemoIdentity): string {
  return demo.name === null ? "" : ` --name ${demo.name}`;
}

/** The MOSAIC_HOME a demo unit file was written for, from its Environment= line. */
function unitFileHome(text: string): string | null {
  const quoted = /^Environment="MOSAIC_HOME=((?:[^"\\]|\\.)*)"$/m.exec(text)?.[1];
  // Undo units.ts's unitArg: %% and $$ first, then the backslash escapes.
  return quoted?.replaceAll("%%", "%").replaceAll("$$", "$").replace(/\\(.)/g, "$1") ?? null;
}

/** Bring the demo fleet up (the caller holds its lock and has cleared any earlier state); returns its state. */
async function demoUp(io: DemoIo): Promise<DemoState> {
  const { home, socket } = io.demo;
  const tmuxEnv = tmuxClientEnv(io.env);
  const inUse = await runTmuxNamed(socket, tmuxEnv, ["list-sessions"], 3_000);
  if (inUse.ok) {
    throw new Error(
      `tmux socket "${socket}" already has a server the demo did not start; stop it first (tmux -L ${socket} kill-server) if it is yours, or start an independent demo with --name NAME`,
    );
  }

  const root = packageRoot();
  // A named demo's roster names its own socket, fleet and units.
  const rosterText = readFileSync(join(root, "roster", "demo.yaml"), "utf8").replaceAll(
    "mosaic-demo",
    demoPrefix(io.demo.name),
  );
  mkdirSync(join(home, "fleet", "run"), { recursive: true, mode: 0o700 });
  writeFileSync(
    join(home, "fleet", "roster.yaml"),
    rosterText.replace("$schema=./roster.schema.json", `$schema=${join(root, "roster", "roster.schema.json")}`),
  );
  const agents = await demoAgents(join(root, "roster", "demo.yaml"), rosterText);
  const agentArgv = [process.execPath, join(root, "bin", "mosaic"), "agent", "stub", "--interval", DEMO_INTERVAL];
  const state: DemoState = {
    name: io.demo.name,
    startedAt: new Date().toISOString(),
    complete: false,
    home,
    socket,
    tmuxTmpdir: io.env["TMUX_TMPDIR"] || null,
    units: [],
    unitFiles: [],
    sessions: [],
    panePids: [],
    agents: agents.map((a) => a.name),
    mode: "tmux",
    why: "",
  };
  const save = () => writeFileSync(statePath(home), `${JSON.stringify(state, null, 2)}\n`);
  save();

  const target = await systemdTarget(io.env, io.uid);
  if ("unitDir" in target) {
    state.mode = "systemd";
    const params = {
      holderUnit: io.demo.holderUnit,
      tmux: await which("tmux", io.env),
      socket,
      home,
      tmuxTmpdir: io.env["TMUX_TMPDIR"],
      agentArgv,
      mosaicArgv: [process.execPath, join(root, "bin", "mosaic")],
    };
    mkdirSync(target.unitDir, { recursive: true });
    mkdirSync(join(home, "agents"), { recursive: true, mode: 0o700 });
    for (const [name, script] of Object.entries(DEMO_STUB_STATUS)) {
      writeFileSync(agentEnvFile(home, name), `MOSAIC_STUB_STATUS=${script}\n`, { mode: 0o600 });
    }
    for (const [name, text] of [
      [io.demo.holderUnit, holderUnit(params)],
      [io.demo.agentTemplate, agentTemplate(params)],
    ] as const) {
      const path = join(target.unitDir, name);
      const existing = existsSync(path) ? readFileSync(path, "utf8") : null;
      if (existing !== null && !existing.startsWith(DEMO_MARKER)) {
        throw new Error(`${path} exists and was not written by mosaic demo; refusing to overwrite it`);
      }
      const owner = existing === null ? null : unitFileHome(existing);
      if (owner !== null && owner !== home) {
        throw new Error(
          `${path} belongs to another mosaic demo (MOSAIC_HOME=${owner}); remove that one with \`MOSAIC_DEMO_HOME=${owner} mosaic demo --down\`, or start an independent demo with --name NAME`,
        );
      }
      writeFileSync(path, text);
      state.unitFiles.push(path);
      save();
    }
    await runSystemctl({ env: target.env, timeoutMs: 10_000 }, ["daemon-reload"]);
    const agentUnit = (agent: string) => io.demo.agentTemplate.replace("@.service", `@${agent}.service`);
    state.units = [
      io.demo.holderUnit,
      ...agents.filter((a) => a.start && a.name !== "_holder").map((a) => agentUnit(a.name)),
    ];
    save();
    const started = await runSystemctl({ env: target.env, timeoutMs: 30_000 }, ["start", ...state.units]);
    if (!started.ok) throw new Error(`systemctl --user start failed: ${started.message}`);
    // Type=exec: started means `mosaic agent run` runs; its session follows a moment later.
    await waitForSessions(socket, tmuxEnv, state.units.length, 10_000);
    io.say(`Started ${state.units.length} systemd user units (not enabled at boot, as in production).`);
  } else {
    state.why = target.why;
    // Dead panes stay (remain-on-exit), so PaneDead can say how an agent died and what it printed last.
    const started = await runTmuxNamed(
      socket,
      tmuxEnv,
      ["new-session", "-d", "-s", "_holder", ";", "set-option", "-g", "remain-on-exit", "on"],
      5_000,
    );
    if (!started.ok) throw new Error(`cannot start tmux on socket ${socket}: ${started.message}`);
    // Each session is written down as soon as it exists: a start killed half-way leaves a record to clear.
    state.sessions.push("_holder");
    save();
    for (const agent of agents.filter((a) => a.start && a.name !== "_holder")) {
      const made = await runTmuxNamed(
        socket,
        tmuxEnv,
        [
          "new-session",
          "-d",
          "-s",
          agent.name,
          "-e",
          `MOSAIC_AGENT_NAME=${agent.name}`,
          "-e",
          `MOSAIC_HOME=${home}`,
          ...(DEMO_STUB_STATUS[agent.name] ? ["-e", `MOSAIC_STUB_STATUS=${DEMO_STUB_STATUS[agent.name]}`] : []),
          "--",
          "sh",
          "-c",
          `${shellLine(agentArgv)}; exit`,
        ],
        5_000,
      );
      if (!made.ok) throw new Error(`cannot start demo agent ${agent.name}: ${made.message}`);
      state.sessions.push(agent.name);
      save();
    }
    io.say(`Started the demo in tmux only: ${target.why}, so the unit columns will read unknown.`);
  }

  const listed = await runTmuxNamed(socket, tmuxEnv, ["list-panes", "-a", "-F", "#{session_name} #{pane_pid}"], 3_000);
  for (const line of listed.stdout.trim().split("\n").filter(Boolean)) {
    const [session, pid] = line.split(" ");
    if (session && !state.sessions.includes(session)) state.sessions.push(session);
    if (pid) state.panePids.push(Number(pid));
  }
  save();
  const started = agents.filter((a) => a.start && a.name !== "_holder").map((a) => a.name);
  await waitForHeartbeats(home, started, 5_000);
  state.agentPids = started.flatMap((name) => {
    const pid = /(?:^| )pid=(\d+)/.exec(readFileSafe(heartbeatPath(runDirOf(home), name)))?.[1];
    return pid ? [Number(pid)] : [];
  });
  state.complete = true;
  save();
  return state;
}

/** The absolute path of `program` on env's PATH (for unit files), else its bare name. */
function which(program: string, env: NodeJS.ProcessEnv): Promise<string> {
  for (const dir of (env["PATH"] ?? "").split(":")) {
    if (dir === "") continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return Promise.resolve(candidate);
    } catch {
      // Not here.
    }
  }
  return Promise.resolve(program);
}

async function waitForHeartbeats(home: string, names: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (names.every((name) => existsSync(heartbeatPath(runDirOf(home), name)))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** tmux can leave its socket file behind; remove it once no server of ours answers there. */
async function removeStaleSocket(state: DemoState, env: NodeJS.ProcessEnv): Promise<void> {
  const answer = await runTmuxNamed(state.socket, env, ["list-sessions"], 3_000);
  if (answer.ok) return;
  const path = tmuxSocketPath(state.socket, env, process.getuid?.() ?? 0);
  try {
    const stat = lstatSync(path);
    if (stat.isSocket() && stat.uid === process.getuid?.()) unlinkSync(path);
  } catch {
    // Already gone.
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/** Remove everything this demo created, and nothing else (no other demo's, by name); false when there was none. */
export async function demoDown(io: DemoIo): Promise<boolean> {
  if (!readDemoState(io.demo.home)) return false;
  return withDemoLock(io.demo.home, () => demoDownLocked(io));
}

async function demoDownLocked(io: DemoIo): Promise<boolean> {
  const home = io.demo.home;
  const state = readDemoState(home);
  if (!state) return false;
  const tmuxEnv = { ...tmuxClientEnv(io.env), ...(state.tmuxTmpdir ? { TMUX_TMPDIR: state.tmuxTmpdir } : {}) };
  if (state.units.length > 0 || state.unitFiles.length > 0) {
    const managerEnv = userManagerEnv(io.env, io.uid);
    if (!managerEnv) {
      // Keep the record: without the manager the units would be orphaned.
      throw new Error(
        "the demo's units were started through a systemd user manager this shell cannot reach (set XDG_RUNTIME_DIR as when the demo started)",
      );
    }
    {
      if (state.units.length > 0) await runSystemctl({ env: managerEnv, timeoutMs: 30_000 }, ["stop", ...state.units]);
      for (const path of state.unitFiles) {
        if (existsSync(path) && readFileSync(path, "utf8").startsWith(DEMO_MARKER)) removeFile(path);
      }
      await runSystemctl({ env: managerEnv, timeoutMs: 10_000 }, ["daemon-reload"]);
      await runSystemctl({ env: managerEnv, timeoutMs: 10_000 }, ["reset-failed", ...state.units]);
    }
  }
  // Only the sessions the demo made, by exact name; the server exits with its last session.
  // A start cut short may have made a session it had no time to write down: on the demo's
  // own socket, every session the demo roster names is the demo's.
  const sessions =
    state.complete === false ? [...new Set([...state.sessions, "_holder", ...state.agents])] : state.sessions;
  for (const session of sessions) {
    await runTmuxNamed(state.socket, tmuxEnv, ["kill-session", "-t", `=${session}`], 3_000);
  }
  const deadline = Date.now() + 3_000;
  // The stubs write a last `status=stopping` beat as they go: wait for them before removing files.
  const pids = [...state.panePids, ...(state.agentPids ?? [])];
  while (pids.some((pid) => processAlive(pid)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const name of state.agents) {
    removeFile(heartbeatPath(runDirOf(home), name));
    removeFile(probePath(runDirOf(home), name));
  }
  for (const name of Object.keys(DEMO_STUB_STATUS)) removeFile(agentEnvFile(home, name));
  removeFile(join(home, "fleet", "roster.yaml"));
  // `fleet ps` cached the demo roster's fleet: that entry is the demo's too.
  dropCachedRoster(join(home, "fleet", "roster.yaml"), cacheDir(io.env), io.uid);
  removeFile(statePath(home));
  await removeStaleSocket(state, tmuxEnv);
  for (const dir of [join(home, "fleet", "run"), join(home, "fleet"), join(home, "agents"), home]) {
    try {
      rmdirSync(dir);
    } catch {
      // Not empty: something there is not the demo's.
    }
  }
  return true;
}

/** Wait until the socket has `count` sessions (the holder's and one per started agent unit). */
async function waitForSessions(
  socket: string,
  env: NodeJS.ProcessEnv,
  count: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const listed = await runTmuxNamed(socket, env, ["list-sessions", "-F", "#{session_name}"], 3_000);
    if (listed.ok && listed.stdout.trim().split("\n").filter(Boolean).length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
