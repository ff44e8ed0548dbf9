import { shellLine } from "../../report/index.js";

// `mosaic agent setup claude-code|codex [NAME]`: the exact settings that make a runtime
// call `mosaic agent hook …` (docs/heartbeat.md, "Runtime adapters"), and a merge that
// adds them to an existing file without losing anything already there.

export type HookRuntime = "claude-code" | "codex";

/** Claude Code's hook events the adapter understands; tool events match every tool. */
const CLAUDE_EVENTS = [
  "SessionStart",
  "UserPromptSubmit",
  "PreToolUse",
  "PostToolUse",
  "Notification",
  "Stop",
  "SubagentStop",
  "SessionEnd",
] as const;
const CODEX_EVENTS = ["SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop"] as const;
const TOOL_EVENTS = new Set(["PreToolUse", "PostToolUse"]);

/** The argv of the hook command for this runtime (and agent, when named). */
export function hookArgv(mosaic: string, runtime: HookRuntime, name: string | undefined): string[] {
  return [mosaic, "agent", "hook", runtime, ...(name ? ["--agent", name] : [])];
}

interface HookEntry {
  matcher?: string;
  hooks: { type: "command"; command: string; timeout: number }[];
}
type HooksFile = Record<string, unknown> & { hooks?: Record<string, unknown> };

/** The JSON fragment: Claude Code's settings.json `hooks`, or codex's hooks.json. */
export function hooksFragment(runtime: HookRuntime, command: string): { hooks: Record<string, HookEntry[]> } {
  const events = runtime === "claude-code" ? CLAUDE_EVENTS : CODEX_EVENTS;
  const hooks: Record<string, HookEntry[]> = {};
  for (const event of events) {
    hooks[event] = [
      { ...(TOOL_EVENTS.has(event) ? { matcher: "*" } : {}), hooks: [{ type: "command", command, timeout: 10 }] },
    ];
  }
  return { hooks };
}

/** Codex's config.toml lines: the notify program (a turn completed) and the hooks feature flag. */
export function codexTomlFragment(notifyArgv: readonly string[]): string {
  return `notify = [${notifyArgv.map((a) => JSON.stringify(a)).join(", ")}]\n\n[features]\ncodex_hooks = true\n`;
}

/** The command string a settings file holds. */
export function hookCommand(argv: readonly string[]): string {
  return shellLine(argv);
}

/** Merge the fragment into a parsed settings document; returns what was added (nothing: already there). */
export function mergeHooks(doc: HooksFile, fragment: { hooks: Record<string, HookEntry[]> }): string[] {
  const added: string[] = [];
  const hooks: Record<string, unknown> =
    doc.hooks && typeof doc.hooks === "object" && !Array.isArray(doc.hooks) ? doc.hooks : {};
  for (const [event, entries] of Object.entries(fragment.hooks)) {
    const existing = Array.isArray(hooks[event]) ? (hooks[event] as unknown[]) : [];
    const commands = new Set(
      existing.flatMap((entry) =>
        entry && typeof entry === "object" && Array.isArray((entry as HookEntry).hooks)
          ? (entry as HookEntry).hooks.map((h) => h?.command)
          : [],
      ),
    );
    const missing = entries.filter((entry) => !entry.hooks.every((h) => commands.has(h.command)));
    if (missing.length === 0) continue;
    hooks[event] = [...existing, ...missing];
    added.push(event);
  }
  doc.hooks = hooks;
  return added;
}

/** Merge the codex lines into config.toml text (line-based: top-level notify, [features] codex_hooks). */
export function mergeCodexToml(
  text: string,
  notifyArgv: readonly string[],
): { text: string; added: string[] } | { error: string } {
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const added: string[] = [];
  const header = (line: string) => /^\s*\[/.test(line);
  const firstTable = lines.findIndex(header);
  const topLevel = firstTable === -1 ? lines : lines.slice(0, firstTable);
  const notifyAt = topLevel.findIndex((line) => /^\s*notify\s*=/.test(line));
  const notifyLine = `notify = [${notifyArgv.map((a) => JSON.stringify(a)).join(", ")}]`;
  if (notifyAt !== -1) {
    if (!/"agent",\s*"hook",\s*"codex"/.test(topLevel[notifyAt] ?? ""))
      return {
        error: `it already sets a notify program (${(topLevel[notifyAt] ?? "").trim()}); codex runs only one: replace it by hand with ${notifyLine}`,
      };
  } else {
    // After the last top-level line (a key below a [table] header would belong to that table).
    let at = topLevel.length;
    while (at > 0 && (topLevel[at - 1] ?? "").trim() === "") at -= 1;
    lines.splice(at, 0, notifyLine);
    added.push("notify");
  }
  const featuresAt = lines.findIndex((line) => /^\s*\[features\]\s*(#.*)?$/.test(line));
  if (featuresAt === -1) {
    lines.push("", "[features]", "codex_hooks = true");
    added.push("features.codex_hooks");
  } else {
    let end = lines.findIndex((line, i) => i > featuresAt && header(line));
    if (end === -1) end = lines.length;
    const flagAt = lines.slice(featuresAt + 1, end).findIndex((line) => /^\s*codex_hooks\s*=/.test(line));
    if (flagAt === -1) {
      lines.splice(featuresAt + 1, 0, "codex_hooks = true");
      added.push("features.codex_hooks");
    } else if (!/=\s*true\b/.test(lines[featuresAt + 1 + flagAt] ?? "")) {
      lines[featuresAt + 1 + flagAt] = "codex_hooks = true";
      added.push("features.codex_hooks");
    }
  }
  return { text: `${lines.join("\n")}\n`, added };
}

/** What the runtime will do about the new hooks the next time it starts. */
export function nextStartNotice(runtime: HookRuntime, name: string | undefined): string {
  const who = name ?? "NAME";
  return runtime === "claude-code"
    ? `Claude Code reads hooks when a session starts: restart the agent (systemctl --user restart mosaic-agent@${who}.service). ` +
        `A session already running keeps its old hooks until they are reviewed in its /hooks menu. ` +
        `On a new workspace it first asks to trust the folder; SessionStart is recorded only after that.`
    : `codex puts up a blocking "Hooks need review" dialog for new hooks on its next start: restart the agent, then answer it ` +
        `in the pane (mosaic agent attach ${who}), or the agent stays at that dialog and records nothing.`;
}
