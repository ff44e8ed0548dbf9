import { isAbsolute, resolve } from "node:path";
import { isCompliant } from "../../diff/index.js";
import {
  appendHistory,
  historyEntry,
  readHistory,
  reportRenderers,
  type ReportFormatName,
} from "../../report/index.js";
import { isStdoutPath, replaceRefusal, writeFileAtomic } from "../../system/index.js";
import { EXIT_FINDINGS, EXIT_OK, UserError } from "../exit-codes.js";
import { fleetStatus, loadFleetOrExit, observeContext } from "../fleet-context.js";
import type { Io } from "../io.js";
import type { HostOptions, RosterOptions, SocketOption } from "../options.js";

/** `fleet report`'s flags: `-o/--format` is required and one of the report formats (commander checks both). */
export type ReportOptions = RosterOptions &
  HostOptions &
  SocketOption & {
    format: ReportFormatName;
    output?: string | undefined;
    history?: string | undefined;
  };

/**
 * `mosaic fleet report --format F [--output FILE] [--history FILE.jsonl]`: the compliance
 * report for cron and timers, rendered from the same status object as `fleet ps`.
 * Exit 0 compliant, 1 not (or UNKNOWN), 2 bad input or an unwritable output.
 */
export async function run(options: ReportOptions, _args: string[], io: Io): Promise<number> {
  const format = options.format;
  const absolute = (path: string) => (isAbsolute(path) ? path : resolve(io.cwd, path));
  const outputArg = options.output;
  const historyArg = options.history;
  // Checked before resolving: resolve(cwd, "") is the directory itself, never "".
  if (outputArg === "" || historyArg === "") throw new UserError("--output and --history need a file path");
  // `-` and /dev/stdout mean standard output: never a file to replace.
  const output = outputArg === undefined || isStdoutPath(outputArg) ? undefined : absolute(outputArg);
  const historyFile = historyArg === undefined ? undefined : absolute(historyArg);

  // Refuse a target that is not a plain regular file before anything is observed or written.
  for (const [flag, path] of [
    ["--output", output],
    ["--history", historyFile],
  ] as const) {
    const refusal = path === undefined ? null : replaceRefusal(path);
    if (refusal) throw new UserError(`${flag} ${path}: ${refusal}`);
  }
  if (output !== undefined && output === historyFile) throw new UserError("--output and --history name the same file");

  const fleet = await loadFleetOrExit(options, io);
  const status = await fleetStatus(fleet, observeContext(options, io), true);
  const { reportInput, renderReport } = await reportRenderers();
  const input = reportInput(status);
  const entry = historyEntry(input);
  if (historyFile !== undefined) {
    try {
      input.history = [...readHistory(historyFile, { fleet: status.fleet }), entry];
    } catch (error) {
      throw new UserError(`cannot read history ${historyFile}: ${(error as Error).message}`);
    }
  }
  const text = await renderReport(format, input);

  if (output !== undefined) {
    const written = writeFileAtomic(output, text);
    if (!written.ok) throw new UserError(written.message);
    io.stderr(`mosaic: ${format} report written to ${output} (${input.summary.verdict})\n`);
  } else {
    io.stdout(text);
  }
  if (historyFile !== undefined) {
    try {
      await appendHistory(historyFile, entry);
    } catch (error) {
      throw new UserError(`cannot append to history ${historyFile}: ${(error as Error).message}`);
    }
  }
  return isCompliant(status) ? EXIT_OK : EXIT_FINDINGS;
}
