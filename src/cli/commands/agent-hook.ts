import {
  claudeCodeUpdate,
  codexHookUpdate,
  codexNotifyUpdate,
  type HookUpdate,
  applyHookUpdate,
  runtimePid,
  resolveAgentName,
} from "../../agent/index.js";
import { runDirOf } from "../../heartbeat/index.js";
import { safeText } from "../../terminal-text.js";
import { EXIT_OK } from "../exit-codes.js";
import type { Io } from "../io.js";
import { mosaicHome } from "../roster-path.js";

/** `agent hook`'s flags (unknown ones are let through: a runtime may add its own). */
export interface HookOptions {
  agent?: string | undefined;
}

/**
 * `mosaic agent hook claude-code|codex [--agent NAME] [JSON]`: a runtime's hook program
 * (docs/heartbeat.md, "Runtime adapters"). It turns the event on stdin (or, for codex's
 * `notify`, the JSON argument) into the agent's heartbeat line. It must never hold up or
 * block the runtime: it always exits 0, prints nothing on stdout (Claude Code adds a
 * hook's stdout to the conversation), reads stdin bounded in size and time, and says
 * what went wrong on stderr only when MOSAIC_HOOK_DEBUG is set.
 */
export async function run(options: HookOptions, args: string[], io: Io): Promise<number> {
  try {
    await hook(options, args, io);
  } catch (error) {
    debug(io, `mosaic agent hook: ${error instanceof Error ? error.message : String(error)}`);
  }
  return EXIT_OK;
}

/** The most of stdin a hook reads: a prompt beyond this is not acknowledged. */
const MAX_STDIN_BYTES = 8 * 1024 * 1024;
/** How long a hook waits for stdin to end (a runtime that never closes it must not hang us). */
const STDIN_DEADLINE_MS = 1_000;

function debug(io: Io, text: string): void {
  if (io.env["MOSAIC_HOOK_DEBUG"]) io.stderr(`${safeText(text)}\n`);
}

async function hook(options: HookOptions, args: string[], io: Io): Promise<void> {
  const [runtime, ...rest] = args;
  // codex's notify passes its event as the last argument; every other hook, on stdin.
  const argument = rest.at(-1);
  const fromArgument = runtime === "codex" && argument !== undefined && argument.trimStart().startsWith("{");
  // `mosaic agent hook RUNTIME NAME` names the agent like --agent does.
  const positional = rest.find((arg) => !arg.trimStart().startsWith("{"));
  const named = options.agent === undefined && positional !== undefined ? { agent: positional } : {};
  await recordHook(runtime, fromArgument ? argument : await readStdin(io), fromArgument, { ...options, ...named }, io);
}

/** Record one event (its JSON text; null: none could be read). Never throws for what it is fed. */
export async function recordHook(
  runtime: string | undefined,
  text: string | null,
  notify: boolean,
  options: HookOptions,
  io: Io,
): Promise<string | null> {
  const update = updateFor(runtime, parse(text), notify, io);
  if (update === null) {
    debug(io, `mosaic agent hook: nothing to record for ${runtime ?? "(no runtime)"}`);
    return null;
  }
  // The tmux fallback is a subprocess: bound it well under any hook timeout.
  const identity = await resolveAgentName(options.agent, io.env, 500);
  if ("error" in identity) {
    debug(io, `mosaic agent hook: ${identity.error}`);
    return null;
  }
  const line = applyHookUpdate(update, {
    runDir: runDirOf(mosaicHome(io.env)),
    name: identity.name,
    nowMs: Date.now(),
    runtimePid: runtimePid(),
  });
  debug(io, `mosaic agent hook: ${identity.name}: ${line.trimEnd()}`);
  return line;
}

function updateFor(runtime: string | undefined, payload: unknown, notify: boolean, io: Io): HookUpdate | null {
  switch (runtime) {
    case "claude-code":
    case "claude":
      return claudeCodeUpdate(payload);
    case "codex":
      return notify ? codexNotifyUpdate(payload) : codexHookUpdate(payload);
    case undefined:
    default:
      debug(io, `mosaic agent hook: unknown runtime ${JSON.stringify(runtime ?? "")} (claude-code or codex)`);
      return null;
  }
}

function parse(text: string | null): unknown {
  if (text === null || text.length === 0) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** All of stdin up to the bound, or null when it is a terminal, too big, or does not end in time. */
function readStdin(io: Io): Promise<string | null> {
  if (io.stdinIsTTY) return Promise.resolve(null);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const stdin = process.stdin;
    const finish = (text: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stdin.removeAllListeners("data");
      stdin.pause();
      stdin.destroy();
      resolve(text);
    };
    const timer = setTimeout(() => finish(null), STDIN_DEADLINE_MS);
    stdin.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_STDIN_BYTES) return finish(null);
      chunks.push(chunk);
    });
    stdin.on("end", () => finish(Buffer.concat(chunks).toString("utf8")));
    stdin.on("error", () => finish(null));
  });
}
