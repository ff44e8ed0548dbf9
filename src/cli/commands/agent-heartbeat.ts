import { resolveAgentName } from "../../agent/index.js";
import {
  ensurePrivateRunDir,
  heartbeatPath,
  HeartbeatWriter,
  readHeartbeat,
  runDirOf,
  STATUS_RE,
} from "../../heartbeat/index.js";
import { EXIT_OK, UserError } from "../exit-codes.js";
import type { Io } from "../io.js";
import { mosaicHome } from "../roster-path.js";
import { intervalOption } from "./agent-stub.js";

/** `agent heartbeat`'s flags. */
export interface HeartbeatOptions {
  status?: string | undefined;
  interval?: string | undefined;
  once?: boolean | undefined;
}

/**
 * `mosaic agent heartbeat NAME [--status WORD] [--once]`: a responder for runtimes that
 * cannot write a heartbeat. With --once it writes one line vouching for its parent (the
 * wrapper script that called it) and exits; otherwise it beats and answers probes until
 * stopped.
 */
export async function run(options: HeartbeatOptions, args: string[], io: Io): Promise<number> {
  const identity = await resolveAgentName(args[0], io.env);
  if ("error" in identity) throw new UserError(identity.error);
  const status = options.status ?? "idle";
  if (!STATUS_RE.test(status)) throw new UserError(`invalid --status "${status}": one word of letters, digits, _ or -`);
  const intervalS = intervalOption(options.interval, io.env);
  const once = options.once === true;
  const runDir = runDirOf(mosaicHome(io.env));
  const pid = once ? process.ppid : process.pid;
  const writer = new HeartbeatWriter({
    runDir,
    name: identity.name,
    intervalS,
    pid,
    status,
    // Each --once is a new process: carry on the sequence of the line it replaces when
    // that line vouched for the same process, so seq still counts that process's beats.
    ...(once ? { seqBefore: previousSeq(heartbeatPath(runDir, identity.name), pid) } : {}),
    // Beside a hooked runtime (`mosaic agent hook …`), keep what its hooks wrote.
    adopt: !once,
  });
  if (once) {
    ensurePrivateRunDir(runDir);
    writer.setStatus(status);
    return EXIT_OK;
  }
  // The first line already says --status; from then on a runtime hook's word is kept.
  writer.start();
  io.stderr(`mosaic agent heartbeat: "${identity.name}" every ${intervalS}s in ${writer.hbPath}; Ctrl-C stops\n`);
  // The writer's timers do not hold the process open (the stub is held by its input);
  // this responder has nothing else, so it holds itself until a signal.
  const hold = setInterval(() => undefined, 1 << 30);
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.once(signal, () => resolve());
  });
  clearInterval(hold);
  writer.stop();
  return EXIT_OK;
}

/** The seq of the heartbeat at `path` if it is a valid one vouching for `pid`, else 0. */
function previousSeq(path: string, pid: number): number {
  const hb = readHeartbeat(path);
  return hb.state === "present" && hb.record.pid === pid && hb.record.seq !== undefined ? hb.record.seq : 0;
}
