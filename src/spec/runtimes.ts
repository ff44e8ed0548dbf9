// The built-in runtime catalog: what a pane's process tree must run for each runtime.
// A pattern matches the basename of argv[0], or of argv[1] when argv[0] is an
// interpreter (docs/roster.md, Runtimes).

export interface RuntimeSpec {
  name: string;
  match: string[];
  builtin: boolean;
}

const BUILTIN_RUNTIMES: Readonly<Record<string, readonly string[]>> = {
  claude: ["claude"],
  codex: ["codex"],
  pi: ["pi"],
  opencode: ["opencode"],
  // This project's `mosaic agent stub` and the legacy dogfood-agent.py.
  stub: ["mosaic-agent-stub", "dogfood-agent.py", "dogfood-agent"],
  shell: ["bash", "sh", "zsh", "fish", "dash"],
};

/** Interpreters whose argv[1] names the real program. */
export const INTERPRETERS: ReadonlySet<string> = new Set([
  "python",
  "python2",
  "python3",
  "node",
  "nodejs",
  "bun",
  "deno",
  "bash",
  "sh",
  "zsh",
  "dash",
  "perl",
  "ruby",
  "env",
]);

/** The catalog a roster sees: built-ins overridden or extended by its `runtimes:`. */
export function runtimeCatalog(declared: Readonly<Record<string, { match: string[] }>> = {}): Map<string, RuntimeSpec> {
  const catalog = new Map<string, RuntimeSpec>();
  for (const [name, match] of Object.entries(BUILTIN_RUNTIMES)) {
    catalog.set(name, { name, match: [...match], builtin: true });
  }
  for (const [name, spec] of Object.entries(declared)) {
    catalog.set(name, { name, match: [...spec.match], builtin: false });
  }
  return catalog;
}
