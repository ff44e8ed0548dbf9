// Shared helpers for the fleet-* integration tests: run the real CLI (bin/mosaic →
// dist/) as a user would, write rosters and heartbeats, read the JSON/table output.
// Not a test file itself (no .test.ts), so vitest never runs it directly.

import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { stringify } from "yaml";
import type { AgentStatus, Condition, ConditionType, FleetStatus } from "../../src/diff/types.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = join(ROOT, "bin", "mosaic");
export const DOGFOOD = join(ROOT, "test", "fixtures", "dogfood-agent.py");
export const FIXTURE_BIN = join(ROOT, "test", "fixtures", "bin");
export const HOST = hostname();
export const USER = (() => {
  try {
    return userInfo().username;
  } catch {
    return process.env["USER"] ?? "root";
  }
})();

export const CONDITION_TYPES: readonly ConditionType[] = [
  "PaneDead",
  "Stale",
  "Drift",
  "BootDisabled",
  "UnitDown",
  "CrashLoop",
  "AwaitingInput",
  "NoProgress",
];

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

export { cliEnv } from "../helpers/env.js";

/** Run `bin/mosaic ...args` with exactly `env`; a hang is killed and reported, never waited out. */
export async function mosaic(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<CliRun> {
  const started = Date.now();
  const result = await execa(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env,
    extendEnv: false,
    reject: false,
    stdin: "ignore",
    timeout: timeoutMs,
    forceKillAfterDelay: 500,
    stripFinalNewline: false,
  });
  return {
    code: result.exitCode ?? null,
    stdout: String(result.stdout ?? ""),
    stderr: String(result.stderr ?? ""),
    ms: Date.now() - started,
    timedOut: result.timedOut,
  };
}

/** `fleet ps -o json` (or any JSON-printing command) parsed; fails loudly with stderr. */
export async function psJson(
  rosterFile: string,
  env: NodeJS.ProcessEnv,
  extraArgs: string[] = [],
): Promise<{ run: CliRun; status: FleetStatus }> {
  const run = await mosaic(["fleet", "ps", "-f", rosterFile, "-o", "json", ...extraArgs], env);
  if (run.code !== 0) throw new Error(`fleet ps exited ${run.code}: ${run.stderr}\n${run.stdout}`);
  let status: FleetStatus;
  try {
    status = JSON.parse(run.stdout) as FleetStatus;
  } catch (error) {
    throw new Error(
      `fleet ps -o json printed something that is not JSON (${(error as Error).message}):\n${run.stdout}`,
      { cause: error },
    );
  }
  return { run, status };
}

/** A scratch directory holding roster files and a MOSAIC_HOME with fleet/run (0700). */
export interface Scratch {
  dir: string;
  home: string;
  runDir: string;
  roster(name: string, doc: unknown): string;
  heartbeat(agent: string, line: string): string;
  cleanup(): void;
}

export function scratch(prefix = "mf-fleet-"): Scratch {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const home = join(dir, "mosaic");
  const runDir = join(home, "fleet", "run");
  mkdirSync(runDir, { recursive: true });
  chmodSync(runDir, 0o700);
  return {
    dir,
    home,
    runDir,
    roster(name, doc) {
      const file = join(dir, name);
      writeFileSync(file, typeof doc === "string" ? doc : stringify(doc));
      return file;
    },
    heartbeat(agent, line) {
      // Atomic like a real writer: temp file in the same directory, then rename.
      const file = join(runDir, `${agent}.hb`);
      const tmp = join(runDir, `.${agent}.hb.tmp`);
      writeFileSync(tmp, line.endsWith("\n") ? line : `${line}\n`, { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, file);
      return file;
    },
    cleanup() {
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The roster `defaults:` every observed test agent needs (tenant = us, host = this machine). */
export function localDefaults(socket: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { tenant: USER, host: HOST, socket, ...extra };
}

export function agentOf(status: FleetStatus, name: string): AgentStatus {
  const agent = status.agents.find((a) => a.name === name);
  if (!agent) throw new Error(`no agent ${name} in ${status.agents.map((a) => a.name).join(", ")}`);
  return agent;
}

export function conditionOf(agent: AgentStatus, type: ConditionType): Condition {
  const found = agent.conditions.filter((c) => c.type === type);
  if (found.length !== 1)
    throw new Error(`agent ${agent.name} has ${found.length} ${type} conditions: ${JSON.stringify(agent.conditions)}`);
  return found[0] as Condition;
}

/** {type: "status/reason"} for compact assertions. */
export function conditionSummary(agent: AgentStatus): Record<string, string> {
  return Object.fromEntries(agent.conditions.map((c) => [c.type, `${c.status}/${c.reason}`]));
}

/** Unix seconds now. */
export function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * A borderless kubectl-style table split into rows of cells, using the header's column
 * starts (cells are padded to the column width, and cells may hold single spaces).
 */
export function parseTable(text: string): { header: string[]; rows: Record<string, string>[]; footer: string[] } {
  const lines = text.split("\n").filter((line) => line !== "");
  const headerLine = lines[0] ?? "";
  const header = headerLine.split(/\s+/).filter(Boolean);
  const starts: number[] = [];
  let from = 0;
  for (const column of header) {
    const at = headerLine.indexOf(column, from);
    starts.push(at);
    from = at + column.length;
  }
  const rows: Record<string, string>[] = [];
  const footer: string[] = [];
  let inFooter = false;
  for (const line of lines.slice(1)) {
    // A table row has a non-blank character at every column start's left edge area; footer lines are prose,
    // and everything after the first of them is footer (the not-fully-observed list is indented).
    if (inFooter || /^(unmanaged|warning|\(|\d+ agents? not fully observed)/.test(line)) {
      footer.push(line);
      inFooter = true;
      continue;
    }
    const row: Record<string, string> = {};
    header.forEach((column, i) => {
      const start = starts[i] as number;
      const end = i + 1 < starts.length ? (starts[i + 1] as number) : undefined;
      row[column] = line.slice(start, end).trim();
    });
    rows.push(row);
  }
  return { header, rows, footer };
}

export { argvOf, childPids, sleep, waitFor as waitUntil } from "../helpers/proc.mjs";
