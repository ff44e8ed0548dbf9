// The built-in runtime catalog: what a pane's process tree must run for each runtime,
// and what each runtime's screen looks like to `agent send`. Data, not code: a new
// launch form or a new dialog is a line here (docs/roster.md, docs/commands.md).
//
// A `match` pattern is either
//   - a program name (no "/"): the basename of argv[0], or of the script when argv[0] is
//     an interpreter (`node …/cli.js` → cli.js), or of a title the process set itself;
//   - a path (has a "/"): the tail of argv[0], of the script, or of the resolved
//     executable (/proc/PID/exe), compared whole path segments at a time; `*` stands for
//     one segment (`claude/versions/*` matches `~/.local/share/claude/versions/2.1.197`).

export interface RuntimeSpec {
  name: string;
  match: string[];
  builtin: boolean;
}

export const BUILTIN_RUNTIMES: Readonly<Record<string, readonly string[]>> = {
  claude: [
    "claude",
    // The npm package's native binary started by its real path.
    "claude.exe",
    "@anthropic-ai/claude-code/bin/claude.exe",
    // Builds before the native binary: `node …/cli.js` until process.title turns `claude`.
    "@anthropic-ai/claude-code/cli.js",
    // The standalone installer keeps each version as a file named by its number.
    "claude/versions/*",
  ],
  codex: [
    "codex",
    // The npm wrapper (`node …/bin/codex.js`) that starts the native binary.
    "codex.js",
    "@openai/codex/bin/codex.js",
  ],
  pi: [
    "pi",
    // `node …/dist/cli.js` before it retitles itself `pi`.
    "@mariozechner/pi-coding-agent/dist/cli.js",
  ],
  opencode: ["opencode", "opencode.exe", "opencode-ai/bin/opencode.exe", "opencode-ai/bin/opencode"],
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

/**
 * What `agent send` knows of a screen, beyond the general rules (src/agent/screen.ts):
 * lines that mean the program is showing a dialog (typing would answer it, Enter would
 * choose), and lines that mean it answered a message with an error (never acceptance).
 * Regular expressions as source text, matched case-insensitively against one screen
 * line at a time.
 */
export interface ScreenRules {
  dialog: readonly string[];
  error: readonly string[];
}

/** Rules every screen is read with, whatever the runtime. */
export const GENERAL_SCREEN_RULES: ScreenRules = {
  dialog: [
    "press enter to (continue|confirm|select)",
    "enter to (confirm|select|continue)\\b",
    "\\bdo you (trust|want to (proceed|use|allow|continue|make this edit|run))\\b",
    "\\(y/n\\)|\\[y/n\\]|\\by/n\\b",
    "\\bpress any key\\b",
  ],
  error: ["^\\s*(error|fatal)\\b\\s*:", "\\bAPI Error\\b"],
};

/** Per runtime, what its own screens say (recorded from the real programs: test/fixtures/runtimes/). */
export const RUNTIME_SCREEN_RULES: Readonly<Record<string, ScreenRules>> = {
  claude: {
    dialog: [
      "accessing workspace:",
      "quick safety check",
      "detected a custom api key",
      "esc to cancel",
      "do you want to (create|make|proceed)",
    ],
    error: ["unable to connect to (the )?api", "invalid api key", "credit balance is too low"],
  },
  codex: {
    dialog: ["choose how you want to use codex", "sign in with chatgpt", "hooks need review", "finish signing in"],
    error: ["\\bstream error\\b", "unexpected status \\d{3}"],
  },
  opencode: { dialog: ["select (a )?provider", "connect a provider"], error: ["provider(s)? not found"] },
  pi: { dialog: [], error: ["no api key found"] },
};
