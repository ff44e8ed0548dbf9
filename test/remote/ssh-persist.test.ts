import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { controlDirectory, persistFromEnv } from "../../src/cli/ssh-control.js";
import { argvOf } from "../helpers/proc.mjs";
import { skipIfOutsideCi } from "../helpers/skip.js";
import { startSshLab, sshLabMissing, type SshLab, type SshTestHost } from "../helpers/sshd.js";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import { waitUntil } from "../integration/agent-support.js";
import { BIN, cliEnv, ROOT, scratch, USER, type Scratch } from "../integration/fleet-support.js";

// One-shot `fleet ps` across hosts reuses its ssh connection (docs/commands.md, Many
// hosts): ControlMaster=auto + ControlPersist in a private, checked control directory.
// Counted by the real sshd's own accepts: a second run within the persist window makes no
// new TCP connection; with MOSAIC_SSH_PERSIST=0 every run connects and nothing stays up;
// a directory that is not ours and private, or holds anything but our sockets, is not
// used (a direct connection, said in the debug log); a stale socket is replaced.

const missing = sshLabMissing();

describe.skipIf(skipIfOutsideCi(missing !== null, missing ?? ""))("ssh connection reuse across runs", () => {
  let lab: SshLab;
  let host: SshTestHost;
  let server: TmuxServer;
  let s: Scratch;
  let file: string;
  const runtimeDirs: string[] = [];

  beforeAll(async () => {
    lab = startSshLab();
    s = scratch("mf-ssh-persist-");
    server = await startTmuxServer("ssh-persist");
    host = await lab.addHost("host-a", "127.0.0.2", { TMUX_TMPDIR: server.tmpdir });
    await server.newSession("alpha", ["sh", "-c", "exec sleep 600"]);
    file = s.roster("roster.yaml", {
      version: 1,
      defaults: { tenant: USER, heartbeat: false, boot: "any" },
      runtimes: { sleeper: { match: ["sleep"] } },
      hosts: { "host-a": { ssh: "host-a", mosaic: `${process.execPath} ${BIN}` } },
      agents: [{ name: "alpha", runtime: "sleeper", host: "host-a", socket: server.socket }],
    });
  }, 60_000);

  /** Every process on this machine whose argv names `dir` (ssh masters). */
  const using = (dir: string) =>
    readdirSync("/proc")
      .filter((entry) => /^\d+$/.test(entry))
      .filter((entry) => argvOf(Number(entry)).some((word) => word.includes(dir)));

  /** Close any master left in `dir` (ours: started by this test's runs). */
  const closeMasters = (dir: string) => {
    for (const name of readdirSync(dir).filter((n) => statSync(join(dir, n)).isSocket()))
      spawnSync("ssh", ["-F", lab.sshConfig, "-o", `ControlPath=${join(dir, name)}`, "-O", "exit", "host-a"]);
  };

  afterEach(async () => {
    for (const runtime of runtimeDirs.splice(0)) {
      const dir = join(runtime, "mosaic", "ssh");
      try {
        closeMasters(dir);
      } catch {
        // (no directory: nothing was left up)
      }
      await waitUntil(() => using(runtime).length === 0, 5_000);
      rmSync(runtime, { recursive: true, force: true });
    }
  });

  afterAll(async () => {
    await lab?.cleanup();
    await server?.kill();
    s?.cleanup();
  });

  /** A short private runtime directory (the socket path must fit 107 bytes). */
  const runtimeDir = () => {
    const dir = mkdtempSync("/tmp/mfp-");
    chmodSync(dir, 0o700);
    runtimeDirs.push(dir);
    return dir;
  };

  const ps = (env: NodeJS.ProcessEnv) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, "fleet", "ps", "-f", file, "-o", "json"], {
        cwd: ROOT,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });

  const alive = (out: { code: number | null; stdout: string; stderr: string }) => {
    expect(out.code, out.stderr).toBe(0);
    const status = JSON.parse(out.stdout) as { agents: { name: string; pane: { state: string } }[] };
    expect(status.agents.map((a) => [a.name, a.pane.state])).toEqual([["alpha", "alive"]]);
  };

  const envFor = (runtime: string, extra: Record<string, string> = {}) =>
    cliEnv({ MOSAIC_HOME: s.home, MOSAIC_SSH_CONFIG: lab.sshConfig, XDG_RUNTIME_DIR: runtime, ...extra });

  it("a second run within the persist window makes no new connection", async () => {
    const runtime = runtimeDir();
    const env = envFor(runtime);
    const before = host.acceptedConnections();
    alive(await ps(env));
    alive(await ps(env));
    alive(await ps(env));
    expect(host.acceptedConnections() - before).toBe(1);
    const dir = join(runtime, "mosaic", "ssh");
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir).filter((n) => statSync(join(dir, n)).isSocket())).toHaveLength(1);
    expect(using(runtime).length).toBeGreaterThan(0);
  }, 60_000);

  it("with MOSAIC_SSH_PERSIST=0 every run connects and nothing stays up", async () => {
    const runtime = runtimeDir();
    const env = envFor(runtime, { MOSAIC_SSH_PERSIST: "0" });
    const before = host.acceptedConnections();
    alive(await ps(env));
    alive(await ps(env));
    expect(host.acceptedConnections() - before).toBe(2);
    expect(using(runtime)).toEqual([]);
    expect(await waitUntil(() => host.processes().length === 0, 5_000), JSON.stringify(host.processes())).toBe(true);
  }, 60_000);

  it("a stale socket (its master gone) is replaced, and the run still answers", async () => {
    const runtime = runtimeDir();
    const env = envFor(runtime);
    alive(await ps(env));
    const dir = join(runtime, "mosaic", "ssh");
    const [socket] = readdirSync(dir);
    // The master our run left up, killed outright: its socket stays, with nobody behind it.
    for (const pid of using(runtime)) process.kill(Number(pid), "SIGKILL");
    expect(await waitUntil(() => using(runtime).length === 0, 5_000)).toBe(true);
    expect(readdirSync(dir)).toEqual([socket]);
    const before = host.acceptedConnections();
    alive(await ps(env));
    alive(await ps(env));
    expect(host.acceptedConnections() - before).toBe(1);
  }, 60_000);

  for (const spoil of ["a foreign file in it", "a symlink in it", "mode 0755", "a symlinked directory"] as const) {
    it(`a control directory with ${spoil} is not used: a direct connection, said in the debug log`, async () => {
      const runtime = runtimeDir();
      const dir = join(runtime, "mosaic", "ssh");
      mkdirSync(join(runtime, "mosaic"), { mode: 0o700 });
      switch (spoil) {
        case "a foreign file in it":
          mkdirSync(dir, { mode: 0o700 });
          writeFileSync(join(dir, "0123456789abcdef0123456789abcdef01234567"), "");
          break;
        case "a symlink in it":
          mkdirSync(dir, { mode: 0o700 });
          symlinkSync("/tmp/elsewhere", join(dir, "0123456789abcdef0123456789abcdef01234567"));
          break;
        case "mode 0755":
          mkdirSync(dir, { mode: 0o700 });
          chmodSync(dir, 0o755);
          break;
        case "a symlinked directory": {
          const elsewhere = join(runtime, "elsewhere");
          mkdirSync(elsewhere, { mode: 0o700 });
          symlinkSync(elsewhere, dir);
          break;
        }
        default:
          spoil satisfies never;
      }
      expect(controlDirectory({ XDG_RUNTIME_DIR: runtime }).ok).toBe(false);
      const env = envFor(runtime, { MOSAIC_LOG_LEVEL: "debug" });
      const before = host.acceptedConnections();
      const first = await ps(env);
      alive(first);
      expect(first.stderr).toMatch(/ssh connection reuse off: connecting directly/);
      alive(await ps(env));
      expect(host.acceptedConnections() - before).toBe(2);
      expect(using(runtime)).toEqual([]);
      // Left as it was found: mosaic neither repairs nor removes it.
      if (spoil === "mode 0755") expect(statSync(dir).mode & 0o777).toBe(0o755);
    }, 60_000);
  }

  it("reads MOSAIC_SSH_PERSIST as ssh's ControlPersist time", () => {
    expect(persistFromEnv({})).toBe(60);
    expect(persistFromEnv({ MOSAIC_SSH_PERSIST: "0" })).toBe(0);
    expect(persistFromEnv({ MOSAIC_SSH_PERSIST: "no" })).toBe(0);
    expect(persistFromEnv({ MOSAIC_SSH_PERSIST: "90" })).toBe(90);
    expect(persistFromEnv({ MOSAIC_SSH_PERSIST: "5m" })).toBe(300);
    expect(persistFromEnv({ MOSAIC_SSH_PERSIST: "1h" })).toBe(3600);
    expect(persistFromEnv({ MOSAIC_SSH_PERSIST: "soon" })).toBe(60);
  });

  it("never makes a missing runtime directory: the cache directory is used instead", () => {
    const cache = runtimeDir();
    const missingRuntime = join(cache, "no-runtime");
    expect(controlDirectory({ XDG_RUNTIME_DIR: missingRuntime, XDG_CACHE_HOME: cache })).toEqual({
      ok: true,
      dir: join(cache, "mosaic", "ssh"),
    });
    expect(existsSync(missingRuntime)).toBe(false);
  });

  it("refuses a directory whose socket path would not fit", () => {
    const long = join(runtimeDir(), "d".repeat(80));
    mkdirSync(long, { mode: 0o700 });
    expect(controlDirectory({ XDG_RUNTIME_DIR: long })).toMatchObject({ ok: false, why: /too long/ });
  });
});
