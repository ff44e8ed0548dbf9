import type { z } from "zod";
import { safeText } from "../terminal-text.js";
import { MAX_OBSERVATION_BYTES } from "./remote.js";
import { wireProblem } from "./wire-check.js";
import type { ObservationDocument, PaneWire, ProcessWire, RecordWire, TreeWire, UnitWire } from "./wire-schema.js";
import { OBSERVATION_API_VERSION, OBSERVATION_KIND } from "./wire-version.js";
import type { FleetObservation, TenantObservation } from "./index.js";
import type { TenantAccess } from "./tenants.js";
import type {
  HeartbeatObservation,
  ProcessInfo,
  ProcessTree,
  SourceUnavailable,
  TmuxObservation,
  TmuxPane,
  UnitState,
} from "./types.js";
import type { HeartbeatRecord } from "../heartbeat/index.js";

// The FleetObservation as a JSON document (docs/json.md, FleetObservation): what
// `mosaic fleet observe -o json` prints on a remote host, and what the operator's side
// decodes. Only facts cross the wire; the operator judges them with the roster it holds.
// The decoder treats the answer as hostile: one strict schema with bounded strings and
// counts (wire-schema.ts, checked by wire-check.ts without loading zod), under a byte
// cap, so a bad answer is refused with a reason and never crashes.

export { OBSERVATION_API_VERSION, OBSERVATION_KIND, MAX_OBSERVATION_BYTES };

type Wire<T extends z.ZodType> = z.infer<T>;

function accessWire(access: TenantAccess): ObservationDocument["tenants"][number]["access"] {
  return access.visible
    ? { visible: true, uid: access.account.uid, delegated: access.delegated }
    : { visible: false, reason: access.reason, message: access.message };
}

function heartbeatWire(hb: HeartbeatObservation) {
  return hb.state === "present" ? { ...hb, record: { ...hb.record, fields: Object.entries(hb.record.fields) } } : hb;
}

function tmuxWire(tmux: TmuxObservation | SourceUnavailable) {
  return tmux.ok ? { ...tmux, sessions: [...tmux.sessions] } : tmux;
}

function treeWire(tree: ProcessTree) {
  const exeOf = tree.exeOf;
  return exeOf ? { ...tree, exes: tree.processes.map((p) => [p.pid, exeOf(p.pid)]) } : tree;
}

/** The observation as the JSON document `fleet observe -o json` prints. */
export function encodeObservation(observation: FleetObservation, mosaicVersion: string): string {
  const document = {
    apiVersion: OBSERVATION_API_VERSION,
    kind: OBSERVATION_KIND,
    mosaicVersion,
    observedAtMs: observation.observedAtMs,
    host: observation.host,
    user: observation.user,
    procReadable: observation.procReadable,
    tenants: [...observation.tenants.values()].map(
      ({ tenant, access, tmux, systemd, heartbeats, heartbeatProcesses, ...tenantFacts }) => ({
        tenant,
        access: accessWire(access),
        tmux: [...tmux].map(([socket, observed]) => [socket, tmuxWire(observed)]),
        systemd: systemd === null ? null : systemd.ok ? { ok: true, units: [...systemd.units] } : systemd,
        heartbeats: [...heartbeats].map(([name, hb]) => [name, heartbeatWire(hb)]),
        heartbeatProcesses: [...heartbeatProcesses],
        // Tenant-wide facts that are plain JSON (linger, …) travel as they are: a new one
        // needs its field in wire-schema.ts, and nothing here.
        ...tenantFacts,
      }),
    ),
    trees: [...observation.trees].map(([p, tree]) => [p, tree === null ? null : treeWire(tree)]),
    ...(observation.zombies && observation.zombies.size > 0 ? { zombies: [...observation.zombies] } : {}),
  };
  return `${JSON.stringify(document)}\n`;
}

/** Why an answer was refused: the version did not match, or it is not a valid document. */
export type DecodeFailure = { ok: false; reason: "RemoteVersionMismatch" | "RemoteAnswerInvalid"; message: string };

/** A unit as the diff reads it (optional facts left out, not undefined). */
function unitFrom(wire: Wire<typeof UnitWire>): UnitState {
  const { fileType, restarts, ...rest } = wire;
  return { ...rest, ...(fileType !== undefined ? { fileType } : {}), ...(restarts !== undefined ? { restarts } : {}) };
}

/** A pane as the diff reads it; a dead pane's last lines arrive escaped here, whatever the host sent. */
function paneFrom(wire: Wire<typeof PaneWire>): TmuxPane {
  const { lastLines, deadSignal, ...rest } = wire;
  return {
    ...rest,
    ...(deadSignal !== undefined ? { deadSignal } : {}),
    ...(lastLines !== undefined ? { lastLines: lastLines.map(safeText) } : {}),
  };
}

function tree(wire: Wire<typeof TreeWire>): ProcessTree {
  const { foreground, foregroundGroup, exes, ...rest } = wire;
  const built: ProcessTree = {
    ...rest,
    ...(foreground !== undefined ? { foreground } : {}),
    ...(foregroundGroup !== undefined ? { foregroundGroup } : {}),
  };
  // The executables read on that host; never this host's /proc for that host's pids.
  const known = new Map(exes ?? []);
  Object.defineProperty(built, "exeOf", { value: (p: number) => known.get(p) ?? null, enumerable: false });
  return built;
}

function process_(wire: Wire<typeof ProcessWire>): ProcessInfo {
  return wire;
}

/** Decode a host's answer into an observation, or say why it is refused. */
export function decodeObservation(raw: string): { ok: true; observation: FleetObservation } | DecodeFailure {
  if (Buffer.byteLength(raw, "utf8") > MAX_OBSERVATION_BYTES)
    return { ok: false, reason: "RemoteAnswerInvalid", message: `answer larger than ${MAX_OBSERVATION_BYTES} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, reason: "RemoteAnswerInvalid", message: "answer is not JSON" };
  }
  // The version is checked first, so an older or newer mosaic is named as such.
  const head = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  if (head["apiVersion"] !== OBSERVATION_API_VERSION || head["kind"] !== OBSERVATION_KIND) {
    const said = typeof head["apiVersion"] === "string" ? String(head["apiVersion"]).slice(0, 64) : "none";
    const kind = typeof head["kind"] === "string" ? String(head["kind"]).slice(0, 64) : "none";
    return {
      ok: false,
      reason: "RemoteVersionMismatch",
      message: `answer is apiVersion ${JSON.stringify(said)} kind ${JSON.stringify(kind)}; this mosaic reads ${OBSERVATION_API_VERSION} ${OBSERVATION_KIND}`,
    };
  }
  const problem = wireProblem(value);
  if (problem !== null) return { ok: false, reason: "RemoteAnswerInvalid", message: problem };
  const doc = value as ObservationDocument;
  const tenants = new Map<string, TenantObservation>();
  for (const { tmux, systemd, heartbeats, heartbeatProcesses, ...t } of doc.tenants) {
    const access: TenantAccess = t.access.visible
      ? {
          visible: true,
          account: { name: t.tenant, uid: t.access.uid, gid: -1, home: "" },
          delegated: t.access.delegated,
          env: {},
          runDir: "",
        }
      : t.access;
    tenants.set(t.tenant, {
      ...t,
      access,
      tmux: new Map(
        tmux.map(([socket, tmux]): [string, TmuxObservation | SourceUnavailable] => [
          socket,
          tmux.ok ? { ...tmux, sessions: new Map(tmux.sessions.map(([name, pane]) => [name, paneFrom(pane)])) } : tmux,
        ]),
      ),
      systemd:
        systemd === null
          ? null
          : systemd.ok
            ? { ok: true, units: new Map(systemd.units.map(([name, unit]) => [name, unitFrom(unit)])) }
            : systemd,
      heartbeats: new Map(
        heartbeats.map(([name, hb]): [string, HeartbeatObservation] => [
          name,
          hb.state === "present" ? { ...hb, record: stripUndefined(hb.record) } : hb,
        ]),
      ),
      heartbeatProcesses: new Map(heartbeatProcesses.map(([p, info]) => [p, info === null ? null : process_(info)])),
    });
  }
  return {
    ok: true,
    observation: {
      observedAtMs: doc.observedAtMs,
      host: doc.host,
      user: doc.user,
      procReadable: doc.procReadable,
      tenants,
      trees: new Map(doc.trees.map(([p, t]) => [p, t === null ? null : tree(t)])),
      ...(doc.zombies !== undefined ? { zombies: new Set(doc.zombies) } : {}),
    },
  };
}

function stripUndefined(record: Wire<typeof RecordWire>): HeartbeatRecord {
  const { fields, ...rest } = record;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Omit<
    HeartbeatRecord,
    "fields"
  >;
  return { ...defined, fields: Object.fromEntries(fields) };
}
