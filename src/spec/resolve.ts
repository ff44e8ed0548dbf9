import { userInfo, hostname } from "node:os";
import { parseDelay, parseDuration } from "./duration.js";
import type { RuntimeSpec } from "./runtimes.js";
import type { AgentEntry, RosterDocument } from "./schema.js";

// Merges defaults into each agent: the fleet spec every later stage reads. Pure but for
// the two facts of the machine it defaults to (invoking user, hostname), passed in.

const DEFAULT_SOCKET = "mosaic-factory";
const DEFAULT_UNIT = "mosaic-agent@{name}.service";
const DEFAULT_HEARTBEAT_INTERVAL_S = 15;
/** AwaitingInput as soon as the agent waits. */
const DEFAULT_WAITING_AFTER_S = 0;
/** NoProgress after half an hour of silent work. */
const DEFAULT_PROGRESS_TIMEOUT_S = 1800;

export interface AgentSpec {
  name: string;
  tenant: string;
  host: string;
  socket: string;
  unit: string;
  lifecycle: "core" | "ephemeral";
  boot: "enabled" | "any";
  heartbeat: { expected: boolean; intervalS: number };
  /** When the agent's own state needs the operator (docs/roster.md `attention`). */
  attention: { waitingAfterS: number; progressTimeoutS: number };
  runtime: RuntimeSpec;
  /** Where the agent is declared, for messages. */
  line: number;
}

/** How a host is reached (docs/roster.md, Hosts). */
export type HostSpec =
  { name: string; via: "ssh"; destination: string; mosaic: string } | { name: string; via: "local" };

/**
 * The names this machine goes by in a roster: its hostname, and every host described
 * `local: true` ("this machine under another name", docs/roster.md, Hosts). Whatever asks
 * "is this agent here?" — observing, agent commands, apply, watch — asks this.
 */
export function thisMachineNames(fleet: Pick<FleetSpec, "hosts">, hostname: string): ReadonlySet<string> {
  const names = new Set([hostname]);
  for (const host of fleet.hosts) if (host.via === "local") names.add(host.name);
  return names;
}

export interface FleetSpec {
  file: string;
  fleet: string;
  agents: AgentSpec[];
  /** The roster's `hosts:`, in file order (a list, not a record: host names are data, not keys). */
  hosts: HostSpec[];
  runtimes: Map<string, RuntimeSpec>;
}

export interface MachineFacts {
  user: string;
  hostname: string;
}

let facts: MachineFacts | null = null;

/** The invoking user and this host: the defaults for tenant and host. */
export function machineFacts(): MachineFacts {
  // Asked once per process: userInfo() reads the passwd database every time.
  if (facts !== null) return { ...facts };
  let user = process.env["USER"] ?? "unknown";
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry for this uid (containers): fall back to $USER.
  }
  facts = { user, hostname: hostname() };
  return { ...facts };
}

function heartbeatOf(value: AgentEntry["heartbeat"], fallback: AgentSpec["heartbeat"]): AgentSpec["heartbeat"] {
  if (value === undefined) return fallback;
  if (typeof value === "boolean") return { expected: value, intervalS: fallback.intervalS };
  const interval = value.interval === undefined ? fallback.intervalS : parseDuration(value.interval);
  return { expected: true, intervalS: interval ?? fallback.intervalS };
}

function attentionOf(value: AgentEntry["attention"], fallback: AgentSpec["attention"]): AgentSpec["attention"] {
  return {
    waitingAfterS:
      value?.waiting_after === undefined
        ? fallback.waitingAfterS
        : (parseDelay(value.waiting_after) ?? fallback.waitingAfterS),
    progressTimeoutS:
      value?.progress_timeout === undefined
        ? fallback.progressTimeoutS
        : (parseDuration(value.progress_timeout) ?? fallback.progressTimeoutS),
  };
}

/** The resolved fleet: every agent with every field decided. */
export function resolveFleet(
  file: string,
  doc: RosterDocument,
  runtimes: Map<string, RuntimeSpec>,
  facts: MachineFacts,
  lines: readonly number[],
): FleetSpec {
  const d = doc.defaults ?? {};
  const baseHeartbeat = heartbeatOf(d.heartbeat, { expected: true, intervalS: DEFAULT_HEARTBEAT_INTERVAL_S });
  const baseAttention = attentionOf(d.attention, {
    waitingAfterS: DEFAULT_WAITING_AFTER_S,
    progressTimeoutS: DEFAULT_PROGRESS_TIMEOUT_S,
  });
  const agents = doc.agents.map((entry, index): AgentSpec => {
    const runtime = runtimes.get(entry.runtime);
    if (!runtime) throw new Error(`resolveFleet: unknown runtime ${entry.runtime} passed validation`);
    const unitTemplate = entry.unit ?? d.unit ?? DEFAULT_UNIT;
    return {
      name: entry.name,
      tenant: entry.tenant ?? d.tenant ?? facts.user,
      host: entry.host ?? d.host ?? facts.hostname,
      socket: entry.socket ?? d.socket ?? DEFAULT_SOCKET,
      unit: unitTemplate.replaceAll("{name}", entry.name),
      lifecycle: entry.lifecycle ?? d.lifecycle ?? "core",
      boot: entry.boot ?? d.boot ?? "enabled",
      heartbeat: heartbeatOf(entry.heartbeat, baseHeartbeat),
      attention: attentionOf(entry.attention, baseAttention),
      runtime,
      line: lines[index] ?? 0,
    };
  });
  const hosts = Object.entries(doc.hosts ?? {}).map(([name, host]): HostSpec =>
    host.ssh !== undefined
      ? { name, via: "ssh", destination: host.ssh, mosaic: host.mosaic ?? "mosaic" }
      : { name, via: "local" },
  );
  return { file, fleet: doc.fleet ?? d.socket ?? DEFAULT_SOCKET, agents, hosts, runtimes };
}
