import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { persistSeconds } from "../../src/cli/ssh-multiplex.js";
import { argvOf } from "../helpers/proc.mjs";
import { skipIfOutsideCi } from "../helpers/skip.js";
import { startSshLab, sshLabMissing, type SshLab, type SshTestHost } from "../helpers/sshd.js";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import { waitUntil } from "../integration/agent-support.js";
import { BIN, cliEnv, ROOT, scratch, USER, type Scratch } from "../integration/fleet-support.js";

// `fleet ps --watch` across hosts (docs/commands.md, Many hosts): one multiplexed ssh
// connection per host (ControlMaster, in the private control directory one-shot runs use
// too) for every pass of the watch, counted by each real sshd's own log; with
// MOSAIC_SSH_PERSIST=0, when the watch ends (SIGINT, SIGTERM, its reader gone) every
// master is closed and nothing remains on the hosts; with persistence on, the masters
// stay for a later run.

const missing = sshLabMissing();

describe.skipIf(skipIfOutsideCi(missing !== null, missing ?? ""))("fleet ps --watch across ssh hosts", () => {
  let lab: SshLab;
  let hosts: SshTestHost[];
  let servers: TmuxServer[];
  let s: Scratch;
  let file: string;
  let counted: string;

  beforeAll(async () => {
    lab = startSshLab();
    s = scratch("mf-watch-hosts-");
    servers = await Promise.all([startTmuxServer("watch-hosts-a"), startTmuxServer("watch-hosts-b")]);
    hosts = [
      await lab.addHost("host-a", "127.0.0.2", { TMUX_TMPDIR: servers[0]!.tmpdir }),
      await lab.addHost("host-b", "127.0.0.3", { TMUX_TMPDIR: servers[1]!.tmpdir }),
    ];
    await servers[0]!.newSession("alpha", ["sh", "-c", "exec sleep 600"]);
    await servers[1]!.newSession("beta", ["sh", "-c", "exec sleep 600"]);
    // The hosts' mosaic, counting its runs: one line per `fleet observe` a pass asked for.
    counted = join(s.dir, "counted");
    mkdirSync(join(counted, "bin"), { recursive: true });
    const remote = join(counted, "bin", "mosaic");
    writeFileSync(
      remote,
      `#!/bin/sh\necho "$(hostname)" >> ${join(counted, "runs")}\nexec ${process.execPath} ${BIN} "$@"\n`,
    );
    chmodSync(remote, 0o755);
    file = s.roster("roster.yaml", {
      version: 1,
      defaults: { tenant: USER, heartbeat: false, boot: "any" },
      runtimes: { sleeper: { match: ["sleep"] } },
      hosts: {
        "host-a": { ssh: "host-a", mosaic: remote },
        "host-b": { ssh: "host-b", mosaic: remote },
      },
      agents: [
        { name: "alpha", runtime: "sleeper", host: "host-a", socket: servers[0]!.socket },
        { name: "beta", runtime: "sleeper", host: "host-b", socket: servers[1]!.socket },
      ],
    });
  }, 60_000);

  const cleanups: (() => void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) cleanup();
    await lab?.cleanup();
    await Promise.all((servers ?? []).map((server) => server.kill()));
    s?.cleanup();
  });

  const runs = (host: string) =>
    existsSync(join(counted, "runs"))
      ? readFileSync(join(counted, "runs"), "utf8")
          .split("\n")
          .filter((line) => line === host).length
      : 0;

  /** Every process on this machine whose argv names `dir` (ssh masters and clients). */
  const using = (dir: string) =>
    readdirSync("/proc")
      .filter((entry) => /^\d+$/.test(entry))
      .filter((entry) => argvOf(Number(entry)).some((word) => word.includes(dir)));

  for (const ending of ["SIGINT", "SIGTERM", "reader gone"] as const) {
    it(`one connection per host across passes; after ${ending} every master is closed and its socket gone (MOSAIC_SSH_PERSIST=0)`, async () => {
      // A short runtime directory of our own: the control sockets go in DIR/mosaic/ssh.
      const tmp = mkdtempSync("/tmp/mfw-");
      chmodSync(tmp, 0o700);
      cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
      const env = cliEnv({
        MOSAIC_HOME: s.home,
        MOSAIC_SSH_CONFIG: lab.sshConfig,
        XDG_RUNTIME_DIR: tmp,
        MOSAIC_SSH_PERSIST: "0",
      });
      const before = hosts.map((h) => h.acceptedConnections());
      const runsBefore = hosts.map((h) => runs(h.name));
      const child = spawn(
        process.execPath,
        [BIN, "fleet", "ps", "-f", file, "--watch", "-o", "json", "--interval", "200ms"],
        { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
      );
      let out = "";
      let err = "";
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));

      // Several passes on each host…
      const passed = await waitUntil(() => hosts.every((h, i) => runs(h.name) - runsBefore[i]! >= 4), 30_000);
      expect(passed, `passes: ${hosts.map((h) => runs(h.name)).join(",")}; ${err}; ${out.slice(0, 3000)}`).toBe(true);
      const first = JSON.parse(out.split("\n")[0]!) as { agents: { name: string; pane: { state: string } }[] };
      expect(first.agents.map((a) => [a.name, a.pane.state])).toEqual([
        ["alpha", "alive"],
        ["beta", "alive"],
      ]);
      // …over exactly one TCP connection per host.
      expect(hosts.map((h, i) => h.acceptedConnections() - before[i]!)).toEqual([1, 1]);
      const control = join(tmp, "mosaic", "ssh");
      // Private: only we may reach the masters' sockets.
      expect(statSync(control).mode & 0o777).toBe(0o700);
      expect(using(control).length).toBeGreaterThan(0);

      if (ending === "reader gone") {
        // The reader goes; the watch notices at its next write, which a change brings.
        child.stdout.destroy();
        expect((await servers[1]!.tmux("kill-session", "-t", "=beta")).ok).toBe(true);
      } else child.kill(ending);
      expect(await exited, err).toBe(0);
      expect(await waitUntil(() => using(control).length === 0, 5_000)).toBe(true);
      expect(await waitUntil(() => readdirSync(control).length === 0, 5_000)).toBe(true);
      for (const host of hosts)
        expect(await waitUntil(() => host.processes().length === 0, 5_000), JSON.stringify(host.processes())).toBe(
          true,
        );
    }, 60_000);
  }

  it("with persistence on, the watch's masters stay for the next run, which makes no new connection", async () => {
    const tmp = mkdtempSync("/tmp/mfw-");
    chmodSync(tmp, 0o700);
    const control = join(tmp, "mosaic", "ssh");
    cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
    const env = cliEnv({ MOSAIC_HOME: s.home, MOSAIC_SSH_CONFIG: lab.sshConfig, XDG_RUNTIME_DIR: tmp });
    const before = hosts.map((h) => h.acceptedConnections());
    const runsBefore = hosts.map((h) => runs(h.name));
    const child = spawn(
      process.execPath,
      [BIN, "fleet", "ps", "-f", file, "--watch", "-o", "json", "--interval", "200ms"],
      { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    try {
      expect(await waitUntil(() => hosts.every((h, i) => runs(h.name) - runsBefore[i]! >= 2), 30_000)).toBe(true);
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      const once = spawnSync(process.execPath, [BIN, "fleet", "ps", "-f", file, "-o", "json"], { cwd: ROOT, env });
      expect(once.status, once.stderr.toString()).toBe(0);
      expect(hosts.map((h, i) => h.acceptedConnections() - before[i]!)).toEqual([1, 1]);
    } finally {
      child.kill("SIGKILL");
      // The masters this test's runs left up, closed.
      for (const name of existsSync(control) ? readdirSync(control) : [])
        for (const host of hosts)
          spawnSync("ssh", ["-F", lab.sshConfig, "-o", `ControlPath=${join(control, name)}`, "-O", "exit", host.name]);
      await waitUntil(() => using(control).length === 0, 5_000);
    }
    expect(using(control)).toEqual([]);
  }, 60_000);

  it("an idle master outlives one pass's gap, and at most ten minutes", () => {
    expect(persistSeconds(1_000, 5_000)).toBe(10);
    expect(persistSeconds(30_000, 5_000)).toBe(65);
    expect(persistSeconds(86_400_000, 5_000)).toBe(600);
  });
});
