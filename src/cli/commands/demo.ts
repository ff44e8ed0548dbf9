import { join } from "node:path";
import { demoDown, demoHome, demoUp, DEMO_SOCKET } from "../../demo/demo.js";
import { renderFixPlan } from "../../report/fix-plan.js";
import { EXIT_OK, UserError } from "../exit-codes.js";
import { fleetStatus, loadFleetOrExit, observeContext, paintFor } from "../fleet-context.js";
import type { Io } from "../io.js";
import { tableLayout } from "../terminal-width.js";

/** `mosaic demo [--down]`: bring up (or remove) a private demo fleet and show it. */
export async function run(options: Record<string, unknown>, _args: string[], io: Io): Promise<number> {
  const uid = process.getuid?.() ?? 0;
  const say = (line: string) => io.stdout(`${line}\n`);
  const home = demoHome(io.env, uid);
  if (options["down"] === true) {
    const removed = await demoDown({ say, env: io.env, uid }).catch((error: Error) => {
      throw new UserError(`demo --down failed: ${error.message}`);
    });
    say(
      removed
        ? `Demo removed: its units, sessions and files in ${home} are gone.`
        : `No demo to remove (nothing recorded in ${home}).`,
    );
    return EXIT_OK;
  }

  say(`mosaic demo: a private fleet on tmux socket "${DEMO_SOCKET}" with MOSAIC_HOME=${home}`);
  await demoUp({ say, env: io.env, uid }).catch((error: Error) => {
    throw new UserError(`demo failed: ${error.message} (run \`mosaic demo --down\` to clean up)`);
  });

  const env: NodeJS.ProcessEnv = { ...io.env, MOSAIC_HOME: home };
  delete env["MOSAIC_ROSTER"];
  delete env["MOSAIC_FLEET_SOCKET"];
  const demoIo: Io = { ...io, env };
  const roster = join(home, "fleet", "roster.yaml");
  const fleet = await loadFleetOrExit({ roster }, demoIo);
  const status = await fleetStatus(fleet, observeContext({}, demoIo), true);
  const paint = paintFor(options, io);
  say("");
  say(paint("bold", `$ MOSAIC_HOME=${home} mosaic fleet ps --fix-plan`));
  const { renderTable } = await import("../../report/table.js");
  io.stdout(renderTable(status, paint, tableLayout("table", io)));
  io.stdout(`\n${renderFixPlan(status.fixPlan ?? [], paint, status.agents)}`);
  const coder = status.agents.find((a) => a.name === "dogfood-coder");
  say("");
  say(paint("bold", "Try next:"));
  const lines = [
    [`export MOSAIC_HOME=${home}`, "the demo's roster and heartbeats"],
    ["bin/mosaic fleet ps -o wide", "socket, tmux target, real command, unit name"],
    ["bin/mosaic fleet ps --probe", "prove each heartbeat responder answers now"],
    ["bin/mosaic fleet diff; echo exit=$?", "pre-deploy check: exit 1, canary-pi drifted"],
    ["bin/mosaic agent watch dogfood-coder", "read-only live view: keys are not sent; leave with q"],
    ["bin/mosaic agent send --verify dogfood-coder 'hello'", "typed literally, submitted, proven by the stub's ack"],
    [`tmux -L ${DEMO_SOCKET} kill-session -t =dogfood-reviewer && bin/mosaic fleet ps`, "PaneDead (PaneMissing)"],
    ...(coder?.heartbeat.pid
      ? [
          [
            `kill -STOP ${coder.heartbeat.pid}; sleep 7; bin/mosaic fleet ps; kill -CONT ${coder.heartbeat.pid}`,
            "wedge the stub: Stale after 3 x 2s",
          ],
        ]
      : []),
    ["bin/mosaic demo --down", "remove everything the demo created"],
  ];
  for (const [command, why] of lines) say(`  ${command}${paint("dim", `    # ${why}`)}`);
  return EXIT_OK;
}
