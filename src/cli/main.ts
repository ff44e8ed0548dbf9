import {
  Argument,
  Command,
  CommanderError,
  Option,
  type CommandUnknownOpts,
  type OptionValues,
} from "@commander-js/extra-typings";
import { EXIT_OK, EXIT_OUTPUT_FAILED, EXIT_TIMEOUT, EXIT_USAGE, UserError } from "./exit-codes.js";
import { CommandTimeout } from "../system/index.js";
import { RunDirRefused } from "../heartbeat/index.js";
import type { BootOptions } from "./boot.js";
import { addTeachingHelp } from "./help.js";
import { DIFF_FORMATS, REPORT_FORMAT_NAMES, STATUS_FORMATS, TEXT_FORMATS } from "../report/index.js";
import { outputEnded, outputFailure, processIo, safeIo, writeStderr, wroteTo, type Io } from "./io.js";
import { terminalSafe } from "../terminal-text.js";

// The CLI only wires the pipeline: it parses argv, then lazily loads the one command
// that runs, so `mosaic --help` and `fleet ps` never pay for report or watch code.

declare const __MOSAIC_VERSION__: string | undefined;
const VERSION = typeof __MOSAIC_VERSION__ === "string" ? __MOSAIC_VERSION__ : "0.0.0-dev";

/** A command's run(): its options as its file declares them, checked against its flags below. */
type Action<Options> = (options: Options, args: string[], io: Io) => Promise<number>;

/**
 * `unknown` when the options commander parses from a command's flags (inferred by
 * @commander-js/extra-typings) fit what its run() declares: every option it reads is a
 * flag of that command, of a type the parsed value fits. `never` otherwise, which
 * fails `tsc` at the `.action(lazy(…))` of that command.
 */
export type OptionsFit<Parsed, Declared> = [Parsed] extends [Declared]
  ? [Exclude<keyof Declared, keyof Parsed>] extends [never]
    ? unknown
    : never
  : never;

function withRoster<A extends unknown[], O extends OptionValues, G extends OptionValues>(command: Command<A, O, G>) {
  return command
    .option("-f, --roster <file>", "roster file (default: $MOSAIC_ROSTER, else $MOSAIC_HOME/fleet/roster.yaml)")
    .option("--tenant <name>", "only this tenant's agents")
    .option("--no-color", "no ANSI colour (also NO_COLOR)");
}

/** Options of the commands that observe across hosts (docs/commands.md, Many hosts). */
function withHosts<A extends unknown[], O extends OptionValues, G extends OptionValues>(command: Command<A, O, G>) {
  return command
    .option("--host <name>", "only the agents of this host (as the roster names it)")
    .option("--host-timeout <dur>", "how long one remote host may take to answer over ssh", "5s");
}

function withOutput<
  A extends unknown[],
  O extends OptionValues,
  G extends OptionValues,
  const F extends readonly string[],
>(command: Command<A, O, G>, formats: F) {
  return command
    .addOption(new Option("-o, --output <format>", "output format").choices(formats))
    .option("--json", "same as -o json")
    .option("--socket <name>", "tmux socket (-L) to observe; beats the roster and MOSAIC_FLEET_SOCKET");
}

/** Build the command tree; `exitCode` receives the finished command's code. */
export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command("mosaic")
    .description("The truth about a fleet of AI coding agents: systemd + tmux + process tree + heartbeats.")
    .version(VERSION, "--version", "print the version")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
      outputError: (text, write) => write(text.replace(/^error: /, "mosaic: ")),
    })
    .exitOverride();

  // The command's action: its file loads only now, and gets its parsed options, typed.
  const lazy =
    <Options>(load: () => Promise<{ run: Action<Options> }>) =>
    async <Parsed extends Options>(
      ...received: [
        ...positional: unknown[],
        options: Parsed & OptionsFit<Parsed, Options>,
        command: CommandUnknownOpts,
      ]
    ): Promise<void> => {
      const options = received[received.length - 2] as Parsed;
      const command = received[received.length - 1] as CommandUnknownOpts;
      const [module, logging] = await Promise.all([load(), import("../log.js")]);
      hasLog = true;
      await logging.initLog(io.env);
      if (booted) logging.log("debug", { step: "boot", codeCache: booted.codeCache }, "boot done");
      setExit(await module.run(options, command.args, io));
    };

  const fleet = program.command("fleet").description("observe and check the whole fleet against its roster");
  fleet.exitOverride();

  withRoster(fleet.command("validate").description("lint the roster only (no observation); exit 0 valid, 2 invalid"))
    .addOption(new Option("-o, --output <format>", "output format (json: the problems as data)").choices(TEXT_FORMATS))
    .option("--json", "same as -o json")
    .action(lazy(() => import("./commands/fleet-validate.js")));

  withOutput(
    withHosts(
      withRoster(
        fleet
          .command("ps")
          .description("one row per roster agent: systemd + tmux + process tree + heartbeat, with conditions"),
      ),
    ),
    STATUS_FORMATS,
  )
    .option("--fix-plan", "also print the remediation plan (nothing is run)")
    .option("--probe", "probe each agent's heartbeat responder and show the round trip")
    .option("--probe-timeout <dur>", "with --probe: how long to wait for echoes (default: 2s)")
    .option("-w, --watch", "keep watching: redraw on every change (heartbeats, tmux events, and every --interval)")
    .option("--interval <dur>", "with --watch: re-observe at least this often (default: 1s)")
    .action(lazy(() => import("./commands/fleet-ps.js")));

  withRoster(
    fleet
      .command("apply")
      .description(
        "carry out the fix plan: show it, ask (or --yes), run it step by step, observe again; exit 0 converged",
      ),
  )
    .option("--dry-run", "print the plan and change nothing")
    .option("-y, --yes", "do not ask (required without a terminal)")
    .option("--allow-disruptive", "also run steps that restart or kill an agent")
    .option("--agent <name>", "only this agent (repeatable)", (value: string, previous: string[] = []) => [
      ...previous,
      value,
    ])
    .option("--step-timeout <dur>", "bound on each step", "60s")
    .option("--settle <dur>", "how long to wait for the fleet to settle after acting", "15s")
    .option("--socket <name>", "tmux socket (-L) to observe; beats the roster and MOSAIC_FLEET_SOCKET")
    .action(lazy(() => import("./commands/fleet-apply.js")));

  withOutput(
    withHosts(
      withRoster(
        fleet
          .command("diff")
          .description("pre-deploy check: the roster against live state; exit 0 compliant, 1 differences, 2 bad input"),
      ),
    ),
    DIFF_FORMATS,
  ).action(lazy(() => import("./commands/fleet-diff.js")));

  withHosts(
    withRoster(
      fleet
        .command("report")
        .description("compliance report for cron/timers; exit 0 compliant, 1 not or UNKNOWN, 2 bad input"),
    ),
  )
    .addOption(
      new Option("-o, --format <format>", "report format (-o as in every command)")
        .choices(REPORT_FORMAT_NAMES)
        .makeOptionMandatory(),
    )
    .option("--output <file>", "write the report atomically to FILE instead of stdout")
    .option("--history <file>", "append one summary line per run to FILE.jsonl (html charts it)")
    .option("--socket <name>", "tmux socket (-L) to observe; beats the roster and MOSAIC_FLEET_SOCKET")
    .action(lazy(() => import("./commands/fleet-report.js")));

  withRoster(
    fleet
      .command("observe")
      .description(
        "print this host's raw observation of the roster's agents (for a remote fleet ps; -f - reads stdin)",
      ),
  )
    .addOption(new Option("-o, --output <format>", "output format").choices(["json"]).default("json"))
    .option("--socket <name>", "tmux socket (-L) to observe; beats the roster and MOSAIC_FLEET_SOCKET")
    .action(lazy(() => import("./commands/fleet-observe.js")));

  fleet
    .command("schema")
    .description("print the roster's JSON Schema (draft 2020-12)")
    .action(lazy(() => import("./commands/fleet-schema.js")));

  const agent = program
    .command("agent")
    .description("one agent: watch, attach, send, logs; the stub runtime and heartbeat responder");
  agent
    .command("stub")
    .description("the reference (dogfood) agent runtime: answers input lines, acknowledges each in its heartbeat")
    .argument("[name]", "agent name (default: $MOSAIC_AGENT_NAME, else the tmux session)")
    .option("--interval <dur>", "heartbeat interval (default: $MOSAIC_HEARTBEAT_INTERVAL or 15s)")
    .option(
      "--status <script>",
      'statuses to play: STATUS[:DURATION][:note=TEXT],… e.g. "working:5s,waiting:note=Allow Bash?" (default $MOSAIC_STUB_STATUS, else idle)',
    )
    .action(lazy(() => import("./commands/agent-stub.js")));
  agent
    .command("heartbeat")
    .description("heartbeat responder for runtimes that cannot write one themselves")
    .argument("<name>", "agent name")
    .option("--status <word>", "status word to report", "idle")
    .option("--interval <dur>", "heartbeat interval (default: $MOSAIC_HEARTBEAT_INTERVAL or 15s)")
    .option("--once", "write one heartbeat vouching for the calling process, then exit")
    .action(lazy(() => import("./commands/agent-heartbeat.js")));
  agent
    .command("hook")
    .description("a runtime's hook program: records its events (working, waiting, idle, exited) in the heartbeat")
    .argument("<runtime>", "claude-code or codex")
    .argument("[name-or-payload...]", "agent NAME (like --agent); codex notify: the event JSON (others read stdin)")
    .option("--agent <name>", "agent name (default: $MOSAIC_AGENT_NAME, else the tmux session)")
    .allowUnknownOption()
    .allowExcessArguments()
    .action(lazy(() => import("./commands/agent-hook.js")));
  agent
    .command("setup")
    .description("print (or --write) the hook settings that make a runtime report its state")
    .argument("<runtime>", "claude-code or codex")
    .argument("[name]", "agent name baked into the hook (default: $MOSAIC_AGENT_NAME or the tmux session, at run time)")
    .option("--write <file>", "merge into FILE (settings.json, hooks.json or config.toml), keeping what is there")
    .action(lazy(() => import("./commands/agent-setup.js")));

  agent
    .command("run")
    .description("run an agent in its tmux session in the foreground of a systemd unit; exit with its status")
    .argument("<name>", "agent name (the tmux session)")
    .argument("<command...>", "the agent's program and arguments, after --")
    .option("--socket <name>", "tmux socket (-L); default $MOSAIC_FLEET_SOCKET")
    .action(lazy(() => import("./commands/agent-run.js")));
  withRoster(agent.command("watch").description("read-only live view of the agent's pane: cannot type, never resizes"))
    .argument("<name>", "agent name (exact)")
    .option("--socket <name>", "tmux socket (-L); beats the roster and MOSAIC_FLEET_SOCKET")
    .action(lazy(() => import("./commands/agent-watch.js")));
  withRoster(
    agent.command("attach").description("explicit interactive takeover of the agent's pane (can type; never resizes)"),
  )
    .argument("<name>", "agent name (exact)")
    .option("--socket <name>", "tmux socket (-L); beats the roster and MOSAIC_FLEET_SOCKET")
    .action(lazy(() => import("./commands/agent-attach.js")));
  withRoster(
    agent
      .command("send")
      .description("type MESSAGE literally into the agent's pane and submit it; --verify proves it was accepted"),
  )
    .argument("<name>", "agent name (exact)")
    .argument("<message>", "one line of text, sent literally (use -- before a message that starts with -)")
    .option("--verify", "succeed only with proof the agent accepted the message")
    .option("--timeout <dur>", "how long to wait for the lock and the proof", "10s")
    .addOption(new Option("-o, --output <format>", "output format").choices(TEXT_FORMATS))
    .option("--json", "same as -o json")
    .option("--socket <name>", "tmux socket (-L); beats the roster and MOSAIC_FLEET_SOCKET")
    .action(lazy(() => import("./commands/agent-send.js")));

  agent
    .command("logs")
    .description("the pane's recent output (history + screen), escaped; -f follows; works on a dead pane")
    .argument("<name>", "agent name (exact)")
    // -f is --follow here, as in `kubectl logs` and `tail`; the roster is --roster only.
    .option("--roster <file>", "roster file (default: $MOSAIC_ROSTER, else $MOSAIC_HOME/fleet/roster.yaml)")
    .option("--tenant <name>", "only this tenant's agents")
    .option("-n, --lines <count>", "only the last COUNT lines (default: all the pane holds)")
    .option("-f, --follow", "keep printing new lines until Ctrl-C or the pane dies")
    .option("--socket <name>", "tmux socket (-L); beats the roster and MOSAIC_FLEET_SOCKET")
    .action(lazy(() => import("./commands/agent-logs.js")));

  // The far half of agent send/logs/watch/attach on another host (docs/commands.md, Many hosts).
  agent
    .command("over-ssh", { hidden: true })
    .description("run one agent command here for another host's mosaic (sent by its ssh)")
    .requiredOption("--request <word>", "the request, base64url")
    .action(lazy(() => import("./commands/agent-over-ssh.js")));

  program
    .command("completion")
    .description("print a shell completion script: source <(mosaic completion bash)")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(["bash", "zsh", "fish"]))
    .action(async (shell: string) => {
      const { completionScript } = await import("./completion.js");
      io.stdout(completionScript(shell, program));
    });
  withRoster(program.command("__complete", { hidden: true }).description("values for shell completion"))
    .argument("<kind>", "agents or tenants")
    .action(lazy(() => import("./commands/complete.js")));

  program
    .command("demo")
    .description("bring up a private demo fleet (its own socket and MOSAIC_HOME) and show it")
    .option("--down", "remove everything the demo created, and nothing else")
    .option("--name <name>", "an independent demo: its own socket, MOSAIC_HOME and units")
    .option("--no-color", "no ANSI colour (also NO_COLOR)")
    .action(lazy(() => import("./commands/demo.js")));

  for (const command of [program, fleet, ...fleet.commands, agent, ...agent.commands, ...program.commands]) {
    command.exitOverride().configureOutput(program.configureOutput()).showSuggestionAfterError(true);
  }
  addTeachingHelp(program);
  return program;
}

/** Run the CLI; resolves to the process exit code. Never throws for user errors. */
export async function run(argv: readonly string[], io: Io = processIo()): Promise<number> {
  try {
    return await runCommand(argv, safeIo(io));
  } finally {
    if (hasLog) await (await import("../log.js")).flushLog();
  }
}

let hasLog = false;
let booted: BootOptions | null = null;

async function runCommand(argv: readonly string[], io: Io): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    if (argv.length === 0) {
      // As kubectl: a bare `mosaic` is a request for the overview, not a mistake.
      program.outputHelp();
      return EXIT_OK;
    }
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return EXIT_OK;
      // `mosaic help fleet` asked for help (0); `mosaic fleet` alone printed it as an error.
      if (error.code === "commander.help") return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
      return EXIT_USAGE;
    }
    if (error instanceof CommandTimeout) {
      io.stderr(`mosaic: ${error.message}\n`);
      return EXIT_TIMEOUT;
    }
    if (error instanceof UserError) {
      io.stderr(error.bare ? `${error.message}\n` : `mosaic: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof RunDirRefused) {
      io.stderr(`mosaic: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

/** Entry point for bin/mosaic, through boot (dist/boot.cjs). */
export async function main(boot: BootOptions = { codeCache: "off" }): Promise<void> {
  booted = boot;
  try {
    process.exitCode = await run(process.argv.slice(2));
  } catch (error) {
    // A bug, not a user error: say so in one line; the stack only when asked for.
    const message = error instanceof Error ? error.message : String(error);
    writeStderr(terminalSafe(`mosaic: internal error: ${message}\n`));
    if (process.env["MOSAIC_LOG_LEVEL"] === "debug" && error instanceof Error)
      writeStderr(terminalSafe(`${error.stack}\n`));
    process.exitCode = 70;
  }
  await exitWhenFlushed(boot.saveCodeCache);
}

/**
 * The command is done: leave once stdout and stderr have been handed to the kernel.
 * A natural exit waits for the event loop to empty and then tears the whole heap down,
 * which after a 500-agent `fleet ps` costs several milliseconds for nothing (bench/);
 * process.exit() skips that teardown. The write callbacks make sure no output is lost
 * on a pipe or file that Node writes asynchronously.
 */
async function exitWhenFlushed(beforeExit?: () => void): Promise<void> {
  const flushed = (stream: NodeJS.WriteStream) =>
    new Promise<void>((resolve) => {
      if (!wroteTo(stream) || outputEnded(stream) || stream.destroyed || !stream.writable) return resolve();
      try {
        stream.write("", () => resolve());
      } catch {
        resolve();
      }
    });
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  // A write that failed on a stream Node writes asynchronously (a device, a socket)
  // reports it by now: its callback ran, its error event follows on the next turn.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const failure = outputFailure();
  if (failure !== null) {
    // Output was lost (a full disk, not a reader that left): one sentence, if stderr still
    // takes one, and an exit code that says so, whatever the command had decided.
    if (!outputEnded(process.stderr)) {
      writeStderr(
        terminalSafe(`mosaic: cannot write to ${failure.stream} (${failure.code}); the output is incomplete\n`),
      );
      await flushed(process.stderr);
    }
    process.exitCode = EXIT_OUTPUT_FAILED;
  }
  beforeExit?.();
  process.exit();
}
