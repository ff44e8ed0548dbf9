import {
  resolveAgentName,
  parseStatusScript,
  playStatusScript,
  type StatusStep,
  serveStub,
} from "../../agent/index.js";
import { HeartbeatWriter, runDirOf } from "../../heartbeat/index.js";
import { durationOption } from "../duration-option.js";
import { EXIT_OK, UserError } from "../exit-codes.js";
import type { Io } from "../io.js";
import { mosaicHome } from "../roster-path.js";

/** `agent stub`'s flags. */
export interface StubOptions {
  interval?: string | undefined;
  status?: string | undefined;
}

/** Longer than a day is a typo, and would overflow Node's timers. */
const MAX_INTERVAL_S = 86_400;

/** Parse `--interval`, defaulting to MOSAIC_HEARTBEAT_INTERVAL or 15 s. */
export function intervalOption(value: string | undefined, env: NodeJS.ProcessEnv): number {
  const raw = value ?? env["MOSAIC_HEARTBEAT_INTERVAL"] ?? "15s";
  return durationOption("--interval", raw, { minS: 0.1, maxS: MAX_INTERVAL_S });
}

/** `mosaic agent stub [NAME] [--interval DUR] [--status SCRIPT]`: the reference runtime. */
export async function run(options: StubOptions, args: string[], io: Io): Promise<number> {
  const identity = await resolveAgentName(args[0], io.env);
  if ("error" in identity) throw new UserError(identity.error);
  const intervalS = intervalOption(options.interval, io.env);
  // MOSAIC_STUB_STATUS: the same script from the environment (a unit's per-agent env file).
  const script = parseStatusScript(options.status || io.env["MOSAIC_STUB_STATUS"] || "idle");
  if ("error" in script) throw new UserError(`invalid --status script: ${script.error}`);
  // The name operators and `fleet ps` match as runtime `stub` in the process tree.
  process.title = "mosaic-agent-stub";
  let current: StatusStep = script[0] ?? { status: "idle", forS: null };
  const writer = new HeartbeatWriter({
    runDir: runDirOf(mosaicHome(io.env)),
    name: identity.name,
    intervalS,
    status: current.status,
    ...(current.note !== undefined ? { note: current.note } : {}),
  });
  writer.start();
  const stopScript = playStatusScript(script, (step) => {
    current = step;
    writer.setStatus(step.status, undefined, step.note);
  });
  io.stdout(
    `mosaic agent stub: agent "${identity.name}" (name from ${identity.source}), heartbeat every ${intervalS}s in ${writer.hbPath}\n`,
  );
  const stop = () => {
    stopScript();
    writer.stop();
    process.exit(0);
  };
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.once(signal, stop);
  await serveStub(identity.name, writer, { input: process.stdin, output: io.stdout }, () => current);
  stopScript();
  writer.stop();
  return EXIT_OK;
}
