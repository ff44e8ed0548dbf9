// Shared helpers for the agent-*, probe-* and demo-* tests: run the real CLI
// (bin/mosaic → dist/) the way a user does, read heartbeat files, walk /proc.
// Not a test file (no .test.ts), so vitest never runs it on its own.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseHeartbeat } from "../../src/heartbeat/grammar.js";
import type { HeartbeatRecord } from "../../src/observe/types.js";
import type { AgentStatus, FleetStatus } from "../../src/diff/types.js";
import { childPids, pidAlive, pidState, sleep, waitFor as waitUntil } from "../helpers/proc.mjs";
import { mosaic as runMosaic, type CliRun } from "./fleet-support.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = join(ROOT, "bin", "mosaic");
const HOST = hostname();
const USER = (() => {
  try {
    return userInfo().username;
  } catch {
    return process.env["USER"] ?? "root";
  }
})();
export const UID = process.getuid?.() ?? 0;

export function assertBuilt(): void {
  if (!existsSync(join(ROOT, "dist", "cli.cjs"))) throw new Error("dist/cli.cjs is missing: run `npm run build` first");
}

export { cliEnv } from "../helpers/env.js";

export type { CliRun };
export { agentOf } from "./fleet-support.js";

/** Run `node bin/mosaic ...args` with exactly `env` (fleet-support's runner, after checking the build); a hang is killed and reported. */
export async function mosaic(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<CliRun> {
  assertBuilt();
  return runMosaic(args, env, timeoutMs);
}

/** `fleet ps -o json` parsed; throws with stderr when it did not exit 0. */
export async function psJson(
  env: NodeJS.ProcessEnv,
  extraArgs: string[] = [],
): Promise<{ run: CliRun; status: FleetStatus }> {
  const run = await mosaic(["fleet", "ps", "-o", "json", ...extraArgs], env);
  if (run.code !== 0) throw new Error(`fleet ps exited ${run.code}: ${run.stderr}\n${run.stdout}`);
  return { run, status: JSON.parse(run.stdout) as FleetStatus };
}

export function conditionStatus(agent: AgentStatus, type: string): string {
  return agent.conditions.find((c) => c.type === type)?.status ?? "absent";
}

/** The heartbeat file's text, or null when it is absent. */
export function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/** Parse a heartbeat file with the project's own parser; throws on a malformed line. */
export function readHb(path: string): HeartbeatRecord | null {
  const text = readText(path);
  if (text === null) return null;
  const parsed = parseHeartbeat(text);
  if (!parsed.ok) throw new Error(`${path} is malformed (${parsed.message}): ${JSON.stringify(text)}`);
  return parsed.record;
}

export { childPids, pidAlive, pidState, sleep, waitUntil };

/** Every live pid whose environment holds exactly `KEY=VALUE` (root can read all environs). */
export function pidsWithEnv(key: string, value: string): number[] {
  const needle = `${key}=${value}`;
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "latin1").split("\0");
      if (environ.includes(needle) && pidAlive(pid)) found.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** Send a signal, ignoring a process that is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** A shell-quoted word. */
export function sq(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The pane argv that runs the stub under a wrapper shell (`sh -c "<cmd>; exit"`), so
 * `kill -STOP` on the stub is not undone by tmux (tmux SIGCONTs a pane's *direct*
 * process when it stops). `prefix` is shell text run first (e.g. `unset X; `).
 */
export function stubPaneArgv(args: string[], prefix = ""): string[] {
  return ["sh", "-c", `${prefix}${[process.execPath, BIN, "agent", "stub", ...args].map(sq).join(" ")}; exit`];
}

/** A roster (YAML text) of stub agents on `socket`, owned by us on this host. */
export function stubRoster(socket: string, agents: string[], intervalS = 1, extra = ""): string {
  return [
    "version: 1",
    "defaults:",
    `  tenant: ${JSON.stringify(USER)}`,
    `  host: ${JSON.stringify(HOST)}`,
    `  socket: ${socket}`,
    "  boot: any",
    "  heartbeat:",
    `    interval: ${intervalS}s`,
    "agents:",
    ...agents.map((name) => `  - name: ${name}\n    runtime: stub`),
    extra,
    "",
  ].join("\n");
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** The parent pid of pid, or null when it is gone. */
export function ppidOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

/**
 * The first `NAME …` table in `text`, split into rows by the header's column starts
 * (cells are padded to their column; a cell may hold single spaces). Stops at a blank line.
 */
export function tableIn(text: string): { header: string[]; rows: Record<string, string>[] } {
  const lines = text.split("\n");
  const at = lines.findIndex((line) =>
    /^NAME\s+TENANT\s+HOST\s+RUNTIME\s+UNIT\s+PANE\s+PID\s+IDLE\s+HEARTBEAT\s+CONDITIONS\s*$/.test(line),
  );
  if (at === -1) throw new Error(`no fleet table in:\n${text}`);
  const headerLine = lines[at] as string;
  const header = headerLine.split(/\s+/).filter(Boolean);
  const starts: number[] = [];
  let from = 0;
  for (const column of header) {
    const index = headerLine.indexOf(column, from);
    starts.push(index);
    from = index + column.length;
  }
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(at + 1)) {
    if (line.trim() === "" || /^(warning|unmanaged|\(|\d+ agents? not fully observed)/.test(line)) break;
    const row: Record<string, string> = {};
    header.forEach((column, i) => {
      row[column] = line.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : undefined).trim();
    });
    rows.push(row);
  }
  return { header, rows };
}

/** The table row of agent `name`; throws when it is not there. */
export function rowOf(table: { rows: Record<string, string>[] }, name: string): Record<string, string> {
  const row = table.rows.find((r) => r["NAME"] === name);
  if (!row) throw new Error(`no row ${name} in ${JSON.stringify(table.rows)}`);
  return row;
}

/**
 * The demo's agents with Drift True, as `fleet ps -o json` reports them, once the
 * `_holder` pane's shell has settled (no start-up children such as profile scripts,
 * which would otherwise decide the verdict by timing).
 */
export async function driftedAgents(env: NodeJS.ProcessEnv): Promise<string[]> {
  const first = await psJson(env);
  const holderPid = first.status.agents.find((a) => a.name === "_holder")?.pane.pid ?? null;
  if (holderPid !== null) await waitUntil(() => childPids(holderPid).length === 0, 10_000, 100);
  const { status } = await psJson(env);
  return status.agents
    .filter((a) => a.conditions.some((c) => c.type === "Drift" && c.status === "True"))
    .map((a) => `${a.name}: ${a.conditions.find((c) => c.type === "Drift")?.message ?? ""}`);
}
