// `agent watch` and `agent attach` in a real terminal. The "operator's terminal" is a
// pane of a second private tmux server, 40×10, whose command runs the CLI (so $TMUX in
// there names the OPERATOR's server, and watch must still go to the fleet socket). The
// agents are stubs in 200×50 sessions on the fleet server, started the way the holder
// unit starts it in production: tmux's default options (window-size latest), which is
// what keeps a window 200×50 while no client is attached. Keys are pressed in the
// operator's pane with send-keys, so they reach the nested watch client exactly as
// typed keys would.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import { BIN, readText, ROOT, sleep, sq, waitUntil } from "./agent-support.js";
import { ackOf, Fleet } from "./send-support.js";

const AGENT_SIZE = "200x50";

let fleet: Fleet;
const terminals: TmuxServer[] = [];

/** A second private tmux server standing in for the operator's terminal emulator. */
async function openTerminal(label: string): Promise<TmuxServer> {
  const terminal = await startTmuxServer(label);
  terminals.push(terminal);
  // A 40×10 pane with no status line; a finished command's screen stays to be read.
  expect((await terminal.tmux("set-option", "-g", "status", "off")).ok).toBe(true);
  expect((await terminal.tmux("set-option", "-g", "remain-on-exit", "on")).ok).toBe(true);
  return terminal;
}

/** Where the terminal's command writes its exit status. */
const statusFile = (terminal: TmuxServer, session: string) => join(fleet.base, `${terminal.socket}-${session}.status`);

/**
 * Run `mosaic ARGS` in a 40×10 pane of `terminal`. The fleet's TMUX_TMPDIR and
 * MOSAIC_HOME come through the command's env; $TMUX is left as tmux set it (the
 * operator's server) and written to `tmuxFile` first. A wrapper sh records the exit
 * status in a file: tmux 3.3a sometimes leaves a dead pane's process unreaped (a zombie,
 * no #{pane_dead_status}) for many seconds, so the status is not read from tmux.
 */
async function runInTerminal(terminal: TmuxServer, session: string, args: string[], tmuxFile?: string): Promise<void> {
  const record = tmuxFile ? `printf '%s' "$TMUX" > ${sq(tmuxFile)}; ` : "";
  const command = [process.execPath, BIN, ...args].map(sq).join(" ");
  const script = `${record}cd ${sq(ROOT)} && env TMUX_TMPDIR=${sq(fleet.tmux.tmpdir)} MOSAIC_HOME=${sq(fleet.home)} NO_COLOR=1 ${command}; echo $? > ${sq(statusFile(terminal, session))}`;
  await terminal.newSession(session, ["sh", "-c", script], { width: 40, height: 10 });
}

async function termFormat(terminal: TmuxServer, session: string, format: string): Promise<string> {
  return (await terminal.tmux("display-message", "-p", "-t", `=${session}:`, format)).stdout.trim();
}

/** Wait for the terminal's command to finish; its exit status and what it left on screen (wrapped lines joined). */
async function finished(
  terminal: TmuxServer,
  session: string,
  timeoutMs = 10_000,
): Promise<{ status: number; screen: string }> {
  const done = await waitUntil(() => /^\d+\n$/.test(readText(statusFile(terminal, session)) ?? ""), timeoutMs);
  const screen = (await terminal.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", `=${session}:`)).stdout;
  expect(done, `still running; screen:\n${screen}`).toBe(true);
  return { status: Number(readText(statusFile(terminal, session))), screen };
}

/** The operator's normal screen while a full-screen client owns the alternate one (wrapped lines joined). */
async function normalScreen(terminal: TmuxServer, session: string): Promise<string> {
  const alternate = await termFormat(terminal, session, "#{alternate_on}");
  return (await terminal.tmux("capture-pane", "-p", "-J", ...(alternate === "1" ? ["-a"] : []), "-t", `=${session}:`))
    .stdout;
}

async function keys(terminal: TmuxServer, session: string, ...keyNames: string[]): Promise<void> {
  expect((await terminal.tmux("send-keys", "-t", `=${session}:`, ...keyNames)).ok).toBe(true);
}

async function typeText(terminal: TmuxServer, session: string, text: string): Promise<void> {
  expect((await terminal.tmux("send-keys", "-t", `=${session}:`, "-l", text)).ok).toBe(true);
}

/** The fleet server's clients: `session flags`. */
async function fleetClients(): Promise<string[]> {
  const listed = await fleet.tmux.tmux("list-clients", "-F", "#{client_session} #{client_flags}");
  return listed.stdout.split("\n").filter(Boolean);
}

/** Every option the fleet server, the agent's session, window and pane carry. */
async function optionsOf(name: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [key, args] of Object.entries({
    server: ["show-options", "-s"],
    global: ["show-options", "-g"],
    globalWindow: ["show-options", "-g", "-w"],
    session: ["show-options", "-t", `=${name}:`],
    window: ["show-options", "-w", "-t", `=${name}:`],
    pane: ["show-options", "-p", "-t", `=${name}:`],
  })) {
    const shown = await fleet.tmux.tmux(...args);
    expect(shown.ok, `${args.join(" ")}: ${shown.message}`).toBe(true);
    out[key] = shown.stdout;
  }
  return out;
}

beforeAll(async () => {
  fleet = await Fleet.start("watch-fleet");
  fleet.writeRoster([
    { name: "w1", runtime: "stub" },
    { name: "t1", runtime: "stub" },
    { name: "ghost", runtime: "stub" },
    { name: "agent1", runtime: "stub" },
  ]);
  await Promise.all([fleet.startStub("w1"), fleet.startStub("t1"), fleet.startStub("agent10")]);
}, 60_000);

afterAll(async () => {
  for (const terminal of terminals) await terminal.kill();
  await fleet?.stop();
});

describe("agent watch in the operator's 40×10 terminal (read-only, never resizes)", () => {
  let terminal: TmuxServer;
  let optionsBefore: Record<string, string>;
  let sessionsBefore: string[];
  let textBefore: string;
  let acksBefore: number;
  const tmuxFile = () => join(fleet.base, "watcher-TMUX");

  beforeAll(async () => {
    // Some history first, so a stray Enter or C-c would have something to change.
    for (const line of ["first line", "second line"]) {
      expect((await fleet.send("w1", line, ["--verify"])).code).toBe(0);
    }
    expect(await fleet.format("w1", "#{window_width}x#{window_height} #{window-size}")).toBe(`${AGENT_SIZE} latest`);
    optionsBefore = await optionsOf("w1");
    sessionsBefore = await fleet.sessions();
    textBefore = await fleet.text("w1");
    acksBefore = fleet.acks("w1").acks;
    expect(acksBefore).toBe(2);

    terminal = await openTerminal("watch-op");
    await runInTerminal(terminal, "view", ["agent", "watch", "w1", "-f", fleet.roster], tmuxFile());
    // The watcher draws the agent's screen: the prompt is visible in the operator's pane.
    const drawn = await waitUntil(
      async () => (await terminal.tmux("capture-pane", "-p", "-t", "=view:")).stdout.includes("w1>"),
      10_000,
    );
    expect(drawn, `the watcher never drew w1; operator screen:\n${await normalScreen(terminal, "view")}`).toBe(true);
  }, 60_000);

  it("runs inside the operator's tmux ($TMUX names it) yet reads the fleet socket, attaching no client at all", async () => {
    const tmuxVar = readFileSync(tmuxFile(), "utf8");
    expect(tmuxVar.startsWith(`${terminal.socketPath},`), tmuxVar).toBe(true);
    // No tmux client: nothing that could type, and nothing tmux could size a window by.
    expect(await fleetClients()).toEqual([]);
    // The operator's own server got no extra client or session.
    expect((await terminal.tmux("list-clients")).stdout).toBe("");
    expect((await terminal.tmux("list-sessions", "-F", "#{session_name}")).stdout.trim()).toBe("view");
  });

  it("tells the operator the view is read-only and how to leave", async () => {
    const screen = (await normalScreen(terminal, "view")).replace(/\s+/g, " ");
    expect(screen).toContain(`Watching w1 READ-ONLY on socket ${fleet.socket}: keys are not sent to the agent.`);
    expect(screen).toContain("C-b d");
  });

  it("typed text + Enter, C-b [, other prefix commands, then C-c change nothing in the agent's pane", async () => {
    await typeText(terminal, "view", "typed by the watcher");
    await keys(terminal, "view", "Enter");
    await keys(terminal, "view", "C-b", "[");
    await sleep(200);
    // Command prompt, clock mode, kill-pane, zoom: all refused for a read-only client.
    await keys(terminal, "view", "C-b", ":");
    await typeText(terminal, "view", "send-keys -t =w1: leaked Enter");
    await keys(terminal, "view", "Enter");
    await keys(terminal, "view", "C-b", "t");
    await keys(terminal, "view", "C-b", "x");
    await sleep(200);
    await keys(terminal, "view", "y");
    await keys(terminal, "view", "C-b", "z");
    await sleep(500);
    expect(await fleetClients()).toEqual([]);
    // C-c leaves the viewer (it is the viewer's own key); it never reaches the agent.
    await keys(terminal, "view", "C-c");
    const done = await finished(terminal, "view");
    expect(done.status, done.screen).toBe(0);
    await sleep(1_000);

    expect(await fleet.format("w1", "#{pane_in_mode} #{pane_input_off} #{window_zoomed_flag} #{window_panes}")).toBe(
      "0 0 0 1",
    );
    expect(fleet.acks("w1").acks, "the stub acknowledged a line the watcher typed").toBe(acksBefore);
    expect(await fleet.text("w1")).toBe(textBefore);
    expect(await fleet.cursorLine("w1")).toBe("w1>");
    expect(await fleet.sessions()).toEqual(sessionsBefore);
  }, 20_000);

  it("the agent's window stays 200×50 while the operator's terminal is 40×10", async () => {
    expect(await termFormat(terminal, "view", "#{pane_width}x#{pane_height}")).toBe("40x10");
    expect(await fleet.format("w1", "#{window_width}x#{window_height}")).toBe(AGENT_SIZE);
    expect(await fleet.format("w1", "#{pane_width}x#{pane_height}")).toBe(AGENT_SIZE);
  });

  it("C-b d detaches a watcher: watch exits 0 and its notice stays on the operator's screen", async () => {
    await runInTerminal(terminal, "view2", ["agent", "watch", "w1", "-f", fleet.roster]);
    expect(
      await waitUntil(
        async () => (await terminal.tmux("capture-pane", "-p", "-t", "=view2:")).stdout.includes("w1>"),
        10_000,
      ),
    ).toBe(true);
    await keys(terminal, "view2", "C-b", "d");
    const done = await finished(terminal, "view2");
    expect(done.status, done.screen).toBe(0);
    expect(done.screen.replace(/\s+/g, " ")).toContain("Watching w1 READ-ONLY");
    expect(await fleetClients()).toEqual([]);
  }, 20_000);

  it("closing the operator's terminal leaves no client, no extra session and no changed option behind", async () => {
    await terminal.kill();
    expect(
      await waitUntil(async () => (await fleetClients()).length === 0, 5_000),
      (await fleetClients()).join("\n"),
    ).toBe(true);
    expect((await fleet.tmux.tmux("list-clients")).stdout).toBe("");
    expect(await fleet.sessions()).toEqual(sessionsBefore);
    expect(await optionsOf("w1")).toEqual(optionsBefore);
    expect(fleet.acks("w1").acks).toBe(acksBefore);
    expect(await fleet.text("w1")).toBe(textBefore);
  }, 20_000);

  it("after the watcher is gone the agent's window is still 200×50", async () => {
    expect(await fleet.format("w1", "#{window_width}x#{window_height}")).toBe(AGENT_SIZE);
  });
});

describe("agent attach in the operator's 40×10 terminal (explicit takeover, never resizes)", () => {
  let terminal: TmuxServer;
  let sessionsBefore: string[];

  beforeAll(async () => {
    sessionsBefore = await fleet.sessions();
    expect(await fleet.format("t1", "#{window_width}x#{window_height}")).toBe(AGENT_SIZE);
    terminal = await openTerminal("attach-op");
    await runInTerminal(terminal, "take", ["agent", "attach", "t1", "-f", fleet.roster]);
    const attached = await waitUntil(async () => (await fleetClients()).length === 1, 10_000);
    expect(attached, `no attach client; operator screen:\n${await normalScreen(terminal, "take")}`).toBe(true);
  }, 60_000);

  it("warns that this is a takeover where everything typed goes to the agent", async () => {
    const screen = (await normalScreen(terminal, "take")).replace(/\s+/g, " ");
    expect(screen).toContain(
      `Taking over t1 on socket ${fleet.socket}: everything you type goes to the agent, C-c included.`,
    );
    const clients = await fleetClients();
    expect(clients[0]).toMatch(/^t1 /);
    expect(clients[0]).not.toMatch(/read-only/);
  });

  it("typing into the operator's terminal reaches the agent: the stub acknowledges the line", async () => {
    const before = fleet.acks("t1").acks;
    await typeText(terminal, "take", "typed by the operator");
    await keys(terminal, "take", "Enter");
    expect(await fleet.waitForAck("t1", "typed by the operator")).toBe(true);
    expect(await waitUntil(() => fleet.acks("t1").ack === ackOf("typed by the operator"), 5_000)).toBe(true);
    expect(fleet.acks("t1").acks).toBe(before + 1);
  });

  it("the agent's window stays 200×50 while the operator's terminal is 40×10", async () => {
    expect(await termFormat(terminal, "take", "#{pane_width}x#{pane_height}")).toBe("40x10");
    expect(await fleet.format("t1", "#{window_width}x#{window_height}")).toBe(AGENT_SIZE);
  });

  it("C-b d detaches: attach exits 0 and leaves no client or session behind", async () => {
    await keys(terminal, "take", "C-b", "d");
    const done = await finished(terminal, "take");
    expect(done.status, done.screen).toBe(0);
    expect(await waitUntil(async () => (await fleetClients()).length === 0, 5_000)).toBe(true);
    expect(await fleet.sessions()).toEqual(sessionsBefore);
  }, 20_000);

  it("after the takeover ends the agent's window is still 200×50", async () => {
    expect(await fleet.format("t1", "#{window_width}x#{window_height}")).toBe(AGENT_SIZE);
  });
});

describe("agent watch / attach refusals", () => {
  let terminal: TmuxServer;

  beforeAll(async () => {
    terminal = await openTerminal("refuse-op");
  });

  for (const verb of ["watch", "attach"] as const) {
    it(`${verb} with stdin a pipe (not a terminal) → exit 2 with one clear sentence, nothing attached`, async () => {
      const run = await execa(process.execPath, [BIN, "agent", verb, "w1", "-f", fleet.roster], {
        cwd: ROOT,
        env: fleet.env(),
        extendEnv: false,
        reject: false,
        stdin: "pipe",
        timeout: 15_000,
      });
      expect(run.exitCode, String(run.stderr)).toBe(2);
      const lines = String(run.stderr).split("\n").filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^mosaic: agent ${verb} needs a terminal`));
      expect(await fleetClients()).toEqual([]);
    });
  }

  it("unknown agent → exit 2, naming it", async () => {
    await runInTerminal(terminal, "unknown", ["agent", "watch", "nobody", "-f", fleet.roster]);
    const done = await finished(terminal, "unknown");
    expect(done.status, done.screen).toBe(2);
    expect(done.screen).toMatch(/mosaic: no such agent "nobody"/);
  });

  it("agent in the roster without a session → exit 3", async () => {
    await runInTerminal(terminal, "ghost", ["agent", "watch", "ghost", "-f", fleet.roster]);
    const done = await finished(terminal, "ghost");
    expect(done.status, done.screen).toBe(3);
    expect(done.screen).toMatch(/mosaic: no tmux session "ghost"/);
    expect(await fleetClients()).toEqual([]);
  });

  it("watch agent1 while only agent10 exists → exit 3; nothing attaches to agent10", async () => {
    await runInTerminal(terminal, "prefix", ["agent", "watch", "agent1", "-f", fleet.roster]);
    const done = await finished(terminal, "prefix");
    expect(done.status, done.screen).toBe(3);
    expect(done.screen).toMatch(/no tmux session "agent1"/);
    expect(await fleetClients()).toEqual([]);
  });
});
