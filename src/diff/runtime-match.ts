import { basename } from "node:path";
import { INTERPRETERS, type RuntimeSpec } from "../spec/index.js";
import type { ProcessInfo, ProcessTree } from "../observe/index.js";

// Which runtime a pane really runs, from its process tree (docs/roster.md, Runtimes): a pattern is
// a program name, compared with the basename of argv[0] (of the script when argv[0] is
// an interpreter: `python3 -u dogfood-agent.py` → dogfood-agent.py), or a path, compared
// with the tail of those paths (`node …/@anthropic-ai/claude-code/cli.js`) and, when argv
// names nothing, of the resolved executable. The patterns are data: src/spec/runtimes.ts.

// A process's names are asked for by every check that compares runtimes (Drift, the
// status row, …): worked out once per process and run.
const namesOf = new WeakMap<ProcessInfo, { names: string[]; paths: string[] }>();

/** The program names a process answers to. */
export function programNames(process: ProcessInfo): string[] {
  return identity(process).names;
}

function identity(process: ProcessInfo): { names: string[]; paths: string[] } {
  let found = namesOf.get(process);
  if (found === undefined) {
    found = namesFrom(process);
    namesOf.set(process, found);
  }
  return found;
}

function namesFrom(process: ProcessInfo): { names: string[]; paths: string[] } {
  const [first, ...rest] = process.argv;
  if (first === undefined) return { names: process.comm ? [process.comm] : [], paths: [] };
  // A process that rewrote its title (`mosaic-agent-stub x`) shows one space-joined argv[0].
  // A login shell's argv[0] is "-bash": the dash is a convention, not the name.
  // (indexOf and slice, not split and regular expressions: this runs once per tree process.)
  const space = first.indexOf(" ");
  let program = space < 0 ? first : first.slice(0, space);
  if (program.charCodeAt(0) === 45) program = program.slice(1);
  const isPath = program.includes("/");
  const head = isPath ? basename(program) : program;
  const names = [head];
  const paths = isPath ? [program] : [];
  if (INTERPRETERS.has(withoutVersion(head)) || INTERPRETERS.has(head)) {
    const script = rest.find((arg) => !arg.startsWith("-"));
    if (script !== undefined) {
      names.push(basename(script));
      if (script.includes("/")) paths.push(script);
    }
  }
  return { names, paths };
}

/** A program name without its trailing version digits and dots (`python3.11` → `python`). */
export function withoutVersion(name: string): string {
  let end = name.length;
  for (let code = name.charCodeAt(end - 1); end > 0 && (code === 46 || (code >= 48 && code <= 57));) {
    end -= 1;
    code = name.charCodeAt(end - 1);
  }
  return end === name.length ? name : name.slice(0, end);
}

/** Whether a path ends with a path pattern, whole segments at a time (`*` = one segment). */
export function pathMatches(pattern: string, path: string): boolean {
  const want = pattern.split("/").filter((part) => part !== "");
  const have = path.split("/").filter((part) => part !== "");
  if (want.length === 0 || want.length > have.length) return false;
  const tail = have.slice(have.length - want.length);
  return want.every((part, i) => part === "*" || part === tail[i]);
}

/** Whether one pattern names this program: a name (no "/") against names, a path against paths. */
function patternMatches(pattern: string, names: readonly string[], paths: readonly string[]): boolean {
  return pattern.includes("/") ? paths.some((path) => pathMatches(pattern, path)) : names.includes(pattern);
}

export interface RuntimeMatch {
  runtime: string | null;
  process: ProcessInfo | null;
}

function matches(spec: RuntimeSpec, process: ProcessInfo): boolean {
  const { names, paths } = identity(process);
  return spec.match.some((pattern) => patternMatches(pattern, names, paths));
}

/** The resolved executable as one more name and path, for launch forms argv does not show. */
function matchesExecutable(spec: RuntimeSpec, process: ProcessInfo, tree: ProcessTree): boolean {
  const exe = tree.exeOf?.(process.pid) ?? null;
  return exe !== null && spec.match.some((pattern) => patternMatches(pattern, [basename(exe)], [exe]));
}

/**
 * Tree processes in the order they should be named: the terminal's foreground process
 * group first (what the operator sees), then the rest of the pane's session, then
 * helpers that left the session (daemons that called setsid, such as `codex app-server`).
 */
function byPresence(tree: ProcessTree): ProcessInfo[][] {
  const group = tree.foregroundGroup;
  const session = tree.root.sid;
  const foreground: ProcessInfo[] = [];
  const inSession: ProcessInfo[] = [];
  const left: ProcessInfo[] = [];
  for (const process of tree.processes) {
    if (group !== undefined && process.pgid === group) foreground.push(process);
    else if (session === undefined || process.sid === undefined || process.sid === session) inSession.push(process);
    else left.push(process);
  }
  return [foreground, inSession, left];
}

/** Processes of the pane's tree that left its session: helper daemons, not the agent. */
export function leftSession(tree: ProcessTree): ProcessInfo[] {
  return byPresence(tree)[2] ?? [];
}

/** The desired runtime if any process runs it; else the most specific runtime seen. */
export function identifyRuntime(
  tree: ProcessTree,
  desired: RuntimeSpec,
  catalog: Map<string, RuntimeSpec>,
): RuntimeMatch {
  const tiers = byPresence(tree);
  for (const tier of tiers) {
    // Shallowest first: the program the pane started (the wrapper names the runtime as well).
    const found = tier.find((p) => matches(desired, p));
    if (found) return { runtime: desired.name, process: found };
  }
  // Argv may not show what runs (a binary renamed or started through a link): ask where
  // the executable really is, only now and only for the pane's own processes.
  for (const tier of tiers.slice(0, 2)) {
    const found = tier.find((p) => matchesExecutable(desired, p, tree));
    if (found) return { runtime: desired.name, process: found };
  }
  for (const tier of tiers) {
    // Deepest first: the agent is usually the leaf under a wrapper shell.
    const deepestFirst = [...tier].reverse();
    for (const preferShell of [false, true]) {
      for (const process of deepestFirst) {
        for (const spec of catalog.values()) {
          if ((spec.name === "shell") !== preferShell) continue;
          if (matches(spec, process)) return { runtime: spec.name, process };
        }
      }
    }
  }
  const inPane = [...(tiers[0] ?? []), ...(tiers[1] ?? [])];
  const leaf = inPane[inPane.length - 1] ?? tree.root;
  return { runtime: null, process: leaf };
}

/** `python3 dogfood-agent.py` — argv shortened to basenames for messages and tables. */
export function shortCommand(process: ProcessInfo | null): string | null {
  if (!process) return null;
  const argv = process.argv.length > 0 ? process.argv : [process.comm];
  return argv
    .map((arg, i) => (i < 2 && arg.includes("/") ? basename(arg) : arg))
    .join(" ")
    .slice(0, 200);
}

/** tmux's pane_current_command, from our scan: the foreground process's first word, basename, no leading "-". */
export function paneCommand(tree: ProcessTree): string {
  const process = tree.foreground ?? tree.root;
  const first = (process.argv[0] ?? process.comm).replace(/^[\s-]+/, "").split(" ")[0] ?? "";
  return basename(first) || process.comm;
}
