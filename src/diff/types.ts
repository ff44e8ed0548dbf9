import type { ComplianceSummary } from "./compliance.js";
import type { AgentDiff } from "./roster-diff.js";
import type {
  HeartbeatObservation,
  ProcessInfo,
  ProcessTree,
  SourceUnavailable,
  TenantObservation,
  TmuxPane,
  UnitState,
} from "../observe/index.js";

// Conditions (Kubernetes style, abnormal-true): `True` means something is wrong.
// Types and reasons are named constants so consumers can match on them.

export const CONDITION_TYPES = [
  "PaneDead",
  "Stale",
  "Drift",
  "BootDisabled",
  "UnitDown",
  "CrashLoop",
  "AwaitingInput",
  "NoProgress",
] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];
export type ConditionStatus = "True" | "False" | "Unknown";

/** Why another host's agents could not be observed over ssh (docs/conditions.md, Visibility). */
export type HostReason =
  | "HostUnreachable"
  | "HostTimeout"
  | "HostAuthFailed"
  | "RemoteMosaicMissing"
  | "RemoteVersionMismatch"
  | "RemoteAnswerInvalid";

/** Reasons that make a condition Unknown because the data is not available here. */
type VisibilityReason = "RemoteHost" | "TenantNotVisible" | "NoSuchTenant" | HostReason;

export type Reason =
  | VisibilityReason
  | "TmuxUnavailable"
  | "TmuxTimeout"
  | "SocketUnsafe"
  | "ProcUnavailable"
  | "SystemdUnavailable"
  | "SystemdTimeout"
  // PaneDead
  | "PaneMissing"
  | "ProcessExited"
  | "PaneAlive"
  | "NotScheduled"
  // Stale
  | "HeartbeatExpired"
  | "HeartbeatPidGone"
  | "HeartbeatPidReused"
  | "HeartbeatFresh"
  | "HeartbeatNotExpected"
  | "NoHeartbeat"
  | "HeartbeatMalformed"
  | "HeartbeatUntrusted"
  | "HeartbeatUnreadable"
  | "ClockAnomaly"
  // Drift
  | "RuntimeMismatch"
  | "RuntimeMatches"
  | "NoProcess"
  // BootDisabled
  | "UnitNotEnabled"
  | "UnitEnabled"
  | "BootNotRequired"
  | "UnitNotActive"
  | "UnitNotFound"
  // UnitDown
  | "UnitInactive"
  | "UnitFailed"
  | "UnitActive"
  | "UnitActivating"
  // BootDisabled, for the tenant's user manager
  | "LingerDisabled"
  // AwaitingInput
  | "WaitingForOperator"
  | "WaitingBriefly"
  | "NotWaiting"
  // NoProgress
  | "NoActivity"
  | "Progressing"
  | "NotWorking"

  // CrashLoop
  | "RestartLoop"
  | "StartLimitHit"
  | "NotRestarting"
  | "RestartsUnknown";

export interface Condition {
  type: ConditionType;
  status: ConditionStatus;
  reason: Reason;
  message: string;
}

/** Everything observed about one agent, joined across the sources. */
export interface AgentFacts {
  /** Why this agent cannot be observed from here, if it cannot. */
  hidden: { reason: VisibilityReason; message: string } | null;
  tmux: { ok: true; pane: TmuxPane | null } | SourceUnavailable;
  systemd: { ok: true; unit: UnitState } | SourceUnavailable;
  /** The pane's process tree; null when the pane or its process is gone. */
  tree: ProcessTree | null;
  /** False when /proc was unreadable: a null tree then means "unknown", not "gone". */
  treeKnown: boolean;
  /** The pane's process exited but the tmux server has not reaped it (a zombie). */
  rootZombie?: boolean;
  heartbeat: HeartbeatObservation;
  /** The process the heartbeat's pid names now, if any. */
  heartbeatProcess: ProcessInfo | null;
  /**
   * The agent's tenant as observed (null: not observed here): tenant-wide facts such as
   * `linger` are read from it as they are, so a new tenant observer needs no edit here.
   */
  tenant: TenantObservation | null;
}

export type PaneState = "alive" | "dead" | "missing" | "unknown";
export type HeartbeatState = "healthy" | "stale" | "unknown";

/** One agent's row: its JSON record (docs/json.md, Agent record). */
export interface AgentStatus {
  name: string;
  tenant_id: string;
  host: string;
  lifecycle: "core" | "ephemeral";
  socket: string;
  runtime: {
    desired: string;
    actual: string | null;
    command: string | null;
    /** Helper processes of the pane's tree that left its session (daemons), by short command; only when some did. */
    helpers_left_session?: string[];
  };
  unit: {
    name: string;
    active: string;
    sub: string;
    enabled: string;
    load: string;
    /** systemd's NRestarts, Result and the main process's last exit (loaded units). */
    n_restarts?: number;
    result?: string;
    last_exit?: { kind: "exited" | "killed" | "dumped" | "none"; status: number | null };
    /** Type= of the unit file on disk when the current run is a oneshot's: another type means a run to migrate. */
    file_type?: string;
  };
  pane: {
    state: PaneState;
    target: string | null;
    pid: number | null;
    command: string | null;
    idle_s: number | null;
    exit_status?: number | null;
    /** Why a dead pane died: its exit status or signal and its last lines (escaped, bounded). */
    exit?: { status: number | null; signal: string | null; lastLines: string[] };
  };
  heartbeat: {
    state: HeartbeatState;
    age_s: number | null;
    pid: number | null;
    status: string | null;
    interval_s: number;
    expected: boolean;
    seq?: number;
    ack?: string;
    /** v1.1: unix seconds when the status began. */
    since?: number;
    /** v1.1: the writer's short reason, escaped for display. */
    note?: string;
    /** With `fleet ps --probe`: whether the responder echoed the nonce, and how fast. */
    probe?: { answered: boolean; rtt_ms: number | null };
  };
  conditions: Condition[];
}

export interface UnmanagedSession {
  session: string;
  socket: string;
  tenant_id: string;
  host: string;
}

/** A session grouped with an agent's session: another view of the agent's windows, not an agent. */
export interface GroupedSession extends UnmanagedSession {
  /** The roster agent whose pane this session shows. */
  agent: string;
}

export interface FixStep {
  agent: string;
  tenant_id: string;
  host: string;
  /** The condition the step remedies; `LegacyUnit` for moving an agent off the oneshot unit. */
  condition: ConditionType | "LegacyUnit";
  /** The step as a human would paste it (with the `runuser` prefix when it runs as a tenant). */
  argv: string[];
  disruptive: boolean;
  why: string;
  /** What `fleet apply` runs: the command itself, the account it runs as, and what it touches. */
  action?: FixAction;
}

/** A plan step as data for `fleet apply` (docs/commands.md): never shell text. */
export interface FixAction {
  /** `advice`: shown, never run (a unit file to install, a state to check by hand). */
  kind: "enable" | "start" | "enable-now" | "restart" | "kill-session" | "advice";
  /** argv without any prefix: run as `run_as`. */
  command: string[];
  /** The tenant account to run as, when it is not the invoking user (root acting for a tenant). */
  run_as: string | null;
  target: { unit: string } | { session: string; socket: string };
}

/** The one status object every format is rendered from (docs/json.md). */
export interface FleetStatus {
  apiVersion: "mosaic.fleet/v1";
  kind: "FleetStatus";
  fleet: string;
  roster: string;
  observedAt: string;
  host: string;
  /** The invoking user: whose view this is. */
  tenant_id: string;
  agents: AgentStatus[];
  unmanaged: UnmanagedSession[];
  /** Sessions grouped with an agent's (`tmux new-session -t`): views of it, not unmanaged. */
  grouped?: GroupedSession[];
  /** Each tenant on this host and whether (and how) it could be observed. */
  tenants?: {
    tenant_id: string;
    host: string;
    observed: boolean;
    uid?: number;
    delegated?: boolean;
    reason?: Reason;
    message?: string;
  }[];
  /** Whole-source problems (no tmux server, no user manager), for the footer. */
  sources: { source: string; tenant_id: string; host: string; reason: Reason; message: string }[];
  fixPlan?: FixStep[];
}

/**
 * `fleet diff -o json`: the status, with each agent's field-level differences and the
 * compliance summary that decides the exit code (docs/json.md).
 */
export interface FleetDiffDocument extends Omit<FleetStatus, "kind" | "summary"> {
  kind: "FleetDiff";
  diff: AgentDiff[];
  /** `compliant` here is the verdict (true: exit 0), not the count `fleet report` carries. */
  summary: Omit<ComplianceSummary, "compliant"> & { unmanaged: number; compliant: boolean };
}
