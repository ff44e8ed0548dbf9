import { z } from "zod";
import { safeText } from "../terminal-text.js";
import { MAX_OBSERVATION_BYTES } from "./remote.js";
import type { FleetObservation, TenantObservation } from "./index.js";
import type { TenantAccess } from "./tenants.js";
import type {
  HeartbeatObservation,
  ProcessInfo,
  ProcessTree,
  SourceUnavailable,
  TmuxObservation,
  TmuxPane,
  UnitRestarts,
  UnitState,
} from "./types.js";
import type { HeartbeatRecord } from "../heartbeat/index.js";

// The FleetObservation as a JSON document (docs/json.md, FleetObservation): what
// `mosaic fleet observe -o json` prints on a remote host, and what the operator's side
// decodes. Only facts cross the wire; the operator judges them with the roster it holds.
// The decoder treats the answer as hostile: one strict schema with bounded strings and
// counts, under a byte cap, so a bad answer is refused with a reason and never crashes.

export const OBSERVATION_API_VERSION = "mosaic.fleet/v1";
export const OBSERVATION_KIND = "FleetObservation";
export { MAX_OBSERVATION_BYTES };

const MAX_TEXT = 4096;
const MAX_ITEMS = 20_000;
const text = z.string().max(MAX_TEXT);
const int = z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER);
const pid = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31);
const entries = <K extends z.ZodType, V extends z.ZodType>(key: K, value: V, max = MAX_ITEMS) =>
  z.array(z.tuple([key, value]), {}).max(max);

const SourceUnavailableWire = z.strictObject({
  ok: z.literal(false),
  reason: z.enum(["TmuxUnavailable", "TmuxTimeout", "SocketUnsafe", "SystemdUnavailable", "SystemdTimeout"]),
  message: text,
});

const PaneWire = z.strictObject({
  session: text,
  paneId: text,
  windowIndex: int,
  paneIndex: int,
  pid,
  dead: z.boolean(),
  deadStatus: int.nullable(),
  deadSignal: int.nullable().optional(),
  lastLines: z.array(text).max(1000).optional(),
  currentCommand: text,
  activity: z.number().finite(),
});

const TmuxWire = z.union([
  z.strictObject({ ok: z.literal(true), socket: text, socketPath: text, sessions: entries(text, PaneWire) }),
  SourceUnavailableWire,
]);

const RestartsWire = z.strictObject({
  count: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  result: text,
  lastExit: z.strictObject({ kind: z.enum(["exited", "killed", "dumped", "none"]), status: int.nullable() }),
  mainStartedAtMs: z.number().finite().nullable(),
});
const UnitWire = z.strictObject({
  name: text,
  load: text,
  active: text,
  sub: text,
  enabled: text,
  fileType: text.optional(),
  restarts: RestartsWire.optional(),
});
const SystemdWire = z.union([
  z.strictObject({ ok: z.literal(true), units: entries(text, UnitWire) }),
  SourceUnavailableWire,
]);

const ProcessWire = z.strictObject({
  pid,
  ppid: pid,
  startTicks: z.number().finite().min(0),
  startedAtMs: z.number().finite(),
  comm: text,
  argv: z.array(text).max(256),
  pgid: pid.optional(),
  sid: pid.optional(),
});

const TreeWire = z.strictObject({
  root: ProcessWire,
  processes: z.array(ProcessWire).max(MAX_ITEMS),
  foreground: ProcessWire.optional(),
  foregroundGroup: pid.optional(),
  /** Each tree process's resolved executable, read there (the lazy exeOf cannot cross hosts). */
  exes: z
    .array(z.tuple([pid, text.nullable()]))
    .max(MAX_ITEMS)
    .optional(),
});

const RecordWire = z.strictObject({
  ts: z.number().finite(),
  pid,
  status: text,
  seq: z.number().finite().optional(),
  probe: text.optional(),
  ack: text.optional(),
  name: text.optional(),
  since: z.number().finite().optional(),
  note: text.optional(),
  // Pairs, not an object: a key such as __proto__ stays a plain key.
  fields: z.array(z.tuple([text, text])).max(256),
});

const HeartbeatWire = z.union([
  z.strictObject({
    state: z.literal("present"),
    mtimeMs: z.number().finite(),
    record: RecordWire,
  }),
  z.strictObject({ state: z.literal("missing") }),
  z.strictObject({
    state: z.literal("invalid"),
    reason: z.enum(["NotRegularFile", "Symlink", "TooLarge", "Malformed", "Untrusted", "ReadError"]),
    message: text,
  }),
]);

const AccessWire = z.union([
  z.strictObject({ visible: z.literal(true), uid: pid, delegated: z.boolean() }),
  z.strictObject({ visible: z.literal(false), reason: z.enum(["TenantNotVisible", "NoSuchTenant"]), message: text }),
]);

const TenantWire = z.strictObject({
  tenant: text,
  access: AccessWire,
  tmux: entries(text, TmuxWire, 256),
  systemd: SystemdWire.nullable(),
  heartbeats: entries(text, HeartbeatWire),
  heartbeatProcesses: entries(pid, ProcessWire.nullable()),
  linger: z.boolean().nullable().optional(),
});

const ObservationWire = z.strictObject({
  apiVersion: z.literal(OBSERVATION_API_VERSION),
  kind: z.literal(OBSERVATION_KIND),
  mosaicVersion: text.optional(),
  observedAtMs: z.number().finite(),
  host: text,
  user: text,
  procReadable: z.boolean(),
  tenants: z.array(TenantWire).max(1024),
  trees: entries(pid, TreeWire.nullable()),
  zombies: z.array(pid).max(MAX_ITEMS).optional(),
});

// Compile-time guard: a field added to an observed type must be added to the wire too
// (or the remote answer would be refused, or silently lose it).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Keys<T> = Exclude<keyof T, "exeOf">;
const wireMatchesTypes: [
  Same<Keys<z.infer<typeof ProcessWire>>, Keys<ProcessInfo>>,
  Same<Exclude<Keys<z.infer<typeof TreeWire>>, "exes">, Keys<ProcessTree>>,
  Same<Keys<z.infer<typeof PaneWire>>, Keys<TmuxPane>>,
  Same<Keys<z.infer<typeof UnitWire>>, Keys<UnitState>>,
  Same<
    Keys<z.infer<typeof ObservationWire>>,
    Exclude<Keys<FleetObservation>, "unreachable"> | "apiVersion" | "kind" | "mosaicVersion"
  >,
  Same<Keys<z.infer<typeof TenantWire>>, Keys<TenantObservation>>,
  Same<Keys<z.infer<typeof RecordWire>>, Keys<HeartbeatRecord>>,
  Same<Keys<z.infer<typeof RestartsWire>>, Keys<UnitRestarts>>,
] = [true, true, true, true, true, true, true, true];
void wireMatchesTypes;

type ObservationDocument = z.infer<typeof ObservationWire>;

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
    tenants: [...observation.tenants.values()].map((t) => ({
      tenant: t.tenant,
      access: accessWire(t.access),
      tmux: [...t.tmux].map(([socket, tmux]) => [socket, tmuxWire(tmux)]),
      systemd: t.systemd === null ? null : t.systemd.ok ? { ok: true, units: [...t.systemd.units] } : t.systemd,
      heartbeats: [...t.heartbeats].map(([name, hb]) => [name, heartbeatWire(hb)]),
      heartbeatProcesses: [...t.heartbeatProcesses],
    })),
    trees: [...observation.trees].map(([p, tree]) => [p, tree === null ? null : treeWire(tree)]),
    ...(observation.zombies && observation.zombies.size > 0 ? { zombies: [...observation.zombies] } : {}),
  };
  return `${JSON.stringify(document)}\n`;
}

/** Why an answer was refused: the version did not match, or it is not a valid document. */
export type DecodeFailure = { ok: false; reason: "RemoteVersionMismatch" | "RemoteAnswerInvalid"; message: string };

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "not a FleetObservation";
  const path = issue.path.map(String).join(".") || "document";
  return `${path}: ${issue.message}`.slice(0, 200);
}

/** A unit as the diff reads it (optional facts left out, not undefined). */
function unitFrom(wire: z.infer<typeof UnitWire>): UnitState {
  const { fileType, restarts, ...rest } = wire;
  return { ...rest, ...(fileType !== undefined ? { fileType } : {}), ...(restarts !== undefined ? { restarts } : {}) };
}

/** A pane as the diff reads it; a dead pane's last lines arrive escaped here, whatever the host sent. */
function paneFrom(wire: z.infer<typeof PaneWire>): TmuxPane {
  const { lastLines, deadSignal, ...rest } = wire;
  return {
    ...rest,
    ...(deadSignal !== undefined ? { deadSignal } : {}),
    ...(lastLines !== undefined ? { lastLines: lastLines.map(safeText) } : {}),
  };
}

function tree(wire: z.infer<typeof TreeWire>): ProcessTree {
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

function process_(wire: z.infer<typeof ProcessWire>): ProcessInfo {
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
  const parsed = ObservationWire.safeParse(value);
  if (!parsed.success) return { ok: false, reason: "RemoteAnswerInvalid", message: firstIssue(parsed.error) };
  const doc = parsed.data;
  const tenants = new Map<string, TenantObservation>();
  for (const t of doc.tenants) {
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
      tenant: t.tenant,
      access,
      tmux: new Map(
        t.tmux.map(([socket, tmux]): [string, TmuxObservation | SourceUnavailable] => [
          socket,
          tmux.ok ? { ...tmux, sessions: new Map(tmux.sessions.map(([name, pane]) => [name, paneFrom(pane)])) } : tmux,
        ]),
      ),
      systemd:
        t.systemd === null
          ? null
          : t.systemd.ok
            ? { ok: true, units: new Map(t.systemd.units.map(([name, unit]) => [name, unitFrom(unit)])) }
            : t.systemd,
      heartbeats: new Map(
        t.heartbeats.map(([name, hb]): [string, HeartbeatObservation] => [
          name,
          hb.state === "present" ? { ...hb, record: stripUndefined(hb.record) } : hb,
        ]),
      ),
      heartbeatProcesses: new Map(t.heartbeatProcesses.map(([p, info]) => [p, info === null ? null : process_(info)])),
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

function stripUndefined(record: z.infer<typeof RecordWire>): HeartbeatRecord {
  const { fields, ...rest } = record;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Omit<
    HeartbeatRecord,
    "fields"
  >;
  return { ...defined, fields: Object.fromEntries(fields) };
}
