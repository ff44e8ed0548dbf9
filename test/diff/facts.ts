// Hand-built desired and observed state for pure tests of the diff engine: no tmux, no
// systemd, no /proc, and a fixed clock. Every builder takes overrides so a test states
// only what it is about.

import type { FleetObservation, TenantObservation } from "../../src/observe/index.js";
import type {
  HeartbeatObservation,
  HeartbeatRecord,
  ProcessInfo,
  ProcessTree,
  SystemdObservation,
  TmuxObservation,
  TmuxPane,
  UnitState,
} from "../../src/observe/types.js";
import type { AgentSpec, FleetSpec } from "../../src/spec/resolve.js";
import { runtimeCatalog, type RuntimeSpec } from "../../src/spec/runtimes.js";
import type { AgentFacts } from "../../src/diff/types.js";

/** 2026-06-20T12:00:00Z — the injected "now" of every test. */
export const NOW_MS = Date.UTC(2026, 5, 20, 12, 0, 0);
export const NOW_S = NOW_MS / 1000;
export const HOST = "W-jarvis";
export const USER = "jarvis";
export const SOCKET = "mosaic-factory";

export const CATALOG: Map<string, RuntimeSpec> = runtimeCatalog();

export function runtime(name: string): RuntimeSpec {
  const spec = CATALOG.get(name);
  if (!spec) throw new Error(`no runtime ${name}`);
  return spec;
}

export function agentSpec(overrides: Partial<Omit<AgentSpec, "runtime">> & { runtime?: string } = {}): AgentSpec {
  const { runtime: runtimeName = "stub", ...rest } = overrides;
  const name = rest.name ?? "dogfood-coder";
  return {
    name,
    tenant: USER,
    host: HOST,
    socket: SOCKET,
    unit: `mosaic-agent@${name}.service`,
    lifecycle: "core",
    boot: "enabled",
    heartbeat: { expected: true, intervalS: 15 },
    attention: { waitingAfterS: 0, progressTimeoutS: 1800 },
    line: 1,
    ...rest,
    runtime: runtime(runtimeName),
  };
}

let nextPid = 4000;

export function proc(argv: string[], overrides: Partial<ProcessInfo> = {}): ProcessInfo {
  const pid = overrides.pid ?? nextPid++;
  return {
    pid,
    ppid: 1,
    startTicks: 100,
    startedAtMs: NOW_MS - 3_600_000,
    comm: (argv[0] ?? "").split("/").pop()?.slice(0, 15) ?? "",
    argv,
    ...overrides,
  };
}

/** A tree from a chain of argvs: each process is the child of the previous one. */
export function chain(...argvs: string[][]): ProcessTree {
  const processes: ProcessInfo[] = [];
  for (const argv of argvs) {
    const parent = processes[processes.length - 1];
    processes.push(proc(argv, parent ? { ppid: parent.pid } : {}));
  }
  return { root: processes[0] as ProcessInfo, processes };
}

export function pane(session: string, overrides: Partial<TmuxPane> = {}): TmuxPane {
  return {
    session,
    paneId: "%3",
    windowIndex: 0,
    paneIndex: 0,
    pid: 4242,
    dead: false,
    deadStatus: null,
    currentCommand: "python3",
    activity: NOW_S - 12,
    ...overrides,
  };
}

export function unit(name: string, overrides: Partial<UnitState> = {}): UnitState {
  // A loaded unit's manager reports its restarts (none by default).
  const restarts = {
    count: 0,
    result: "success",
    lastExit: { kind: "none" as const, status: 0 },
    mainStartedAtMs: null,
  };
  return { name, load: "loaded", active: "active", sub: "exited", enabled: "enabled", restarts, ...overrides };
}

function record(overrides: Partial<HeartbeatRecord> = {}): HeartbeatRecord {
  const base = { ts: NOW_S - 3, pid: 4250, status: "idle" };
  const merged = { ...base, ...overrides };
  return {
    ...merged,
    fields: overrides.fields ?? { ts: String(merged.ts), pid: String(merged.pid), status: merged.status },
  };
}

export function present(overrides: Partial<HeartbeatRecord> = {}): HeartbeatObservation {
  const rec = record(overrides);
  return { state: "present", record: rec, mtimeMs: rec.ts * 1000 };
}

/** Facts for one healthy, compliant agent; override any layer. */
export function facts(overrides: Partial<AgentFacts> = {}, spec: AgentSpec = agentSpec()): AgentFacts {
  const tree = chain(["python3", "-u", "/opt/mosaic/dogfood-agent.py"]);
  return {
    hidden: null,
    tmux: { ok: true, pane: pane(spec.name, { pid: tree.root.pid }) },
    systemd: { ok: true, unit: unit(spec.unit) },
    tree,
    treeKnown: true,
    heartbeat: present({ pid: tree.root.pid }),
    heartbeatProcess: tree.root,
    tenant: null,
    ...overrides,
  };
}

export interface ObservedAgent {
  pane?: TmuxPane | null;
  tree?: ProcessTree | null;
  unit?: UnitState;
  heartbeat?: HeartbeatObservation;
  /** What the heartbeat's pid names now (null: gone). */
  writer?: ProcessInfo | null;
}

/**
 * A fleet and its observation from a per-agent description. Agents without an entry in
 * `observed` are healthy stubs (pane alive running dogfood-agent.py, unit active+enabled,
 * fresh heartbeat).
 */
export function world(
  specs: AgentSpec[],
  observed: Record<string, ObservedAgent> = {},
  extra: { sessions?: TmuxPane[]; tmux?: TenantObservation["tmux"]; systemd?: TenantObservation["systemd"] } = {},
): { fleet: FleetSpec; observation: FleetObservation } {
  const sessions = new Map<string, TmuxPane>();
  const units = new Map<string, UnitState>();
  const trees = new Map<number, ProcessTree | null>();
  const heartbeats = new Map<string, HeartbeatObservation>();
  const heartbeatProcesses = new Map<number, ProcessInfo | null>();
  let paneNumber = 0;
  for (const spec of specs) {
    const o = observed[spec.name] ?? {};
    const tree = o.tree === undefined ? chain(["python3", "-u", "/opt/mosaic/dogfood-agent.py"]) : o.tree;
    const p =
      o.pane === undefined ? pane(spec.name, { paneId: `%${paneNumber++}`, pid: tree?.root.pid ?? nextPid++ }) : o.pane;
    if (p) {
      sessions.set(spec.name, p);
      trees.set(p.pid, p.dead ? null : tree);
    }
    units.set(spec.unit, o.unit ?? unit(spec.unit));
    const hb = o.heartbeat ?? present({ pid: tree?.root.pid ?? 4250 });
    if (spec.heartbeat.expected) heartbeats.set(spec.name, hb);
    if (hb.state === "present") {
      heartbeatProcesses.set(
        hb.record.pid,
        o.writer === undefined ? (tree?.root ?? proc(["agent"], { pid: hb.record.pid })) : o.writer,
      );
    }
  }
  for (const extraPane of extra.sessions ?? []) sessions.set(extraPane.session, extraPane);
  const tmux: TenantObservation["tmux"] =
    extra.tmux ??
    new Map([
      [
        SOCKET,
        { ok: true, socket: SOCKET, socketPath: `/tmp/tmux-1000/${SOCKET}`, sessions } satisfies TmuxObservation,
      ],
    ]);
  const systemd: TenantObservation["systemd"] = extra.systemd ?? ({ ok: true, units } satisfies SystemdObservation);
  const access: TenantObservation["access"] = {
    visible: true,
    account: { name: USER, uid: 1000, gid: 1000, home: `/home/${USER}` },
    delegated: false,
    env: {},
    runDir: "/run",
  };
  const tenant: TenantObservation = { tenant: USER, access, tmux, systemd, heartbeats, heartbeatProcesses };
  return {
    fleet: { file: "roster.yaml", fleet: "mosaic-factory", agents: specs, hosts: [], runtimes: CATALOG },
    observation: {
      observedAtMs: NOW_MS,
      host: HOST,
      user: USER,
      tenants: new Map([[USER, tenant]]),
      trees,
      procReadable: true,
    },
  };
}
