import type { CommandUnknownOpts as Command } from "@commander-js/extra-typings";

// Help that teaches: every command's --help ends with examples an operator can paste and
// the exit codes a script can test (docs/commands.md has the long form). Keyed by the
// command's path, so a command added without its help is caught by the test that walks
// the tree (test/cli/help.test.ts).

export interface CommandHelp {
  examples: ReadonlyArray<readonly [command: string, why: string]>;
  exitCodes: ReadonlyArray<readonly [code: number, meaning: string]>;
}

const FLEET_EXITS = [
  [0, "rendered"],
  [2, "usage error or invalid roster"],
] as const;
const TIMEOUT_EXIT = [4, "the tmux server did not answer in time (not known to be missing)"] as const;
const HOST_EXIT = [5, "an agent of another host: that host could not be used over ssh"] as const;
const AGENT_PANE_EXITS = [
  [0, "done"],
  [2, "usage error, invalid roster, unknown agent"],
  [3, "the agent's pane is missing"],
  TIMEOUT_EXIT,
  HOST_EXIT,
] as const;

export const COMMAND_HELP: Readonly<Record<string, CommandHelp>> = {
  "": {
    examples: [
      ["mosaic demo", "a private demo fleet to try everything on"],
      ["mosaic fleet ps", "one row per agent: unit, pane, process, heartbeat, conditions"],
      ["mosaic agent logs canary-pi", "why did that agent die?"],
      ["source <(mosaic completion bash)", "tab completion for commands, flags and agent names"],
    ],
    exitCodes: [
      [0, "success"],
      [1, "findings: differences, conditions, a message not accepted"],
      [2, "usage error, invalid roster, unknown agent"],
      [3, "an agent's pane is dead or missing"],
      [4, "a tmux server did not answer in time (not known to be missing)"],
    ],
  },
  fleet: {
    examples: [
      ["mosaic fleet validate -f roster.yaml", "lint a roster before it ships"],
      ["mosaic fleet ps -w", "watch the fleet; Ctrl-C to stop"],
      ["mosaic fleet report -o prometheus --output fleet.prom", "for node_exporter's textfile collector"],
    ],
    exitCodes: [
      [0, "success"],
      [1, "findings (diff, report)"],
      [2, "usage error or invalid roster"],
    ],
  },
  "fleet validate": {
    examples: [
      ["mosaic fleet validate", "the roster in effect ($MOSAIC_ROSTER, else $MOSAIC_HOME/fleet/roster.yaml)"],
      ["mosaic fleet validate -f roster.yaml", "every problem at FILE:LINE:COL"],
      [
        "mosaic fleet validate -f roster.yaml -o json",
        "problems as data (file, line, col, message) for editors and CI",
      ],
    ],
    exitCodes: [
      [0, "valid"],
      [2, "invalid roster or usage error"],
    ],
  },
  "fleet ps": {
    examples: [
      ["mosaic fleet ps", "the table: one row per agent"],
      ["mosaic fleet ps -o wide --fix-plan", "every column, and what would fix each problem"],
      ["mosaic fleet ps -w --interval 5s", "redraw on every change and at least every 5 s; Ctrl-C exits 0"],
      ["mosaic fleet ps -o json | jq '.agents[].name'", "the status object for scripts"],
      ["mosaic fleet ps --host dragon-lin --host-timeout 10s", "one host's agents, observed there over ssh"],
    ],
    exitCodes: [...FLEET_EXITS],
  },
  "fleet observe": {
    examples: [
      ["mosaic fleet observe -f roster.yaml", "what this host sees of the roster's agents on it, as raw facts"],
      [
        "ssh dragon-lin mosaic fleet observe -o json -f - < roster.yaml",
        "what the operator's fleet ps runs on each remote host",
      ],
    ],
    exitCodes: [...FLEET_EXITS],
  },
  "fleet diff": {
    examples: [
      ["mosaic fleet diff -f proposed.yaml", "what would change if this roster were deployed"],
      ["mosaic fleet diff -o json", "the differences as data"],
    ],
    exitCodes: [
      [0, "the fleet complies with the roster"],
      [1, "differences found"],
      [2, "usage error or invalid roster"],
    ],
  },
  "fleet apply": {
    examples: [
      ["mosaic fleet apply --dry-run", "the plan, and what this run would do with each step; nothing changes"],
      ["mosaic fleet apply --yes", "enable and start what the roster wants, touching no running agent"],
      ["mosaic fleet apply --yes --allow-disruptive --agent canary-pi", "also restart that drifted agent"],
    ],
    exitCodes: [
      [0, "converged: nothing left to do for the selected agents"],
      [1, "not converged (the reasons are listed)"],
      [2, "usage error, invalid roster, not confirmed, or another apply is running; nothing done"],
    ],
  },
  "fleet report": {
    examples: [
      ["mosaic fleet report -o markdown", "a compliance report on stdout (-o is --format)"],
      ["mosaic fleet report -o html --output report.html --history history.jsonl", "with a health chart over time"],
      ["mosaic fleet report -o junit --output fleet.xml", "one test case per agent and condition, for CI"],
    ],
    exitCodes: [
      [0, "compliant"],
      [1, "not compliant, or UNKNOWN (nothing observable)"],
      [2, "usage error, invalid roster, unwritable --output"],
    ],
  },
  "fleet schema": {
    examples: [
      ["mosaic fleet schema > roster.schema.json", "for editors: # yaml-language-server: $schema=./roster.schema.json"],
      ["mosaic fleet schema | jq .properties.agents", "what an agent entry may hold"],
    ],
    exitCodes: [[0, "printed"]],
  },
  agent: {
    examples: [
      ["mosaic agent watch canary-pi", "look at the agent's pane without being able to type into it"],
      ["mosaic agent send --verify canary-pi 'run the tests'", "type a message and prove it was accepted"],
      ["mosaic agent logs -n 50 canary-pi", "its last 50 lines, even after it died"],
    ],
    exitCodes: [
      [0, "success"],
      [1, "a message was not accepted"],
      [2, "usage error, invalid roster, unknown agent"],
      [3, "the agent's pane is dead or missing"],
      TIMEOUT_EXIT,
    ],
  },
  "agent stub": {
    examples: [
      ["mosaic agent stub dogfood-coder", "the reference runtime, as an agent command in a pane"],
      ["MOSAIC_AGENT_NAME=coder mosaic agent stub --interval 2s", "name from the environment, heartbeat interval 2 s"],
    ],
    exitCodes: [
      [0, "stopped (end of input or a signal)"],
      [2, "usage error"],
    ],
  },
  "agent hook": {
    examples: [
      [
        "mosaic agent hook claude-code --agent coder",
        "as a Claude Code command hook: records each event (working, waiting, idle, exited) in coder's heartbeat",
      ],
      ['mosaic agent hook codex coder \'{"type":"agent-turn-complete"}\'', "as codex's notify program"],
      ["mosaic agent setup claude-code coder", "prints the settings that install it (see agent setup)"],
    ],
    exitCodes: [[0, "always, whatever it is fed: a hook never blocks its runtime"]],
  },
  "agent setup": {
    examples: [
      ["mosaic agent setup claude-code coder", "print the settings.json hooks fragment for agent coder"],
      [
        "mosaic agent setup claude-code coder --write ~/.claude/settings.json",
        "merge it in, keeping what is there (a backup first)",
      ],
      [
        "mosaic agent setup codex coder --write ~/.codex/config.toml",
        "codex: notify and hooks; it asks to review them",
      ],
    ],
    exitCodes: [
      [0, "printed or written"],
      [2, "usage error, or a file it will not change (not JSON, another codex notify)"],
    ],
  },
  "agent run": {
    examples: [
      ["mosaic agent run coder -- python3 agent.py", "ExecStart= of a supervised unit: exits with the agent's status"],
      ["mosaic agent run coder --socket mosaic-demo -- mosaic agent stub", "on another tmux socket"],
    ],
    exitCodes: [
      [0, "stopped (SIGTERM): its session was killed"],
      [1, "the session vanished, or no tmux server on the socket"],
      [2, "usage error, or a session it did not start (not taken over)"],
      [3, "(and any other) the agent's own exit status; 128+N when killed by signal N"],
    ],
  },
  "agent heartbeat": {
    examples: [
      ["mosaic agent heartbeat coder &", "keep coder's heartbeat fresh while this runs"],
      ["mosaic agent heartbeat coder --once --status busy", "one heartbeat vouching for the calling process"],
    ],
    exitCodes: [
      [0, "stopped, or the one heartbeat was written"],
      [2, "usage error or an unsafe run directory"],
    ],
  },
  "agent watch": {
    examples: [
      ["mosaic agent watch canary-pi", "follows the cursor; leave with q, C-c or C-b d"],
      ["mosaic agent watch --socket mosaic-demo dogfood-coder", "on another tmux socket"],
    ],
    exitCodes: [
      [0, "left with q, C-c or C-b d"],
      [2, "usage error, unknown agent, not a terminal"],
      [3, "the agent's pane is missing or went away"],
      TIMEOUT_EXIT,
      HOST_EXIT,
    ],
  },
  "agent attach": {
    examples: [
      ["mosaic agent attach canary-pi", "take over: what you type goes to the agent; detach with C-b d"],
      ["mosaic agent attach -f roster.yaml canary-pi", "an agent of another roster"],
    ],
    exitCodes: [
      [0, "detached"],
      [2, "usage error, unknown agent, not a terminal"],
      [3, "the agent's pane is missing"],
      TIMEOUT_EXIT,
      HOST_EXIT,
    ],
  },
  "agent send": {
    examples: [
      ["mosaic agent send canary-pi 'run the tests'", "typed literally, then Enter"],
      ["mosaic agent send --verify --timeout 30s canary-pi 'fix #12'", "succeed only when the agent accepted it"],
      ["mosaic agent send -o json canary-pi -- '-v is a message too'", "a message starting with -, result as JSON"],
    ],
    exitCodes: [
      [0, "delivered (and verified with --verify)"],
      [1, "not accepted, or refused (a draft, a mode, input off)"],
      [2, "usage error, bad message, unknown agent"],
      [3, "the agent's pane is dead or missing"],
      TIMEOUT_EXIT,
      HOST_EXIT,
    ],
  },
  "agent logs": {
    examples: [
      ["mosaic agent logs canary-pi", "everything the pane still holds (history + screen)"],
      ["mosaic agent logs -n 20 canary-pi", "its last 20 lines: why did it die?"],
      ["mosaic agent logs -f canary-pi", "follow new lines until Ctrl-C or the pane dies"],
    ],
    exitCodes: [...AGENT_PANE_EXITS],
  },
  completion: {
    examples: [
      ["source <(mosaic completion bash)", "bash, this shell; add it to ~/.bashrc to keep it"],
      ['mosaic completion zsh > "${fpath[1]}/_mosaic"', "zsh (then restart zsh)"],
      ["mosaic completion fish > ~/.config/fish/completions/mosaic.fish", "fish"],
    ],
    exitCodes: [
      [0, "printed"],
      [2, "unknown shell"],
    ],
  },
  demo: {
    examples: [
      ["mosaic demo", "start the demo, or show the one already running"],
      ["mosaic demo --name second", "an independent demo next to it"],
      ["mosaic demo --down", "remove the demo (--name NAME: only that one)"],
    ],
    exitCodes: [
      [0, "up (or removed)"],
      [2, "cannot start: the socket or a unit file belongs to someone else"],
    ],
  },
};

/** A command's path under the program: "" for `mosaic`, "fleet ps" for `mosaic fleet ps`. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return names.join(" ");
}

/** The text added after a command's options: Examples and Exit codes. */
export function helpFooter(help: CommandHelp): string {
  const width = Math.max(...help.examples.map(([command]) => command.length));
  const examples = help.examples.map(([command, why]) =>
    command.length + why.length > 100 ? `  ${command}\n      # ${why}` : `  ${command.padEnd(width)}  # ${why}`,
  );
  const codes = help.exitCodes.map(([code, meaning]) => `  ${code}  ${meaning}`);
  return `\nExamples:\n${examples.join("\n")}\n\nExit codes:\n${codes.join("\n")}\n`;
}

/** Every visible command of the tree, the program included. */
export function visibleCommands(program: Command): Command[] {
  const all: Command[] = [];
  const help = program.createHelp();
  const walk = (command: Command) => {
    all.push(command);
    // Commander's own idea of visible: hidden ones (`__complete`) left out, `help` included.
    for (const sub of help.visibleCommands(command)) walk(sub);
  };
  walk(program);
  return all;
}

/**
 * Add the examples and exit codes to every command that has them: one listener on the
 * program for the whole tree, which formats a footer only when help is shown (walking
 * every command to attach its text cost each run of every command ~0.6 ms).
 */
export function addTeachingHelp(program: Command): void {
  program.addHelpText("afterAll", ({ command }) => {
    const help = COMMAND_HELP[commandPath(command)];
    return help ? helpFooter(help) : "";
  });
}
