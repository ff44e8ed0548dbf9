// A roster host described `local: true` is this machine under another name
// (docs/roster.md, Hosts): every command that asks "is this agent here?" must say yes
// for its agents — fleet ps observed them here already, but the agent commands refused
// them as another host's ("runs on host old-name, not on this host"). One predicate
// (spec's thisMachineNames) now answers for fleet ps, agent logs/send/watch/attach,
// fleet apply's step check, --probe and the watch's event sources. Real tmux server.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import { agentOf, cliEnv, mosaic, psJson, scratch, USER, waitUntil, type Scratch } from "./fleet-support.js";

let tmux: TmuxServer;
let s: Scratch;
let env: NodeJS.ProcessEnv;

function roster(name: string, hosts: Record<string, unknown> | undefined): string {
  return s.roster(name, {
    version: 1,
    runtimes: { sleeper: { match: ["sleep"] } },
    defaults: { tenant: USER, heartbeat: false, boot: "any" },
    ...(hosts ? { hosts } : {}),
    agents: [{ name: "home", runtime: "sleeper", host: "old-name", socket: tmux.socket }],
  });
}

beforeAll(async () => {
  tmux = await startTmuxServer("local-alias");
  s = scratch("mf-alias-");
  await tmux.newSession("home", ["sh", "-c", "echo hello-from-alias; exec sleep 600"]);
  env = cliEnv({ TMUX_TMPDIR: tmux.tmpdir, MOSAIC_HOME: s.home, NO_COLOR: "1" });
}, 30_000);

afterAll(async () => {
  await tmux?.kill();
  s?.cleanup();
});

describe("a host described local: true", () => {
  it("its agents are this machine's for the agent commands, as they are for fleet ps", async () => {
    const aliased = roster("alias.yaml", { "old-name": { local: true } });
    const status = await psJson(aliased, env);
    expect(agentOf(status.status, "home")).toMatchObject({ host: "old-name", pane: { state: "alive" } });

    expect(
      await waitUntil(
        async () => (await mosaic(["agent", "logs", "--roster", aliased, "home"], env)).stdout.includes("hello"),
        10_000,
      ),
    ).toBe(true);
    const logs = await mosaic(["agent", "logs", "--roster", aliased, "home"], env);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain("hello-from-alias");

    const send = await mosaic(["agent", "send", "--roster", aliased, "home", "typed-through-alias"], env);
    expect(send.code, send.stderr).toBe(0);
    expect(
      await waitUntil(
        async () => (await tmux.tmux("capture-pane", "-p", "-t", "=home:")).stdout.includes("typed-through-alias"),
        10_000,
      ),
    ).toBe(true);
  });

  it("without the description, old-name is another machine: refused, exit 2, one sentence", async () => {
    const plain = roster("plain.yaml", undefined);
    const logs = await mosaic(["agent", "logs", "--roster", plain, "home"], env);
    expect(logs.code).toBe(2);
    expect(logs.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/runs on host old-name, not on this host/) as string,
    ]);
  });
});
