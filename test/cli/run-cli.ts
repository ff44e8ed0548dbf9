import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// Runs the real CLI (`bin/mosaic`, which loads the built dist/cli.cjs) as a user would,
// in its own process, and captures what the user sees: exit code, stdout, stderr.

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = join(ROOT, "bin", "mosaic");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

interface CliOptions {
  cwd?: string;
  /** Extra environment; MOSAIC_* of the caller are never inherited. */
  env?: Record<string, string | undefined>;
  /** Kill the CLI after this long (a hang is a failure, not a stuck test run). */
  timeoutMs?: number;
  /** Flags for node itself, e.g. a heap cap. */
  nodeFlags?: string[];
  /** Standard input (default: none). */
  input?: string;
}

function assertBuilt(): void {
  if (!existsSync(join(ROOT, "dist", "cli.cjs"))) {
    throw new Error("dist/cli.cjs is missing: run `npm run build` before these tests");
  }
}

/** A clean environment: no MOSAIC_* from the caller, HOME in a scratch dir. */
export function cleanEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith("MOSAIC_") || key === "XDG_CONFIG_HOME" || key === "NO_COLOR") continue;
    env[key] = value;
  }
  env["HOME"] = home;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export function runCli(args: readonly string[], options: CliOptions = {}): CliResult {
  assertBuilt();
  const cwd = options.cwd ?? ROOT;
  const started = Date.now();
  const result = spawnSync(process.execPath, [...(options.nodeFlags ?? []), BIN, ...args], {
    cwd,
    env: cleanEnv(options.env?.["HOME"] ?? cwd, options.env ?? {}),
    encoding: "utf8",
    timeout: options.timeoutMs ?? 20_000,
    maxBuffer: 64 * 1024 * 1024,
    ...(options.input !== undefined ? { input: options.input } : {}),
  });
  return {
    code: result.status,
    signal: result.signal,
    stdout: result.stdout ?? "",
    stderr: result.stderr ?? "",
    ms: Date.now() - started,
  };
}

/** A scratch directory, removed by the returned cleanup. */
export function scratchDir(prefix = "mosaic-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Write `text` as `name` in `dir` and run `mosaic fleet validate -f name` from `dir`. */
export function validateText(
  dir: string,
  text: string | Buffer,
  name = "roster.yaml",
  options: Omit<CliOptions, "cwd"> = {},
): CliResult {
  writeFileSync(join(dir, name), text);
  return runCli(["fleet", "validate", "-f", name], { ...options, cwd: dir });
}

/** Lines of stderr, without the trailing empty one. */
export function lines(text: string): string[] {
  return text.split("\n").filter((line, index, all) => !(line === "" && index === all.length - 1));
}

interface ProblemLine {
  file: string;
  line: number;
  col: number;
  message: string;
  raw: string;
}

/** The `FILE:LINE:COL: message` lines of stderr for `file`, in order. */
export function problemLines(stderr: string, file = "roster.yaml"): ProblemLine[] {
  const prefix = `${file}:`;
  const out: ProblemLine[] = [];
  for (const raw of lines(stderr)) {
    if (!raw.startsWith(prefix)) continue;
    const match = /^(\d+):(\d+): (.*)$/.exec(raw.slice(prefix.length));
    if (!match) continue;
    out.push({ file, line: Number(match[1]), col: Number(match[2]), message: match[3] ?? "", raw });
  }
  return out;
}

/** `LINE:COL` of each problem, for compact assertions. */
export function positions(stderr: string, file = "roster.yaml"): string[] {
  return problemLines(stderr, file).map((p) => `${p.line}:${p.col}`);
}

/** No stack trace, no internal error: the user got a clean message. */
export function expectNoCrash(result: CliResult): string[] {
  const problems: string[] = [];
  if (result.signal !== null) problems.push(`killed by ${result.signal} after ${result.ms} ms`);
  if (/^\s+at /m.test(result.stderr)) problems.push("stack trace on stderr");
  if (/internal error/i.test(result.stderr)) problems.push("internal error on stderr");
  if (/RangeError|TypeError|ReferenceError|Maximum call stack/.test(result.stderr))
    problems.push("JS exception text on stderr");
  return problems;
}

/**
 * Every stderr line is either a problem line for `file` or the one summary line
 * ("mosaic: roster is invalid (N problems)") — one line per problem, nothing else.
 */
export function strayStderrLines(stderr: string, file = "roster.yaml"): string[] {
  return lines(stderr).filter(
    (line) => !line.startsWith(`${file}:`) && !/^mosaic: roster is invalid \(\d+ problems\)$/.test(line),
  );
}
