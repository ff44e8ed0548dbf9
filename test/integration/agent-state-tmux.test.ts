// Agent state against a real private tmux server (docs/conditions.md): a stub told to
// wait (`--status waiting:…`) shows AwaitingInput in `fleet ps` within one interval; one
// told to work, printing nothing, shows NoProgress once attention.progress_timeout has
// passed; a pane whose program prints "stdin is not a terminal" and exits 1 shows that
// line and the status in PaneDead's message and in pane.exit — asked of tmux in one
// extra call only when some pane is dead, however many are.

import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { observeTmux } from "../../src/observe/tmux.js";
import { spawnedCommands } from "../../src/system/run.js";
import type { AgentStatus, FleetStatus } from "../../src/diff/types.js";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import { agentOf, assertBuilt, cliEnv, psJson, stubPaneArgv, stubRoster, waitUntil } from "./agent-support.js";

let tmux: TmuxServer;
let base: string;
let home: string;
let env: NodeJS.ProcessEnv;

const condition = (agent: AgentStatus, type: string) => agent.conditions.find((c) => c.type === type);

beforeAll(async () => {
  assertBuilt();
  tmux = await startTmuxServer("agent-state");
  base = mkdtempSync(join(tmpdir(), "mf-agent-state-"));
  home = join(base, "mosaic");
  mkdirSync(join(home, "fleet", "run"), { recursive: true });
  chmodSync(join(home, "fleet", "run"), 0o700);
  const runtime = join(base, "xdg-runtime");
  mkdirSync(runtime, { mode: 0o700 });
  const roster = join(base, "roster.yaml");
  writeFileSync(
    roster,
    stubRoster(
      tmux.socket,
      ["asker", "worker", "dier", "dier-2", "idler"],
      1,
      "  - name: silent\n    runtime: shell\n    heartbeat: false\n",
    ).replace("  heartbeat:\n", "  attention:\n    progress_timeout: 3s\n  heartbeat:\n"),
  );
  env = cliEnv({
    HOME: base,
    MOSAIC_HOME: home,
    MOSAIC_ROSTER: roster,
    TMUX_TMPDIR: tmux.tmpdir,
    XDG_RUNTIME_DIR: runtime,
    NO_COLOR: "1",
  });
  // Dead panes stay, with their last words, as the contrib and demo units keep them.
  await tmux.tmux("set-option", "-g", "remain-on-exit", "on");
  const session = { width: 160, height: 20, env: { MOSAIC_HOME: home } };
  await tmux.newSession(
    "asker",
    stubPaneArgv(["asker", "--interval", "1s", "--status", "working:1s,waiting:note=Allow Bash(rm -rf build)? y/n"]),
    session,
  );
  await tmux.newSession("worker", stubPaneArgv(["worker", "--interval", "1s", "--status", "working"]), session);
  await tmux.newSession("idler", stubPaneArgv(["idler", "--interval", "1s"]), session);
  // Each dier ends only once the test has seen tmux hold its last words: tmux 3.3a can close
  // a dead pane's pty before it has read the last bytes off it (seen in CI under load).
  const gated = (name: string) => `while [ ! -e '${join(base, `${name}-gate`)}' ]; do sleep 0.05; done`;
  await tmux.newSession(
    "dier",
    ["sh", "-c", `echo starting up; echo 'stdin is not a terminal' >&2; ${gated("dier")}; exit 1`],
    session,
  );
  await tmux.newSession("dier-2", ["sh", "-c", `echo bye; ${gated("dier-2")}; kill -TERM $$`], session);
}, 60_000);

afterAll(async () => {
  await tmux?.kill();
  if (base) rmSync(base, { recursive: true, force: true });
});

async function ps(): Promise<FleetStatus> {
  return (await psJson(env)).status;
}

describe("agent state in fleet ps", () => {
  it("a stub told to wait shows AwaitingInput True (WaitingForOperator, with its note) within one interval", async () => {
    let last: AgentStatus | undefined;
    const seen = await waitUntil(async () => {
      last = agentOf(await ps(), "asker");
      return condition(last, "AwaitingInput")?.status === "True";
    }, 15_000);
    expect(seen, JSON.stringify(last?.conditions)).toBe(true);
    expect(condition(last!, "AwaitingInput")).toMatchObject({ reason: "WaitingForOperator" });
    expect(condition(last!, "AwaitingInput")?.message).toMatch(
      /^waiting for the operator for \d+s: Allow Bash\(rm -rf build\)\? y\/n$/,
    );
    expect(last?.heartbeat).toMatchObject({ status: "waiting", note: "Allow Bash(rm -rf build)? y/n" });
    // Once it waits, the very next look (one interval later at most) still says so.
    expect(condition(agentOf(await ps(), "asker"), "AwaitingInput")?.status).toBe("True");
    expect(condition(agentOf(await ps(), "idler"), "AwaitingInput")).toMatchObject({
      status: "False",
      reason: "NotWaiting",
    });
  });

  it("a stub working with no output shows NoProgress True (NoActivity) after attention.progress_timeout", async () => {
    let last: AgentStatus | undefined;
    const seen = await waitUntil(async () => {
      last = agentOf(await ps(), "worker");
      return condition(last, "NoProgress")?.status === "True";
    }, 20_000);
    expect(seen, JSON.stringify(last?.conditions)).toBe(true);
    expect(condition(last!, "NoProgress")).toMatchObject({ reason: "NoActivity" });
    expect(condition(last!, "NoProgress")?.message).toMatch(
      /^working, but no pane output or status change since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ .*progress_timeout 3s\)$/,
    );
    // An idle stub is never stuck; typing into the worker (output) makes it progress again.
    expect(condition(agentOf(await ps(), "idler"), "NoProgress")?.status).toBe("False");
    await tmux.tmux("send-keys", "-t", "=worker:", "hello", "Enter");
    expect(
      await waitUntil(async () => condition(agentOf(await ps(), "worker"), "NoProgress")?.status === "False", 10_000),
    ).toBe(true);
  });

  it("a pane that printed 'stdin is not a terminal' and exited 1: PaneDead says both; pane.exit carries them", async () => {
    for (const [name, words] of [
      ["dier", "stdin is not a terminal"],
      ["dier-2", "bye"],
    ] as const) {
      const holds = async () => (await tmux.tmux("capture-pane", "-p", "-J", "-t", `=${name}:`)).stdout.includes(words);
      expect(await waitUntil(holds, 10_000), `tmux never held ${name}'s output`).toBe(true);
      writeFileSync(join(base, `${name}-gate`), "");
    }
    expect(
      await waitUntil(async () => agentOf(await ps(), "dier").pane.state === "dead", 10_000),
      "the pane never died",
    ).toBe(true);
    const status = await ps();
    const dier = agentOf(status, "dier");
    expect(condition(dier, "PaneDead")).toMatchObject({ status: "True", reason: "ProcessExited" });
    expect(condition(dier, "PaneDead")?.message).toMatch(
      /exited with status 1; last output: .*stdin is not a terminal/,
    );
    expect(dier.pane.exit).toEqual({
      status: 1,
      signal: null,
      lastLines: expect.arrayContaining(["stdin is not a terminal"]) as string[],
    });
    const killed = agentOf(status, "dier-2");
    expect(killed.pane.exit?.signal).toBe("SIGTERM");
    expect(condition(killed, "PaneDead")?.message).toMatch(/SIGTERM.*last output: bye/);
    expect(condition(dier, "NoProgress")).toMatchObject({ status: "False", reason: "NoProcess" });
  });

  it("asks tmux once more only when a pane is dead, for all dead panes in one call", async () => {
    const count = async () => {
      const before = spawnedCommands();
      const observed = await observeTmux(tmux.socket, { env: tmux.childEnv(), uid: process.getuid?.() ?? 0 });
      expect(observed.ok).toBe(true);
      return { calls: spawnedCommands() - before, observed };
    };
    const withDead = await count();
    expect(withDead.calls).toBe(2);
    if (withDead.observed.ok) {
      expect(withDead.observed.sessions.get("dier")?.lastLines).toContain("stdin is not a terminal");
      expect(withDead.observed.sessions.get("dier-2")?.deadSignal).toBe(15);
    }
    await tmux.tmux("kill-session", "-t", "=dier");
    await tmux.tmux("kill-session", "-t", "=dier-2");
    expect((await count()).calls).toBe(1);
  });
});
