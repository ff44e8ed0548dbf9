import { hookOwnerPid, HOOK_RUNTIMES, parseHookPayload, writeAck, type HookRuntime } from "../../agent/ack.js";
import { resolveAgentName } from "../../agent/identity.js";
import { runDirOf } from "../../observe/index.js";
import { EXIT_FINDINGS, EXIT_OK } from "../exit-codes.js";
import type { Io } from "../io.js";
import { mosaicHome } from "../roster-path.js";

/** A hook payload is a few hundred bytes; more is not a hook's. */
const MAX_PAYLOAD = 1 << 20;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_PAYLOAD) break;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * `mosaic agent hook claude-code|codex [NAME]`: the minimal hook adapter. Configured as a
 * UserPromptSubmit command hook, it acknowledges the submitted prompt in the agent's
 * heartbeat (ack=<sha256[:12]>), so `agent send --verify` has proof by id. It never
 * blocks the agent: nothing on stdout (Claude Code would add it to the prompt), and a
 * failure exits 1 (a non-blocking hook error), never 2 (which blocks the prompt).
 */
export async function run(_options: Record<string, unknown>, args: string[], io: Io): Promise<number> {
  const [runtime, name] = args;
  if (!HOOK_RUNTIMES.includes(runtime as HookRuntime)) {
    io.stderr(`mosaic: unknown hook runtime "${String(runtime)}"; use ${HOOK_RUNTIMES.join(" or ")}\n`);
    return EXIT_FINDINGS;
  }
  const identity = await resolveAgentName(name, io.env);
  if ("error" in identity) {
    io.stderr(`mosaic: ${identity.error}\n`);
    return EXIT_FINDINGS;
  }
  const event = parseHookPayload(runtime as HookRuntime, await readStdin());
  if (event.kind === "invalid") {
    io.stderr(`mosaic: ${event.why}\n`);
    return EXIT_FINDINGS;
  }
  if (event.kind === "other") return EXIT_OK;
  try {
    writeAck({ runDir: runDirOf(mosaicHome(io.env)), name: identity.name, pid: hookOwnerPid() }, event.prompt);
  } catch (error) {
    io.stderr(`mosaic: cannot acknowledge in the heartbeat: ${(error as Error).message}\n`);
    return EXIT_FINDINGS;
  }
  return EXIT_OK;
}
