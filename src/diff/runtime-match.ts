import { basename } from "node:path";
import { INTERPRETERS, type RuntimeSpec } from "../spec/runtimes.js";
import type { ProcessInfo, ProcessTree } from "../observe/types.js";

// Which runtime a pane really runs, from its process tree (docs/roster.md, Runtimes): patterns are
// compared with the basename of argv[0], and of the script when argv[0] is an
// interpreter (`python3 -u dogfood-agent.py` → dogfood-agent.py).

// A process's names are asked for by every check that compares runtimes (Drift, the
// status row, …): worked out once per process and run.
const namesOf = new WeakMap<ProcessInfo, string[]>();

/** The program names a process answers to. */
export function programNames(process: ProcessInfo): string[] {
  let names = namesOf.get(process);
  if (names === undefined) {
    names = namesFrom(process);
    namesOf.set(process, names);
  }
  return names;
}

function namesFrom(process: ProcessInfo): string[] {
  const [first, ...rest] = process.argv;
  if (first === undefined) return process.comm ? [process.comm] : [];
  // A process that rewrote its title (`mosaic-agent-stub x`) shows one space-joined argv[0].
  // A login shell's argv[0] is "-bash": the dash is a convention, not the name.
  const head = basename(first.split(" ")[0] ?? first).replace(/^-/, "");
  const names = [head];
  if (INTERPRETERS.has(head.replace(/[\d.]+$/, "")) || INTERPRETERS.has(head)) {
    const script = rest.find((arg) => !arg.startsWith("-"));
    if (script !== undefined) names.push(basename(script));
  }
  return names;
}

export interface RuntimeMatch {
  runtime: string | null;
  process: ProcessInfo | null;
}

function matches(spec: RuntimeSpec, process: ProcessInfo): boolean {
  return programNames(process).some((name) => spec.match.includes(name));
}

/** The desired runtime if any process runs it; else the most specific runtime seen. */
export function identifyRuntime(
  tree: ProcessTree,
  desired: RuntimeSpec,
  catalog: Map<string, RuntimeSpec>,
): RuntimeMatch {
  const desiredProcess = tree.processes.find((p) => matches(desired, p));
  if (desiredProcess) return { runtime: desired.name, process: desiredProcess };
  // Deepest first: the agent is usually the leaf under a wrapper shell.
  const deepestFirst = [...tree.processes].reverse();
  for (const preferShell of [false, true]) {
    for (const process of deepestFirst) {
      for (const spec of catalog.values()) {
        if ((spec.name === "shell") !== preferShell) continue;
        if (matches(spec, process)) return { runtime: spec.name, process };
      }
    }
  }
  const leaf = deepestFirst[0] ?? tree.root;
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
