import { writeSync } from "node:fs";
import { jsonSafe } from "./terminal-text.js";
import type { Logger } from "pino";

// Diagnostics as pino JSON lines on stderr, never on stdout. pino costs ~20 ms to
// import, so it is loaded only when a run asks for diagnostics (MOSAIC_LOG_LEVEL at
// info or finer) or when something at warn or above was recorded — then it is loaded
// once at the end of the run to write those records.

type Level = "trace" | "debug" | "info" | "warn" | "error" | "fatal";
const RANK: Record<Level, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

interface PendingRecord {
  level: Level;
  fields: Record<string, unknown>;
  message: string;
  time: number;
}

let threshold: number = RANK.warn;
let logger: Logger | null = null;
const pending: PendingRecord[] = [];

/** Read MOSAIC_LOG_LEVEL; load pino now only when finer than warn was asked for. */
export async function initLog(env: NodeJS.ProcessEnv): Promise<void> {
  const asked = (env["MOSAIC_LOG_LEVEL"] ?? "warn").toLowerCase();
  if (asked === "silent") {
    threshold = Infinity;
    return;
  }
  threshold = RANK[asked as Level] ?? RANK.warn;
  if (threshold < RANK.warn) logger = await createLogger(asked as Level);
}

async function createLogger(level: Level): Promise<Logger> {
  const module = await import("pino");
  // CommonJS through the bundle: the function is the default export.
  const pino = module.default ?? module.pino;
  // pino's JSON leaves C1 controls and bidi marks raw; stderr is a terminal boundary too.
  const destination = { write: (line: string) => void writeSync(2, jsonSafe(line)) };
  return pino({ level, base: { pid: process.pid }, name: "mosaic" }, destination);
}

/** Record a diagnostic; cheap when its level is below the threshold. */
export function log(level: Level, fields: Record<string, unknown>, message: string): void {
  if (RANK[level] < threshold) return;
  if (logger) logger[level](fields, message);
  else pending.push({ level, fields, message, time: Date.now() });
}

/** Write anything recorded before pino was loaded; call once at the end of a run. */
export async function flushLog(): Promise<void> {
  if (pending.length === 0) return;
  const out = logger ?? (await createLogger("warn"));
  for (const record of pending.splice(0))
    out[record.level]({ ...record.fields, recordedAt: record.time }, record.message);
}

/**
 * Milliseconds from an arbitrary origin, for durations. Not `performance.now()`: its
 * first use loads perf_hooks (~0.5 ms of every `fleet ps`).
 */
export function clockMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Time an async step and log it at debug (failures at info: they are data, shown as Unknown). */
export async function timed<T>(
  step: string,
  fields: Record<string, unknown>,
  body: () => Promise<T>,
  failed?: (value: T) => string | null,
): Promise<T> {
  const started = clockMs();
  try {
    const value = await body();
    const problem = failed?.(value) ?? null;
    const ms = Math.round((clockMs() - started) * 10) / 10;
    if (problem) log("info", { step, ...fields, ms, ok: false, problem }, `${step} could not observe`);
    else log("debug", { step, ...fields, ms, ok: true }, `${step} done`);
    return value;
  } catch (error) {
    log("error", { step, ...fields, error: (error as Error).message }, `${step} failed`);
    throw error;
  }
}
