import { join } from "node:path";
import { DEMO_NAME_RE, demoDown, demoIdentity, demoStart, nameFlag, type DemoIo } from "../../demo/index.js";
import { renderFixPlan, tableRenderer } from "../../report/index.js";
import { safeText } from "../../terminal-text.js";
import { EXIT_OK, UserError } from "../exit-codes.js";
import { fleetStatus, loadFleetOrExit, observeContext, paintFor } from "../fleet-context.js";
import type { Io } from "../io.js";
import { tableLayout } from "../terminal-width.js";

/** `demo`'s flags. */
export interface DemoOptions {
  down?: boolean | undefined;
  name?: string | undefined;
  color?: boolean | undefined;
}

/** `--name NAME`, checked: it becomes a socket, unit and directory name. */
function demoName(name: string | undefined): string | null {
  if (name === undefined) return null;
  if (!DEMO_NAME_RE.test(name)) {
    throw new UserError(`invalid --name "${safeText(name)}": up to 16 lowercase letters, digits and -`);
  }
  return name;
}

/** `mosaic demo [--down] [--name NAME]`: bring up, join (or remove) a private demo fleet and show it. */
export async function run(options: DemoOptions, _args: string[], io: Io): Promise<number> {
  const uid = process.getuid?.() ?? 0;
  const say = (line: string) => io.stdout(`${line}\n`);
  const demo = demoIdentity(io.env, uid, demoName(options.name));
  const { home, socket } = demo;
  const demoIo: DemoIo = { say, env: io.env, uid, demo };
  const again = nameFlag(demo);
  if (options.down === true) {
    const removed = await demoDown(demoIo).catch((error: Error) => {
      throw new UserError(`demo --down failed: ${error.message}`);
    });
    say(
      removed
        ? `Demo removed: its units, sessions and files in ${home} are gone.`
        : `No demo to remove (nothing recorded in ${home}).`,
    );
    return EXIT_OK;
  }

  say(`mosaic demo: a private fleet on tmux socket "${socket}" with MOSAIC_HOME=${home}`);
  const started = await demoStart(demoIo).catch((error: Error) => {
    throw new UserError(`demo failed: ${error.message} (run \`mosaic demo --down${again}\` to clean up)`);
  });
  if (started.kind === "joined") {
    const since = started.state.startedAt ? ` since ${started.state.startedAt}` : "";
    say(
      `This demo is already running${since}: showing it, not starting another. ` +
        `\`mosaic demo --down${again}\` removes it; \`mosaic demo --name OTHER\` starts an independent one.`,
    );
  }

  const env: NodeJS.ProcessEnv = { ...io.env, MOSAIC_HOME: home };
  delete env["MOSAIC_ROSTER"];
  delete env["MOSAIC_FLEET_SOCKET"];
  const shownIo: Io = { ...io, env };
  const roster = join(home, "fleet", "roster.yaml");
  const fleet = await loadFleetOrExit({ roster }, shownIo);
  const status = await fleetStatus(fleet, observeContext({}, shownIo), true);
  const paint = paintFor(options, io);
  say("");
  say(paint("bold", `$ MOSAIC_HOME=${home} mosaic fleet ps --fix-plan`));
  const { renderTable } = await tableRenderer();
  io.stdout(renderTable(status, paint, tableLayout("table", io)));
  io.stdout(`\n${renderFixPlan(status.fixPlan ?? [], paint, status.agents)}`);
  const coder = status.agents.find((a) => a.name === "dogfood-coder");
  say("");
  say(paint("bold", "Try next:"));
  const lines = [
    [`export MOSAIC_HOME=${home}`, "the demo's roster and heartbeats"],
    ["bin/mosaic fleet ps -o wide", "socket, tmux target, real command, unit name"],
    ["bin/mosaic fleet ps --probe", "prove each heartbeat responder answers now"],
    [
      "bin/mosaic fleet ps --watch",
      "dogfood-reviewer waits for you (AwaitingInput); dogfood-orchestrator goes NoProgress after 10s",
    ],
    ["bin/mosaic fleet diff; echo exit=$?", "pre-deploy check: exit 1, canary-pi drifted"],
    ["bin/mosaic agent watch dogfood-coder", "read-only live view: keys are not sent; leave with q"],
    ["bin/mosaic agent logs dogfood-coder", "the pane's recent output; -f follows it"],
    ["bin/mosaic agent send --verify dogfood-coder 'hello'", "typed literally, submitted, proven by the stub's ack"],
    [`tmux -L ${socket} kill-session -t =dogfood-reviewer && bin/mosaic fleet ps`, "PaneDead (PaneMissing)"],
    ...(coder?.heartbeat.pid
      ? [
          [
            `kill -STOP ${coder.heartbeat.pid}; sleep 7; bin/mosaic fleet ps; kill -CONT ${coder.heartbeat.pid}`,
            "wedge the stub: Stale after 3 x 2s",
          ],
        ]
      : []),
    [`bin/mosaic demo --down${again}`, "remove everything this demo created (and no other demo)"],
  ];
  for (const [command, why] of lines) say(`  ${command}${paint("dim", `    # ${why}`)}`);
  return EXIT_OK;
}
