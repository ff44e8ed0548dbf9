import { z } from "zod";
import { OBSERVATION_API_VERSION, OBSERVATION_KIND } from "./wire-version.js";
import type { FleetObservation, TenantObservation } from "./index.js";
import type { ProcessInfo, ProcessTree, TmuxPane, UnitRestarts, UnitState } from "./types.js";
import type { HeartbeatRecord } from "../heartbeat/index.js";

// The FleetObservation wire document's schema (docs/json.md, FleetObservation), in zod:
// the one definition of what a host's answer may be. It is never loaded by `fleet ps`:
// scripts/wire-check.mjs compiles its JSON Schema into src/observe/wire-check.js (a plain
// function, ajv standalone), which the operator runs on every answer; a test keeps the
// two the same (test/remote/wire-check.test.ts).

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

export const PaneWire = z.strictObject({
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
export const UnitWire = z.strictObject({
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

export const ProcessWire = z.strictObject({
  pid,
  ppid: pid,
  startTicks: z.number().finite().min(0),
  startedAtMs: z.number().finite(),
  comm: text,
  argv: z.array(text).max(256),
  pgid: pid.optional(),
  sid: pid.optional(),
});

export const TreeWire = z.strictObject({
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

export const RecordWire = z.strictObject({
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

export const ObservationWire = z.strictObject({
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

/** The decoded document, as the schema types it. */
export type ObservationDocument = z.infer<typeof ObservationWire>;
