import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messageProblem } from "../../src/agent/message.js";
import { skipIfOutsideCi } from "../helpers/skip.js";
import { startSshLab, sshLabMissing, type SshLab, type SshTestHost } from "../helpers/sshd.js";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import { ROOT, sq, stubPaneArgv, waitUntil } from "../integration/agent-support.js";
import { BIN, cliEnv, mosaic, scratch, USER, type CliRun, type Scratch } from "../integration/fleet-support.js";
import { ackOf } from "../integration/send-support.js";

// `agent send/logs/watch/attach` on an agent of another host (docs/commands.md, Many
// hosts), against a real sshd "host" in a UTS namespace (test/helpers/sshd.ts) whose
// tmux server runs a stub agent. The message crosses the remote login shell inert and
// reaches the pane byte-exact; the refusals and exit codes are the local command's; ssh's
// own failures are exit 5 with one escaped sentence; `logs -f` leaves nothing running
// on the host after Ctrl-C; watch and attach work in a real terminal over `ssh -t`.

const missing = sshLabMissing();
const REMOTE_MOSAIC = `${process.execPath} ${BIN}`;
// BEL and ESC: what a terminal would act on.
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0007\u001b]/;

/** One line on stderr, `mosaic: …`, no stack trace. */
function oneLine(run: CliRun, pattern: RegExp): void {
  const lines = run.stderr.split("\n").filter((line) => line.trim() !== "");
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^mosaic: /);
  expect(lines[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stderr).not.toMatch(RAW_CONTROL);
}

describe.skipIf(skipIfOutsideCi(missing !== null, missing ?? ""))("agent commands on an agent of another host", () => {
  let lab: SshLab;
  let hostA: SshTestHost;
  let tmuxA: TmuxServer;
  let local: TmuxServer;
  let terminal: TmuxServer;
  let s: Scratch;
  let env: NodeJS.ProcessEnv;
  let file: string;
  let canaries: string;

  beforeAll(async () => {
    lab = startSshLab();
    s = scratch("mf-agent-ssh-");
    [tmuxA, local, terminal] = await Promise.all([
      startTmuxServer("agent-ssh-a"),
      startTmuxServer("agent-ssh-local"),
      startTmuxServer("agent-ssh-term"),
    ]);
    hostA = await lab.addHost("host-a", "127.0.0.2", { TMUX_TMPDIR: tmuxA.tmpdir });
    lab.addDeadAlias("host-dead", "127.0.0.4");
    lab.addWrongKeyAlias("host-a-rekeyed", hostA);
    canaries = join(s.dir, "canaries");
    mkdirSync(canaries);
    const fake = (name: string, body: string) => {
      mkdirSync(join(s.dir, "fakes", name), { recursive: true });
      const path = join(s.dir, "fakes", name, "mosaic");
      writeFileSync(path, `#!/bin/sh\n${body}\n`);
      chmodSync(path, 0o755);
      return path;
    };
    // A mosaic from before agent over-ssh: commander's own words for an unknown command.
    const old = fake("old", "echo \"error: unknown command 'over-ssh'\" >&2\nexit 2");
    // A hostile host: terminal escapes on both streams.
    const evil = fake("evil", "printf 'evil\\033]52;c;aGVsbG8=\\007\\n'\nprintf 'mosaic: bad\\033[2J\\n' >&2\nexit 3");
    // The stub writes its heartbeat where the host's mosaic reads it (its MOSAIC_HOME).
    await tmuxA.newSession("alpha", stubPaneArgv(["--interval", "1s"]), {
      width: 200,
      height: 50,
      env: { MOSAIC_HOME: hostA.home },
    });
    await tmuxA.newSession("noisy", [
      "sh",
      "-c",
      "printf 'one\\n\\033]52;c;aGVsbG8=\\007two\\033[2J\\n'; exec sleep 600",
    ]);
    await tmuxA.newSession("elsewhere", stubPaneArgv(["--interval", "1s"]), { env: { MOSAIC_HOME: hostA.home } });
    await local.newSession("home", stubPaneArgv(["--interval", "1s"]), { env: { MOSAIC_HOME: s.home } });
    const up = await waitUntil(
      async () =>
        (await tmuxA.tmux("capture-pane", "-p", "-t", "=alpha:")).stdout.includes("alpha>") &&
        existsSync(join(hostA.home, "fleet", "run", "alpha.hb")),
      15_000,
    );
    expect(up, "the remote stub never came up").toBe(true);
    mkdirSync(join(s.dir, "xdg"), { mode: 0o700 });
    env = cliEnv({
      TMUX_TMPDIR: local.tmpdir,
      MOSAIC_HOME: s.home,
      XDG_RUNTIME_DIR: join(s.dir, "xdg"),
      MOSAIC_SSH_CONFIG: lab.sshConfig,
      // No connection left up after a run (test/remote/ssh-persist.test.ts covers reuse).
      MOSAIC_SSH_PERSIST: "0",
      NO_COLOR: "1",
    });
    const on = (host: string, extra: Record<string, unknown> = {}) => ({
      host,
      socket: tmuxA.socket,
      heartbeat: false,
      ...extra,
    });
    file = s.roster("roster.yaml", {
      version: 1,
      defaults: { tenant: USER, boot: "any" },
      hosts: {
        "host-a": { ssh: "host-a", mosaic: REMOTE_MOSAIC },
        dead: { ssh: "host-dead", mosaic: REMOTE_MOSAIC },
        rekeyed: { ssh: "host-a-rekeyed", mosaic: REMOTE_MOSAIC },
        nomosaic: { ssh: "host-a", mosaic: "/nonexistent/bin/mosaic" },
        old: { ssh: "host-a", mosaic: old },
        evil: { ssh: "host-a", mosaic: evil },
        // host-a under another roster name: results name the host as the roster does.
        renamed: { ssh: "host-a", mosaic: REMOTE_MOSAIC },
      },
      agents: [
        { name: "alpha", runtime: "stub", host: "host-a", socket: tmuxA.socket, heartbeat: { interval: "1s" } },
        { name: "noisy", runtime: "stub", ...on("host-a") },
        { name: "ghost", runtime: "stub", ...on("host-a") },
        { name: "theirs", runtime: "stub", ...on("host-a", { tenant: "nobody" }) },
        { name: "far", runtime: "stub", ...on("dead") },
        { name: "spoofed", runtime: "stub", ...on("rekeyed") },
        { name: "bare", runtime: "stub", ...on("nomosaic") },
        { name: "ancient", runtime: "stub", ...on("old") },
        { name: "hostile", runtime: "stub", ...on("evil") },
        { name: "elsewhere", runtime: "stub", ...on("renamed") },
        { name: "home", runtime: "stub", socket: local.socket, heartbeat: { interval: "1s" } },
      ],
    });
  }, 90_000);

  afterAll(async () => {
    await lab?.cleanup();
    await Promise.all([tmuxA?.kill(), local?.kill(), terminal?.kill()]);
    s?.cleanup();
  });

  const send = (name: string, message: string, extra: string[] = []) =>
    mosaic(["agent", "send", "-f", file, ...extra, name, "--", message], env, 40_000);

  /** Send with --verify; the stub's ack proves the bytes; `shown`: also look for its echo on the pane. */
  async function sendsExactly(message: string, shown = true): Promise<void> {
    const run = await send("alpha", message, ["--verify", "-o", "json"]);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { delivered: boolean; verified: boolean; evidence: { ack?: string } };
    expect(out).toMatchObject({ delivered: true, verified: true });
    // The stub's acknowledgement is sha256 of the line it read: the bytes typed into the pane.
    expect(out.evidence.ack).toBe(ackOf(message));
    if (!shown) return;
    // (tmux draws some code points its own way; the ack above is the byte-exact proof.)
    const received = `received ${JSON.stringify(message)}`;
    const echoed = await waitUntil(
      async () => (await tmuxA.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "=alpha:")).stdout.includes(received),
      5_000,
    );
    expect(echoed, `the pane never showed ${received}`).toBe(true);
  }

  it("send -o json names the host as the roster does, whatever the machine calls itself", async () => {
    const named = await send("alpha", "hi", ["-o", "json"]);
    expect(named.code, named.stderr).toBe(0);
    expect(JSON.parse(named.stdout)).toMatchObject({ agent: "alpha", host: "host-a", delivered: true });
    const renamed = await send("elsewhere", "hi", ["-o", "json"]);
    expect(renamed.code, renamed.stderr).toBe(0);
    expect(JSON.parse(renamed.stdout)).toMatchObject({ agent: "elsewhere", host: "renamed", delivered: true });
  }, 60_000);

  it("a hostile message crosses ssh and the remote shell inert and reaches the remote pane byte-exact", async () => {
    const messages = [
      `it's "quoted" and 'single'`,
      `$(touch ${join(canaries, "dollar")})`,
      `\`touch ${join(canaries, "backtick")}\``,
      `x; touch ${join(canaries, "semicolon")} # & | > < *`,
      "$HOME ${PATH} $0 $$ !! ~ \\ \\n %s %C",
      `'"'"'; exec touch ${join(canaries, "quote-escape")}`,
      "héllo — 日本語 🚀 ünïcödé",
      "--request=AAAA -- -v",
    ];
    for (const message of messages) await sendsExactly(message);
    expect(readFileSync(join(hostA.home, "fleet", "run", "alpha.hb"), "utf8")).toMatch(/acks=/);
    for (const canary of ["dollar", "backtick", "semicolon", "quote-escape"])
      expect(existsSync(join(canaries, canary)), canary).toBe(false);
  }, 120_000);

  it("property: any sendable text reaches the remote pane byte-exact", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .string({ unit: "binary", minLength: 1, maxLength: 60 })
          .filter((m) => messageProblem(m) === null && !m.startsWith(" ") && !m.endsWith(" ")),
        async (message) => {
          await sendsExactly(message, false);
        },
      ),
      { numRuns: 6 },
    );
  }, 120_000);

  it("refusals are the local command's, and those that need no host are made before ssh runs", async () => {
    const connections = hostA.acceptedConnections();
    // A line break is refused here, exactly as for a local agent (exit 2, nothing sent).
    const local = await send("home", "two\nlines");
    const remote = await send("alpha", "two\nlines");
    expect(remote.code).toBe(2);
    expect(remote.stderr).toBe(local.stderr);
    oneLine(remote, /line break/);
    // An unknown name never leaves this machine, however it is spelled.
    const unknown = await send("alpha$(id)", "hi");
    expect(unknown.code).toBe(2);
    oneLine(unknown, /no such agent "alpha\$\(id\)"/);
    const watch = await mosaic(["agent", "watch", "-f", file, "alpha"], env);
    expect(watch.code).toBe(2);
    oneLine(watch, /needs a terminal/);
    expect(hostA.acceptedConnections()).toBe(connections);

    // Decided on the host, by the same code as here.
    const theirs = await send("theirs", "hi");
    expect(theirs.code).toBe(2);
    oneLine(theirs, /agent "theirs" belongs to tenant nobody; run this as that user/);
    const ghost = await send("ghost", "hi");
    expect(ghost.code).toBe(3);
    oneLine(ghost, /no tmux session "ghost"/);
    const ghostLogs = await mosaic(["agent", "logs", "--roster", file, "ghost"], env);
    expect(ghostLogs.code).toBe(3);
    expect(hostA.acceptedConnections()).toBe(connections + 3);
  }, 60_000);

  it("ssh's own failure is exit 5 with one escaped sentence naming the host and ssh's words", async () => {
    const cases: [string, RegExp][] = [
      ["far", /host dead could not be used \(HostUnreachable\): ssh host-dead: .*refused/],
      [
        "spoofed",
        /host rekeyed could not be used \(HostAuthFailed\): ssh host-a-rekeyed: .*Host key verification failed/,
      ],
      ["bare", /host nomosaic could not be used \(RemoteMosaicMissing\): .*not installed there/],
      ["ancient", /host old could not be used \(RemoteVersionMismatch\): .*does not know agent over-ssh/],
    ];
    for (const [name, pattern] of cases) {
      const sent = await send(name, "hi");
      expect(sent.code, `${name}: ${sent.stderr}`).toBe(5);
      oneLine(sent, pattern);
      const logs = await mosaic(["agent", "logs", "--roster", file, name], env);
      expect(logs.code, `${name}: ${logs.stderr}`).toBe(5);
      oneLine(logs, pattern);
    }
  }, 60_000);

  it("agent logs of a remote pane: its lines; -n; a hostile host's escapes reach no terminal raw", async () => {
    const run = await mosaic(["agent", "logs", "--roster", file, "noisy"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe("one\ntwo\n");
    for (const command of [
      ["agent", "logs", "--roster", file, "hostile"],
      ["agent", "send", "-f", file, "hostile", "hi"],
    ]) {
      const evil = await mosaic(command, env);
      expect(evil.code).toBe(3);
      expect(evil.stdout + evil.stderr).not.toMatch(RAW_CONTROL);
      expect(evil.stdout).toContain("evil\\x1b]52;c;aGVsbG8=\\x07");
      expect(evil.stderr).toContain("mosaic: bad\\x1b[2J");
    }
    const tail = await mosaic(["agent", "logs", "--roster", file, "-n", "1", "alpha"], env);
    expect(tail.code, tail.stderr).toBe(0);
    expect(tail.stdout.trim().split("\n")).toHaveLength(1);
  });

  /** Start `agent logs -f alpha` here; resolves once it printed `marker`. */
  async function follow(marker: string) {
    const child = spawn(process.execPath, [BIN, "agent", "logs", "--roster", file, "-f", "-n", "3", "alpha"], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    await sendsExactly(marker);
    expect(await waitUntil(() => out.includes(marker), 10_000), `never followed: ${out}${err}`).toBe(true);
    // The host runs our follower now: the test below can fail.
    expect(hostA.processes().some((p) => p.argv.includes("over-ssh"))).toBe(true);
    return { child, exited, output: () => out, errors: () => err };
  }

  it("agent logs -f over ssh ends on Ctrl-C with exit 0, and nothing of it remains on the host", async () => {
    const f = await follow("follow-marker-1");
    f.child.kill("SIGINT");
    expect(await f.exited, f.errors()).toBe(0);
    expect(await waitUntil(() => hostA.processes().length === 0, 10_000), JSON.stringify(hostA.processes())).toBe(true);
  }, 60_000);

  it("agent logs -f over ssh: even a SIGKILLed operator's side leaves nothing running on the host", async () => {
    const f = await follow("follow-marker-2");
    f.child.kill("SIGKILL");
    await f.exited;
    expect(await waitUntil(() => hostA.processes().length === 0, 10_000), JSON.stringify(hostA.processes())).toBe(true);
  }, 60_000);

  /** Run `mosaic ARGS` in a 100×20 pane of the operator's terminal; its exit status goes to a file. */
  async function inTerminal(session: string, args: string[]): Promise<{ status: () => string | null }> {
    const statusFile = join(s.dir, `${session}.status`);
    const vars = Object.entries({
      MOSAIC_SSH_CONFIG: lab.sshConfig,
      MOSAIC_HOME: s.home,
      TMUX_TMPDIR: local.tmpdir,
      NO_COLOR: "1",
    })
      .map(([k, v]) => `${k}=${sq(v)}`)
      .join(" ");
    const command = [process.execPath, BIN, ...args].map(sq).join(" ");
    await terminal.newSession(session, ["sh", "-c", `env ${vars} ${command}; echo $? > ${sq(statusFile)}`], {
      width: 100,
      height: 20,
    });
    return { status: () => (existsSync(statusFile) ? readFileSync(statusFile, "utf8").trim() : null) };
  }
  const screen = async (session: string) =>
    (await terminal.tmux("capture-pane", "-p", "-J", "-t", `=${session}:`)).stdout;

  it("agent watch over ssh -t: the remote pane in the operator's terminal; q leaves with exit 0", async () => {
    const run = await inTerminal("watcher", ["agent", "watch", "-f", file, "alpha"]);
    const shown = await waitUntil(async () => /alpha>/.test(await screen("watcher")), 15_000);
    expect(shown, await screen("watcher")).toBe(true);
    expect(hostA.processes().some((p) => p.argv.includes("over-ssh"))).toBe(true);
    expect((await terminal.tmux("send-keys", "-t", "=watcher:", "q")).ok).toBe(true);
    expect(await waitUntil(() => run.status() !== null, 10_000), await screen("watcher")).toBe(true);
    expect(run.status()).toBe("0");
    expect(await waitUntil(() => hostA.processes().length === 0, 10_000)).toBe(true);
  }, 60_000);

  it("agent attach over ssh -t: a real tmux client on the host; C-b d detaches with exit 0", async () => {
    const run = await inTerminal("taker", ["agent", "attach", "-f", file, "alpha"]);
    const clients = async () => (await tmuxA.tmux("list-clients", "-F", "#{client_session}")).stdout.trim();
    expect(await waitUntil(async () => (await clients()) === "alpha", 15_000), await screen("taker")).toBe(true);
    expect((await terminal.tmux("send-keys", "-t", "=taker:", "C-b", "d")).ok).toBe(true);
    expect(await waitUntil(() => run.status() !== null, 10_000), await screen("taker")).toBe(true);
    expect(run.status()).toBe("0");
    expect(await clients()).toBe("");
    expect(await waitUntil(() => hostA.processes().length === 0, 10_000)).toBe(true);
  }, 60_000);
});
