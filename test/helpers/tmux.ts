// A private tmux server per test: its own socket name AND its own TMUX_TMPDIR, so it can
// collide neither with the operator's tmux nor with another test file running in
// parallel, and kill() removes every trace of it (the server and the socket file).
//
//   const tmux = await startTmuxServer("observe-panes");
//   await tmux.newSession("alpha", ["sleep", "600"]);
//   const pid = await tmux.panePid("alpha");
//   execa("node", ["bin/mosaic", "fleet", "ps", "--socket", tmux.socket], { env: tmux.childEnv() });
//   await tmux.kill();                                        // in afterAll / finally
//
// tmux leaves its socket file behind after kill-server; kill() removes the whole
// TMUX_TMPDIR, so nothing remains. The commands below never touch the default socket:
// every call passes -L <socket> with TMUX unset and TMUX_TMPDIR pointing at our dir.

import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir as osTmpdir } from "node:os";
import { join } from "node:path";
import { descendantsOf, pidAlive, startReaper, startTicks, stillRunning, waitFor, type Reaper } from "./proc.mjs";
import { run, type CommandResult } from "./run.js";

export interface StartTmuxServerOptions {
  /**
   * Start the server now (default true). The server is started with `exit-empty off`, so
   * it keeps running with zero sessions until kill(). With `start: false` only the socket
   * name and TMUX_TMPDIR are reserved: whoever creates the first session starts the
   * server (e.g. mosaic-fleet-holder.service, so the server lives in that unit's cgroup
   * and inherits the unit's environment, as in production). kill() still cleans up.
   */
  start?: boolean;
  /**
   * A command the server is started under, e.g. `["unshare", "-n"]` for a server (and so
   * every pane) in a network namespace of its own with no way out (test/runtimes/).
   */
  launcher?: string[];
}

interface NewSessionOptions {
  width?: number;
  height?: number;
  /** Extra variables for the session environment (`new-session -e K=V`). */
  env?: Record<string, string>;
}

export interface TmuxServer {
  /** The `tmux -L` socket name (unique per call). */
  readonly socket: string;
  /** This server's TMUX_TMPDIR (mode 0700); the socket is `${tmpdir}/tmux-UID/${socket}`. */
  readonly tmpdir: string;
  /** Full path of the socket file. */
  readonly socketPath: string;
  /** What a child process needs to reach this server: TMUX_TMPDIR, and TMUX emptied. */
  readonly env: Readonly<Record<string, string>>;
  /** process.env without TMUX/TMUX_PANE, plus `env`, plus `extra`: pass to execa/spawn. */
  childEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** Run `tmux -f /dev/null -L <socket> ...args`. Never throws for a non-zero exit. */
  tmux(...args: string[]): Promise<CommandResult>;
  /**
   * Create a detached session. `command` as a string is run by tmux's default-shell -c;
   * as an array of 2+ words it is exec'd directly (tmux's own rule: a 1-element array is
   * run by the shell, like a string). Throws if tmux refuses.
   */
  newSession(
    name: string,
    command: string[] | string,
    opts?: NewSessionOptions,
  ): Promise<{ paneId: string; panePid: number }>;
  /** pane_pid of the first pane of session `name` (exact match). Throws if missing. */
  panePid(name: string): Promise<number>;
  /** The server's pid, or null when no server is running on the socket. */
  serverPid(): Promise<number | null>;
  /** kill-server on this socket only, wait for the server to exit, remove tmpdir. Idempotent. */
  kill(): Promise<void>;
}

const live = new Set<TmuxServerImpl>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous last resort when a test forgot kill() or the worker exits early.
  process.on("exit", () => {
    for (const server of live) server.killSync();
  });
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.TMUX;
  delete env.TMUX_PANE;
  return env;
}

/** True while pid exists and is not a zombie (re-exported for the tests that import it from here). */
export { pidAlive };

class TmuxServerImpl implements TmuxServer {
  readonly socketPath: string;
  readonly env: Readonly<Record<string, string>>;
  private killed = false;
  private reaper: Reaper | undefined;

  constructor(
    readonly socket: string,
    readonly tmpdir: string,
  ) {
    const uid = process.getuid?.() ?? 0;
    this.socketPath = join(tmpdir, `tmux-${uid}`, socket);
    this.env = Object.freeze({ TMUX_TMPDIR: tmpdir, TMUX: "" });
  }

  childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...cleanEnv(), ...this.env, ...extra };
  }

  /** If the test process dies without running JS (SIGKILL), the watcher kills the server and removes its directory. */
  startReaper(): void {
    this.reaper = startReaper({ tmux: { socket: this.socket, dir: this.tmpdir }, root: this.tmpdir, env: cleanEnv() });
  }

  private stopReaper(): void {
    this.reaper?.stop();
    this.reaper = undefined;
  }

  tmux(...args: string[]): Promise<CommandResult> {
    return run(["tmux", "-f", "/dev/null", "-L", this.socket, ...args], this.childEnv());
  }

  async newSession(
    name: string,
    command: string[] | string,
    opts: NewSessionOptions = {},
  ): Promise<{ paneId: string; panePid: number }> {
    const args = ["new-session", "-d", "-s", name, "-P", "-F", "#{pane_id} #{pane_pid}"];
    if (opts.width !== undefined) args.push("-x", String(opts.width));
    if (opts.height !== undefined) args.push("-y", String(opts.height));
    for (const [key, value] of Object.entries(opts.env ?? {})) args.push("-e", `${key}=${value}`);
    args.push("--", ...(typeof command === "string" ? [command] : command));
    const result = await this.tmux(...args);
    const [paneId, pid] = result.stdout.trim().split(" ");
    if (!result.ok || paneId === undefined || pid === undefined) {
      throw new Error(`tmux new-session ${name} on ${this.socket} failed: ${result.message}`);
    }
    return { paneId, panePid: Number(pid) };
  }

  async panePid(name: string): Promise<number> {
    const result = await this.tmux("display-message", "-p", "-t", `=${name}:`, "#{pane_pid}");
    const pid = Number(result.stdout.trim());
    if (!result.ok || !Number.isInteger(pid) || pid <= 0) {
      throw new Error(`no pane for session ${name} on ${this.socket}: ${result.message}`);
    }
    return pid;
  }

  async serverPid(): Promise<number | null> {
    const result = await this.tmux("display-message", "-p", "#{pid}");
    const pid = Number(result.stdout.trim());
    return result.ok && Number.isInteger(pid) && pid > 0 ? pid : null;
  }

  async kill(): Promise<void> {
    if (this.killed) return;
    this.killed = true;
    live.delete(this);
    this.stopReaper();
    if (existsSync(this.tmpdir)) {
      const pid = await this.serverPid();
      // The panes' programs (and theirs) are this server's to end: they get SIGHUP as it
      // goes, and one slow to act on it (a stub writing its last heartbeat) would still be
      // writing into the test's directories while the test removes them.
      const server = pid === null ? [] : [{ pid, start: startTicks(pid) }];
      const panes = pid === null ? [] : descendantsOf(pid);
      await this.tmux("kill-server");
      for (const group of [server, panes]) {
        if (await waitFor(() => !group.some(stillRunning), 5_000)) continue;
        for (const member of group.filter(stillRunning)) {
          try {
            process.kill(member.pid, "SIGKILL");
          } catch {
            // gone meanwhile
          }
        }
        await waitFor(() => !group.some(stillRunning), 2_000);
      }
    }
    await rm(this.tmpdir, { recursive: true, force: true });
  }

  killSync(): void {
    if (this.killed) return;
    this.killed = true;
    live.delete(this);
    this.stopReaper();
    if (existsSync(this.tmpdir)) {
      spawnSync("tmux", ["-f", "/dev/null", "-L", this.socket, "kill-server"], {
        env: this.childEnv(),
        stdio: "ignore",
        timeout: 2_000,
      });
    }
    rmSync(this.tmpdir, { recursive: true, force: true });
  }
}

/**
 * Start a private tmux server: socket `mf-test-<label>-<pid>-<random>` in a fresh
 * TMUX_TMPDIR (mkdtemp, 0700). Throws if tmux cannot start it.
 */
export async function startTmuxServer(label: string, opts: StartTmuxServerOptions = {}): Promise<TmuxServer> {
  const safeLabel = label.replace(/[^A-Za-z0-9_-]+/g, "-").slice(0, 24) || "t";
  const socket = `mf-test-${safeLabel}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const dir = await mkdtemp(join(osTmpdir(), "mf-tmux-"));
  await chmod(dir, 0o700);
  const server = new TmuxServerImpl(socket, dir);
  installExitHook();
  live.add(server);
  server.startReaper();
  if (opts.start !== false) {
    const startArgs = ["start-server", ";", "set-option", "-g", "exit-empty", "off"];
    const started = opts.launcher
      ? await run([...opts.launcher, "tmux", "-f", "/dev/null", "-L", socket, ...startArgs], server.childEnv())
      : await server.tmux(...startArgs);
    const pid = started.ok ? await server.serverPid() : null;
    if (pid === null) {
      await server.kill();
      throw new Error(`could not start tmux server ${socket}: ${started.message}`);
    }
  }
  return server;
}
