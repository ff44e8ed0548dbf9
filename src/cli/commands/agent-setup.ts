import { constants, copyFileSync, readFileSync, statSync, realpathSync } from "node:fs";
import { resolve } from "node:path";
import {
  codexTomlFragment,
  hookArgv,
  hookCommand,
  hooksFragment,
  mergeCodexToml,
  mergeHooks,
  nextStartNotice,
  type HookRuntime,
} from "../../agent/index.js";
import { writeFileAtomic } from "../../system/index.js";
import { AGENT_NAME_RE } from "../../spec/index.js";
import { safeText } from "../../terminal-text.js";
import { EXIT_OK, UserError } from "../exit-codes.js";
import type { Io } from "../io.js";

/** `agent setup`'s flags. */
export interface SetupOptions {
  write?: string | undefined;
}

/** `mosaic agent setup claude-code|codex [NAME] [--write FILE]`. */
export async function run(options: SetupOptions, args: string[], io: Io): Promise<number> {
  const [runtimeArg, name] = args;
  if (runtimeArg !== "claude-code" && runtimeArg !== "codex")
    throw new UserError(`unknown runtime ${JSON.stringify(safeText(runtimeArg ?? ""))}: use claude-code or codex`);
  const runtime: HookRuntime = runtimeArg;
  if (name !== undefined && !AGENT_NAME_RE.test(name))
    throw new UserError(`invalid agent name ${JSON.stringify(safeText(name))}: use letters, digits, _ and -`);
  const argv = hookArgv(mosaicPath(), runtime, name);
  const fragment = hooksFragment(runtime, hookCommand(argv));
  const file = options.write;
  if (file === undefined) {
    io.stdout(describe(runtime, fragment, argv));
    io.stdout(`\n${nextStartNotice(runtime, name)}\n`);
    return EXIT_OK;
  }
  const path = resolve(io.cwd, file);
  const existing = readExisting(path);
  let text: string;
  let added: string[];
  if (path.endsWith(".toml")) {
    if (runtime !== "codex")
      throw new UserError(`${path}: a .toml file is codex's config.toml; Claude Code uses settings.json`);
    const merged = mergeCodexToml(existing?.text ?? "", argv);
    if ("error" in merged) throw new UserError(`not changing ${path}: ${merged.error}`);
    ({ text, added } = merged);
  } else {
    let doc: Record<string, unknown> = {};
    if (existing !== null && existing.text.trim() !== "") {
      try {
        const parsed = JSON.parse(existing.text) as unknown;
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
        doc = parsed as Record<string, unknown>;
      } catch {
        throw new UserError(`not changing ${path}: it is not a JSON object (fix it or pick another file)`);
      }
      if (
        doc["hooks"] !== undefined &&
        (typeof doc["hooks"] !== "object" || doc["hooks"] === null || Array.isArray(doc["hooks"]))
      )
        throw new UserError(`not changing ${path}: its "hooks" is not an object`);
    }
    added = mergeHooks(doc, fragment);
    text = `${JSON.stringify(doc, null, 2)}\n`;
  }
  if (added.length === 0) {
    io.stdout(`${path} already has mosaic's hooks; nothing changed\n`);
    return EXIT_OK;
  }
  let backup: string | null = null;
  if (existing !== null) {
    backup = `${path}.mosaic-backup-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    try {
      copyFileSync(path, backup, constants.COPYFILE_EXCL);
    } catch (error) {
      throw new UserError(
        `not changing ${path}: cannot back it up to ${backup} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      );
    }
  }
  // The one atomic writer: an existing file keeps its mode and owner.
  const written = writeFileAtomic(path, text, { mode: 0o600 });
  if (!written.ok) throw new UserError(written.message);
  io.stdout(
    `${path}: added ${added.join(", ")}${backup ? ` (the old file is kept as ${backup})` : ""}\n${nextStartNotice(runtime, name)}\n`,
  );
  return EXIT_OK;
}

function readExisting(path: string): { text: string } | null {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return null;
  }
  if (!stat.isFile()) throw new UserError(`not changing ${path}: it is not a regular file`);
  if (stat.size > 4 * 1024 * 1024) throw new UserError(`not changing ${path}: larger than 4 MiB`);
  return { text: readFileSync(path, "utf8") };
}

/** The absolute path of this mosaic, so the hook runs whatever PATH the runtime has. */
function mosaicPath(): string {
  const script = process.argv[1];
  if (script === undefined) return "mosaic";
  try {
    return realpathSync(script);
  } catch {
    return script;
  }
}

function describe(runtime: HookRuntime, fragment: ReturnType<typeof hooksFragment>, argv: string[]): string {
  const json = JSON.stringify(fragment, null, 2);
  if (runtime === "claude-code")
    return `# Claude Code: merge into settings.json (~/.claude/settings.json, or the agent's .claude/settings.local.json)\n${json}\n`;
  return (
    `# codex: merge into ~/.codex/hooks.json\n${json}\n\n` +
    `# and into ~/.codex/config.toml (notify runs when a turn completes)\n${codexTomlFragment(argv)}`
  );
}
