import type { FleetStatus } from "../../diff/index.js";
import type { ObserveContext } from "../../observe/index.js";
import {
  renderFixPlan,
  tableRenderer,
  tableCells,
  jsonPieces,
  renderYaml,
  watchJsonWriter,
} from "../../report/index.js";
import { durationOption } from "../duration-option.js";
import type { FleetSpec } from "../../spec/index.js";
import { EXIT_OK } from "../exit-codes.js";
import { fleetStatus, loadFleetOrExit, observeContext, outputFormat, paintFor } from "../fleet-context.js";
import { checkFlagRules, type FlagRule } from "../flag-rules.js";
import { onStdoutClosed, printJson, type Io } from "../io.js";
import type { HostOptions, OutputOptions, RosterOptions, SocketOption } from "../options.js";
import { takeTerminal, type TerminalSession } from "../../terminal-session.js";
import { tableLayout } from "../terminal-width.js";
import { latestFrameWhileBehind } from "../latest-frame.js";

/** `fleet ps`'s flags. */
export type PsOptions = RosterOptions &
  HostOptions &
  OutputOptions &
  SocketOption & {
    fixPlan?: boolean | undefined;
    probe?: boolean | undefined;
    probeTimeout?: string | undefined;
    watch?: boolean | undefined;
    interval?: string | undefined;
  };

const PS_FLAG_RULES: readonly FlagRule<PsOptions>[] = [
  { flag: ["interval", "--interval"], requires: ["watch", "--watch"] },
  { flag: ["probeTimeout", "--probe-timeout"], requires: ["probe", "--probe"] },
  { flag: ["probe", "--probe"], conflicts: ["watch", "--watch"] },
];

/** `--probe [--probe-timeout DUR]` → milliseconds to wait for echoes, or undefined. */
function probeTimeout(options: PsOptions): number | undefined {
  if (options.probe !== true) return undefined;
  const raw = options.probeTimeout ?? "2s";
  return durationOption("--probe-timeout", raw, { minS: 0.001, maxS: 60 }) * 1000;
}

/** `mosaic fleet ps [--fix-plan]`: one row per roster agent; exit 0 once rendered. */
export async function run(options: PsOptions, _args: string[], io: Io): Promise<number> {
  checkFlagRules(options, PS_FLAG_RULES);
  if (options.watch === true) return watch(options, io);
  const fleet = await loadFleetOrExit(options, io);
  const ctx = observeContext(options, io);
  const withPlan = options.fixPlan === true;
  const format = outputFormat(options);
  const status = await fleetStatus(fleet, ctx, withPlan, probeTimeout(options));
  if (format === "json") printJson(io, jsonPieces(status));
  else if (format === "yaml") io.stdout(await renderYaml(status));
  else {
    // The table layout library loads only when a table is drawn (-o json is the hot path for scripts).
    const { renderTable } = await tableRenderer();
    const paint = paintFor(options, io);
    io.stdout(renderTable(status, paint, tableLayout(format, io)));
    if (withPlan) io.stdout(`\n${renderFixPlan(status.fixPlan ?? [], paint, status.agents)}`);
  }
  return EXIT_OK;
}

/** `--interval DUR`: how often a watch re-observes at least, in seconds. */
function watchIntervalS(options: Pick<PsOptions, "interval">): number {
  const raw = options.interval ?? "1s";
  return durationOption("--interval", raw, { minS: 0.05, maxS: 86_400 });
}

/** `fleet ps --watch`: redraw in place on a TTY; else a new block (or JSON document) per change. */
async function watch(options: PsOptions, io: Io): Promise<number> {
  const withPlan = options.fixPlan === true;
  const format = outputFormat(options);
  const inPlace = io.stdoutIsTTY && (format === "table" || format === "wide");
  // Signals first, before the roster is even read: Ctrl-C, SIGTERM or SIGHUP at any
  // moment ends the watch with exit 0 and the cursor shown again (docs/commands.md).
  const terminal = takeTerminal({
    output: { write: io.stdout, ...(inPlace ? { fd: 1 } : {}) },
    hideCursor: inPlace,
  });
  try {
    const fleet = await loadFleetOrExit(options, io);
    // Other hosts: one multiplexed ssh connection each for the whole watch, closed after it.
    const { multiplexSsh } = await import("../ssh-multiplex.js");
    const ssh = multiplexSsh(fleet, observeContext(options, io), watchIntervalS(options) * 1000);
    try {
      return await watchUntilSignalled(options, io, fleet, ssh.ctx, withPlan, format, inPlace, terminal);
    } finally {
      await ssh.close();
    }
  } finally {
    terminal.restore();
    if (inPlace) io.stdout("\n");
  }
}

async function watchUntilSignalled(
  options: PsOptions,
  io: Io,
  fleet: FleetSpec,
  ctx: ObserveContext,
  withPlan: boolean,
  format: string,
  inPlace: boolean,
  terminal: TerminalSession,
): Promise<number> {
  const [{ watchFleet }, { renderTable }, { paintCell, textCell, truncateCell }, { watchJson }] = await Promise.all([
    import("../watch-loop.js"),
    tableRenderer(),
    tableCells(),
    watchJsonWriter(),
  ]);
  const paint = paintFor(options, io);
  const seconds = watchIntervalS(options);
  let shown: { status: FleetStatus; why: string } | null = null;
  const draw = async (status: FleetStatus, why: string) => {
    shown = { status, why };
    // Rows no event touched keep their text from the last document (report/watch-json.ts).
    if (format === "json") return io.stdout(`${watchJson(status)}\n`);
    if (format === "yaml") return io.stdout(`---\n${await renderYaml(status)}`);
    // On a terminal the table, and the line above it, fit its width as it is now.
    const layout = tableLayout(format, io);
    const table =
      renderTable(status, paint, layout) +
      (withPlan ? `\n${renderFixPlan(status.fixPlan ?? [], paint, status.agents)}` : "");
    const line = textCell(`${status.observedAt}  (${why}; Ctrl-C to stop)`, "dim");
    const header = paintCell(layout.kind === "fit" ? truncateCell(line, layout.width) : line, paint);
    if (inPlace) io.stdout(`\u001b[H\u001b[2J${header}\n${table}`);
    else io.stdout(`${header}\n${table}\n`);
  };
  const frames = latestFrameWhileBehind(draw, io);
  let stopReaderGone: () => void = () => undefined;
  const readerGone = new Promise<void>((resolve) => {
    stopReaderGone = onStdoutClosed(resolve);
  });
  // A resized terminal gets the last status redrawn to its new width at once.
  const stopResize = inPlace
    ? io.onResize?.(() => {
        if (shown !== null) void frames.draw(shown.status, "resized");
      })
    : undefined;
  try {
    await watchFleet({
      fleet,
      ctx,
      withPlan,
      floorMs: seconds * 1000,
      render: frames.draw,
      // Every document is judged whole before it is drawn: every age in it is the moment's
      // (a JSON row written as last judged would carry ages up to a full pass old).
      freshRows: true,
      // A signal, or nobody reading any more (`… -o json | head -1`, noticed at the next write).
      until: Promise.race([terminal.signalled.then(() => undefined), readerGone]),
    });
  } finally {
    frames.stop();
    stopReaderGone();
    stopResize?.();
  }
  return EXIT_OK;
}
