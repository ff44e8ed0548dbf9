import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentStatus, FleetStatus } from "../../src/diff/types.js";
import { skipIfOutsideCi } from "../helpers/skip.js";
import { startSshLab, sshLabMissing, type SshLab, type SshTestHost } from "../helpers/sshd.js";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import {
  agentOf,
  BIN,
  cliEnv,
  conditionSummary,
  HOST,
  mosaic,
  parseTable,
  scratch,
  USER,
  type Scratch,
} from "../integration/fleet-support.js";

// Many hosts (docs/commands.md, Many hosts), against real hosts: two sshd "hosts" in UTS
// namespaces on 127.0.0.2 and 127.0.0.3, each with its own tmux server, plus this
// machine. One `fleet ps` shows them all; each remote failure class turns only that
// host's rows Unknown with its own reason; `fleet diff` judges remote facts here.

const missing = sshLabMissing();
// BEL and ESC: what a terminal would act on.
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0007\u001b]/;
const REMOTE_MOSAIC = `${process.execPath} ${BIN}`;

describe.skipIf(skipIfOutsideCi(missing !== null, missing ?? ""))("fleet ps across ssh hosts", () => {
  let lab: SshLab;
  let hostA: SshTestHost;
  let hostB: SshTestHost;
  let local: TmuxServer;
  let tmuxA: TmuxServer;
  let tmuxB: TmuxServer;
  let s: Scratch;
  let env: NodeJS.ProcessEnv;
  let fakes: string;

  beforeAll(async () => {
    lab = startSshLab();
    s = scratch("mf-hosts-");
    [local, tmuxA, tmuxB] = await Promise.all([
      startTmuxServer("hosts-local"),
      startTmuxServer("hosts-a"),
      startTmuxServer("hosts-b"),
    ]);
    hostA = await lab.addHost("host-a", "127.0.0.2", { TMUX_TMPDIR: tmuxA.tmpdir });
    hostB = await lab.addHost("host-b", "127.0.0.3", { TMUX_TMPDIR: tmuxB.tmpdir });
    lab.addWrongKeyAlias("host-a-rekeyed", hostA);
    lab.addUnauthorizedAlias("host-a-stranger", hostA);
    await local.newSession("home", ["sh", "-c", "exec sleep 600"]);
    await tmuxA.newSession("alpha", ["sh", "-c", "exec sleep 600"]);
    await tmuxA.newSession("stray", ["sh", "-c", "exec sleep 600"]);
    await tmuxB.newSession("beta", ["sh", "-c", "exec sleep 600"]);
    fakes = join(s.dir, "fakes");
    mkdirSync(fakes);
    // Each fake is a file named mosaic (the roster accepts no other program).
    const fake = (name: string, body: string) => {
      mkdirSync(join(fakes, name));
      const file = join(fakes, name, "mosaic");
      writeFileSync(file, `#!/bin/sh\n${body}\n`);
      chmodSync(file, 0o755);
      return file;
    };
    fake("garbage", "printf 'not json \\033]52;c;aGVsbG8=\\007\\033[2J'");
    fake("huge", "exec yes '[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]'");
    fake("future", `echo '{"apiVersion":"mosaic.fleet/v9","kind":"FleetObservation"}'`);
    env = cliEnv({
      TMUX_TMPDIR: local.tmpdir,
      MOSAIC_HOME: s.home,
      XDG_RUNTIME_DIR: join(s.dir, "xdg"),
      MOSAIC_SSH_CONFIG: lab.sshConfig,
      // No connection left up after a run (test/remote/ssh-persist.test.ts covers reuse).
      MOSAIC_SSH_PERSIST: "0",
    });
    mkdirSync(join(s.dir, "xdg"), { mode: 0o700 });
  }, 60_000);

  afterAll(async () => {
    await lab?.cleanup();
    await Promise.all([local?.kill(), tmuxA?.kill(), tmuxB?.kill()]);
    s?.cleanup();
  });

  const roster = (extraHosts: Record<string, unknown> = {}, extraAgents: unknown[] = []) =>
    s.roster("roster.yaml", {
      version: 1,
      defaults: { tenant: USER, heartbeat: false, boot: "any" },
      runtimes: { sleeper: { match: ["sleep"] } },
      hosts: {
        "host-a": { ssh: "host-a", mosaic: REMOTE_MOSAIC },
        "host-b": { ssh: "host-b", mosaic: REMOTE_MOSAIC },
        ...extraHosts,
      },
      agents: [
        { name: "home", runtime: "sleeper", host: HOST, socket: local.socket },
        { name: "alpha", runtime: "sleeper", host: "host-a", socket: tmuxA.socket },
        { name: "beta", runtime: "sleeper", host: "host-b", socket: tmuxB.socket },
        ...extraAgents,
      ],
    });

  async function ps(file: string, args: string[] = []): Promise<FleetStatus> {
    const run = await mosaic(["fleet", "ps", "-f", file, "-o", "json", ...args], env, 30_000);
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as FleetStatus;
  }

  /** The conditions the roster does not switch off (heartbeat: false, boot: any), as status/reason. */
  const judged = (agent: AgentStatus) =>
    new Set(
      agent.conditions
        .filter((c) => c.reason !== "HeartbeatNotExpected" && c.reason !== "BootNotRequired")
        .map((c) => `${c.status}/${c.reason}`),
    );
  const paneOf = (agent: AgentStatus) => ({ state: agent.pane.state, pid: agent.pane.pid, host: agent.host });

  it("two hosts and this one in one table and one JSON document, each pane seen where it runs", async () => {
    const file = roster();
    const status = await ps(file);
    expect(status.agents.map((a) => a.name)).toEqual(["home", "alpha", "beta"]);
    expect(paneOf(agentOf(status, "home"))).toEqual({ state: "alive", pid: await local.panePid("home"), host: HOST });
    expect(paneOf(agentOf(status, "alpha"))).toEqual({
      state: "alive",
      pid: await tmuxA.panePid("alpha"),
      host: "host-a",
    });
    expect(paneOf(agentOf(status, "beta"))).toEqual({
      state: "alive",
      pid: await tmuxB.panePid("beta"),
      host: "host-b",
    });
    for (const name of ["home", "alpha", "beta"]) {
      expect(conditionSummary(agentOf(status, name))).toMatchObject({
        PaneDead: "False/PaneAlive",
        Drift: "False/RuntimeMatches",
      });
    }
    // The remote host's other session is unmanaged, on that host.
    expect(status.unmanaged).toContainEqual({
      session: "stray",
      socket: tmuxA.socket,
      tenant_id: USER,
      host: "host-a",
    });

    const table = await mosaic(["fleet", "ps", "-f", file, "--no-color"], env, 30_000);
    expect(table.code, table.stderr).toBe(0);
    const { rows } = parseTable(table.stdout);
    expect(rows.map((r) => [r["NAME"], r["HOST"]])).toEqual([
      ["home", HOST],
      ["alpha", "host-a"],
      ["beta", "host-b"],
    ]);

    const only = await ps(file, ["--host", "host-b"]);
    expect(only.agents.map((a) => a.name)).toEqual(["beta"]);
    const unknownHost = await mosaic(["fleet", "ps", "-f", file, "--host", "nowhere"], env, 30_000);
    expect(unknownHost.code).toBe(2);
    expect(unknownHost.stderr).toMatch(/no agents on host "nowhere"/);

    // fleet report goes through the same path: every host's agents, in roster order.
    const report = await mosaic(["fleet", "report", "-f", file, "--format", "json"], env, 30_000);
    const reported = JSON.parse(report.stdout) as { agents: AgentStatus[] };
    expect(reported.agents.map((a) => [a.name, a.host, a.pane.state])).toEqual([
      ["home", HOST, "alive"],
      ["alpha", "host-a", "alive"],
      ["beta", "host-b", "alive"],
    ]);
  });

  it("a host described local: true is this machine under another name: observed here, shown under its name", async () => {
    const file = roster({ "old-name": { local: true } }, [
      { name: "home", runtime: "sleeper", host: "old-name", socket: local.socket },
    ]);
    const status = await ps(file);
    const aliased = status.agents.find((a) => a.host === "old-name");
    expect(aliased && paneOf(aliased)).toEqual({ state: "alive", pid: await local.panePid("home"), host: "old-name" });
    // Without the description it is another host, as before.
    const plain = s.roster("plain.yaml", {
      version: 1,
      runtimes: { sleeper: { match: ["sleep"] } },
      defaults: { tenant: USER, heartbeat: false, boot: "any" },
      agents: [{ name: "home", runtime: "sleeper", host: "old-name", socket: local.socket }],
    });
    expect(judged(agentOf(await ps(plain), "home"))).toEqual(new Set(["Unknown/RemoteHost"]));
  });

  it("the seed's second host: an agent on the default socket whose session is grouped is observed once; the group's other member is a grouped view, not unmanaged", async () => {
    // The default socket, inside host-a's private TMUX_TMPDIR (never the machine's own).
    const tmuxEnv = { ...cliEnv({ TMUX_TMPDIR: tmuxA.tmpdir }) };
    const { execa } = await import("execa");
    const tmux = (...args: string[]) =>
      execa("tmux", ["-f", "/dev/null", "-L", "default", ...args], { env: tmuxEnv, extendEnv: false, reject: false });
    try {
      expect((await tmux("new-session", "-d", "-s", "coder0", "sh", "-c", "exec sleep 600")).exitCode).toBe(0);
      expect((await tmux("new-session", "-d", "-s", "coder0-0", "-t", "coder0")).exitCode).toBe(0);
      const pid = Number((await tmux("list-panes", "-t", "=coder0-0:", "-F", "#{pane_pid}")).stdout.trim());
      const file = s.roster("seed.yaml", {
        version: 1,
        runtimes: { sleeper: { match: ["sleep"] } },
        defaults: { tenant: USER, heartbeat: false, boot: "any" },
        hosts: { "dragon-lin": { ssh: "host-a", mosaic: REMOTE_MOSAIC } },
        agents: [{ name: "coder0-0", runtime: "sleeper", host: "dragon-lin", socket: "default" }],
      });
      const status = await ps(file);
      expect(status.agents).toHaveLength(1);
      expect(paneOf(agentOf(status, "coder0-0"))).toEqual({ state: "alive", pid, host: "dragon-lin" });
      expect(conditionSummary(agentOf(status, "coder0-0"))).toMatchObject({ Drift: "False/RuntimeMatches" });
      expect(status.unmanaged).toEqual([]);
      expect(status.grouped).toEqual([
        { session: "coder0", socket: "default", tenant_id: USER, host: "dragon-lin", agent: "coder0-0" },
      ]);
      const wide = await mosaic(["fleet", "ps", "-f", file, "-o", "wide", "--no-color"], env, 30_000);
      expect(wide.stdout).toMatch(/grouped: session "coder0" on socket default .* is a grouped view of agent coder0-0/);
      expect(wide.stdout).not.toMatch(/unmanaged/);
    } finally {
      await tmux("kill-server");
    }
  });

  it("fleet diff judges a remote agent here: a drifted one exits 1, with an ssh fix step", async () => {
    const file = roster({}, []);
    const clean = await mosaic(["fleet", "diff", "-f", file, "-o", "json"], env, 30_000);
    expect(clean.stderr).toBe("");
    const drifted = s.roster("drifted.yaml", {
      version: 1,
      defaults: { tenant: USER, heartbeat: false, boot: "any" },
      runtimes: { sleeper: { match: ["sleep"] } },
      hosts: { "host-b": { ssh: "host-b", mosaic: REMOTE_MOSAIC } },
      agents: [{ name: "beta", runtime: "codex", host: "host-b", socket: tmuxB.socket }],
    });
    const run = await mosaic(["fleet", "diff", "-f", drifted, "-o", "json"], env, 30_000);
    expect(run.code, run.stderr).toBe(1);
    const doc = JSON.parse(run.stdout) as FleetStatus;
    expect(conditionSummary(agentOf(doc, "beta"))).toMatchObject({ Drift: "True/RuntimeMismatch" });
    const plan = await mosaic(["fleet", "ps", "-f", drifted, "--fix-plan", "--no-color"], env, 30_000);
    expect(plan.stdout).toMatch(/ssh host-b systemctl --user (status|restart) mosaic-agent@beta\.service/);
  });

  it("a remote that answers garbage, too much, or another version is refused with a reason; a missing mosaic is named", async () => {
    const file = roster(
      {
        garbage: { ssh: "host-a", mosaic: join(fakes, "garbage", "mosaic") },
        huge: { ssh: "host-a", mosaic: join(fakes, "huge", "mosaic") },
        future: { ssh: "host-a", mosaic: join(fakes, "future", "mosaic") },
        nomosaic: { ssh: "host-a", mosaic: "/nonexistent/bin/mosaic" },
      },
      [
        { name: "g", runtime: "sleeper", host: "garbage" },
        { name: "h", runtime: "sleeper", host: "huge" },
        { name: "f", runtime: "sleeper", host: "future" },
        { name: "n", runtime: "sleeper", host: "nomosaic" },
      ],
    );
    const run = await mosaic(["fleet", "ps", "-f", file, "-o", "json", "--host-timeout", "20s"], env, 40_000);
    expect(run.code, run.stderr).toBe(0);
    const status = JSON.parse(run.stdout) as FleetStatus;
    expect(judged(agentOf(status, "g"))).toEqual(new Set(["Unknown/RemoteAnswerInvalid"]));
    expect(judged(agentOf(status, "h"))).toEqual(new Set(["Unknown/RemoteAnswerInvalid"]));
    expect(judged(agentOf(status, "f"))).toEqual(new Set(["Unknown/RemoteVersionMismatch"]));
    expect(judged(agentOf(status, "n"))).toEqual(new Set(["Unknown/RemoteMosaicMissing"]));
    expect(agentOf(status, "alpha").pane.state).toBe("alive");
    // Nothing the hostile host sent reaches the terminal raw.
    const table = await mosaic(["fleet", "ps", "-f", file, "-o", "wide", "--host-timeout", "20s"], env, 40_000);
    expect(table.stdout + table.stderr).not.toContain("\u001b");
  });

  it("a hostile host's valid answer full of terminal escapes reaches no terminal raw, in any format", async () => {
    const ESC = "\u001b]52;c;aGVsbG8=\u0007\u001b[2J";
    const pane = (session: string, paneId: string, dead: boolean) => ({
      session,
      paneId,
      windowIndex: 0,
      paneIndex: 0,
      pid: 4242,
      dead,
      deadStatus: dead ? 1 : null,
      ...(dead ? { deadSignal: null, lastLines: [`boom${ESC}`] } : {}),
      currentCommand: `x${ESC}`,
      activity: 1,
    });
    const answer = {
      apiVersion: "mosaic.fleet/v1",
      kind: "FleetObservation",
      observedAtMs: Date.now(),
      host: `evil${ESC}`,
      user: USER,
      procReadable: false,
      tenants: [
        {
          tenant: USER,
          access: { visible: true, uid: 0, delegated: false },
          tmux: [
            [
              "s",
              {
                ok: true,
                socket: "s",
                socketPath: `/x${ESC}`,
                sessions: [
                  ["d", pane("d", "%1", true)],
                  [`w${ESC}`, pane(`w${ESC}`, "%2", false)],
                ],
              },
            ],
          ],
          systemd: { ok: false, reason: "SystemdUnavailable", message: `no manager${ESC}` },
          heartbeats: [["d", { state: "invalid", reason: "Malformed", message: `bad${ESC}` }]],
          heartbeatProcesses: [],
        },
      ],
      trees: [],
    };
    const json = join(fakes, "hostile.json");
    writeFileSync(json, JSON.stringify(answer));
    mkdirSync(join(fakes, "hostile"));
    writeFileSync(join(fakes, "hostile", "mosaic"), `#!/bin/sh\ncat ${json}\n`);
    chmodSync(join(fakes, "hostile", "mosaic"), 0o755);
    const file = roster({ hostile: { ssh: "host-a", mosaic: join(fakes, "hostile", "mosaic") } }, [
      { name: "d", runtime: "sleeper", host: "hostile", socket: "s", heartbeat: true },
    ]);
    const status = await ps(file);
    expect(agentOf(status, "d").pane.state).toBe("dead");
    for (const args of [["-o", "wide", "--fix-plan"], ["--fix-plan"]]) {
      const run = await mosaic(["fleet", "ps", "-f", file, "--no-color", ...args], env, 30_000);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout + run.stderr).not.toMatch(RAW_CONTROL);
      expect(run.stdout).toMatch(/\\x1b/);
    }
    const diff = await mosaic(["fleet", "diff", "-f", file, "--no-color"], env, 30_000);
    expect(diff.code).toBe(1);
    expect(diff.stdout + diff.stderr).not.toMatch(RAW_CONTROL);
    for (const format of ["markdown", "junit", "prometheus", "html"]) {
      const report = await mosaic(["fleet", "report", "-f", file, "--format", format], env, 30_000);
      expect(report.stdout, format).not.toMatch(RAW_CONTROL);
    }
  });

  it("a wrong host key or an unauthorized key is HostAuthFailed; nothing is trusted on first use", async () => {
    const file = roster(
      {
        rekeyed: { ssh: "host-a-rekeyed", mosaic: REMOTE_MOSAIC },
        stranger: { ssh: "host-a-stranger", mosaic: REMOTE_MOSAIC },
      },
      [
        { name: "r", runtime: "sleeper", host: "rekeyed", socket: tmuxA.socket },
        { name: "x", runtime: "sleeper", host: "stranger", socket: tmuxA.socket },
      ],
    );
    const status = await ps(file);
    const r = agentOf(status, "r");
    expect(judged(r)).toEqual(new Set(["Unknown/HostAuthFailed"]));
    expect(r.conditions.find((c) => c.type === "PaneDead")?.message).toMatch(
      /ssh host-a-rekeyed: .*(host key|HOST IDENTIFICATION)/i,
    );
    // A key the host does not authorize: permission denied, the same reason.
    const x = agentOf(status, "x");
    expect(judged(x)).toEqual(new Set(["Unknown/HostAuthFailed"]));
    expect(x.conditions.find((c) => c.type === "PaneDead")?.message).toMatch(
      /ssh host-a-stranger: .*Permission denied/,
    );
    expect(agentOf(status, "alpha").pane.state).toBe("alive");
  });

  it("a host that hangs (sshd stopped) is HostTimeout within --host-timeout; the others are unaffected", async () => {
    const file = roster();
    hostA.signal("SIGSTOP");
    try {
      const status = await ps(file, ["--host-timeout", "8s"]);
      expect(judged(agentOf(status, "alpha"))).toEqual(new Set(["Unknown/HostTimeout"]));
      expect(agentOf(status, "beta").pane.state).toBe("alive");
      expect(agentOf(status, "home").pane.state).toBe("alive");
      expect(status.sources).toContainEqual(expect.objectContaining({ source: "host:host-a", reason: "HostTimeout" }));
    } finally {
      hostA.signal("SIGCONT");
    }
  });

  it("a host whose sshd is gone turns only its rows Unknown/HostUnreachable", async () => {
    const file = roster();
    expect(agentOf(await ps(file), "beta").pane.state).toBe("alive");
    await hostB.kill();
    const status = await ps(file);
    const beta = agentOf(status, "beta");
    expect(beta.pane.state).toBe("unknown");
    expect(judged(beta)).toEqual(new Set(["Unknown/HostUnreachable"]));
    expect(beta.conditions.find((c) => c.type === "PaneDead")?.message).toMatch(/ssh host-b: .*refused/i);
    expect(agentOf(status, "alpha").pane.state).toBe("alive");
    expect(agentOf(status, "home").pane.state).toBe("alive");
  });
});
