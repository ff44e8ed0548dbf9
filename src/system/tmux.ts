import { lstatSync } from "node:fs";
import { join } from "node:path";
import type { Owner } from "./owner.js";
import { runCommand, type CommandResult } from "./run.js";

// Every tmux client mosaic starts is started here: one way of addressing a server (its
// socket path, checked first: tmux's own rule — TMUX_TMPDIR or /tmp, then tmux-UID/NAME —
// so a socket planted by someone else, or a symlink, is refused rather than used), one
// clean client environment (no $TMUX, a UTF-8 locale), and the server's owner: a client
// aimed at another uid's server runs as that uid (owner.ts). Commands go through
// runTmux; the interactive takeover through attachTmux; watch's notifications through
// controlClient.

export type SocketCheck =
  { ok: true; path: string } | { ok: false; path: string; reason: "TmuxUnavailable" | "SocketUnsafe"; message: string };

/** The socket path tmux itself would use for `-L name`. */
export function tmuxSocketPath(name: string, env: NodeJS.ProcessEnv, uid: number): string {
  const base = env["TMUX_TMPDIR"] || "/tmp";
  return join(base, `tmux-${uid}`, name);
}

/** Refuse a socket whose directory or file another user could have planted. */
export function checkTmuxSocket(name: string, env: NodeJS.ProcessEnv, uid: number): SocketCheck {
  const path = tmuxSocketPath(name, env, uid);
  const dir = join(path, "..");
  let dirStat;
  try {
    dirStat = lstatSync(dir);
  } catch {
    return {
      ok: false,
      path,
      reason: "TmuxUnavailable",
      message: `no tmux server on socket "${name}" (${dir} does not exist)`,
    };
  }
  if (dirStat.isSymbolicLink() || !dirStat.isDirectory()) {
    return {
      ok: false,
      path,
      reason: "SocketUnsafe",
      message: `refusing tmux socket directory ${dir}: it is not a real directory`,
    };
  }
  if (dirStat.uid !== uid) {
    return {
      ok: false,
      path,
      reason: "SocketUnsafe",
      message: `refusing tmux socket directory ${dir}: owned by uid ${dirStat.uid}, not ${uid}`,
    };
  }
  if ((dirStat.mode & 0o077) !== 0) {
    return {
      ok: false,
      path,
      reason: "SocketUnsafe",
      message: `refusing tmux socket directory ${dir}: mode ${(dirStat.mode & 0o777).toString(8)} lets other users in (tmux wants 700)`,
    };
  }
  let sockStat;
  try {
    sockStat = lstatSync(path);
  } catch {
    return {
      ok: false,
      path,
      reason: "TmuxUnavailable",
      message: `no tmux server on socket "${name}" (${path} does not exist)`,
    };
  }
  if (sockStat.isSymbolicLink()) {
    return { ok: false, path, reason: "SocketUnsafe", message: `refusing tmux socket ${path}: it is a symlink` };
  }
  if (!sockStat.isSocket()) {
    return { ok: false, path, reason: "SocketUnsafe", message: `refusing tmux socket ${path}: it is not a socket` };
  }
  if (sockStat.uid !== uid) {
    return {
      ok: false,
      path,
      reason: "SocketUnsafe",
      message: `refusing tmux socket ${path}: owned by uid ${sockStat.uid}, not ${uid}`,
    };
  }
  return { ok: true, path };
}

/** The environment for a tmux client: without $TMUX, so the caller's own server is never used. */
export function tmuxClientEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const clean = { ...env };
  delete clean["TMUX"];
  delete clean["TMUX_PANE"];
  return withUtf8Client(clean);
}

const UTF8 = /utf-?8/i;

/**
 * A tmux client that does not believe its terminal speaks UTF-8 (cron, `env -i`, LANG=C)
 * prints `_` for every byte it deems unprintable — our field separator among them — and
 * every pane would read as missing. tmux decides from LC_ALL, LC_CTYPE and LANG, in that
 * order: make the one it reads say UTF-8 (the locale need not exist).
 */
export function withUtf8Client(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const decisive = env["LC_ALL"] || env["LC_CTYPE"] || env["LANG"] || "";
  if (UTF8.test(decisive)) return env;
  const fixed: NodeJS.ProcessEnv = { ...env, LC_CTYPE: "C.UTF-8" };
  delete fixed["LC_ALL"];
  return fixed;
}

/** A tmux server, addressed by its (checked) socket path. */
export interface TmuxServer {
  socketPath: string;
  env: NodeJS.ProcessEnv;
  /** Bound on each command; a server that does not answer in time is a timeout, not absence. */
  timeoutMs: number;
  /** The server's owner when it is not us: the client runs as it. */
  owner?: Owner | null;
}

/** One tmux command (or `;`-chained commands) on `server`; never throws. */
export function runTmux(server: TmuxServer, args: readonly string[], input?: string): Promise<CommandResult> {
  return runCommand(["tmux", "-S", server.socketPath, ...args], {
    env: tmuxClientEnv(server.env),
    timeoutMs: server.timeoutMs,
    as: server.owner ?? null,
    ...(input !== undefined ? { input } : {}),
  });
}

/** A tmux command on the server named `-L socket` (for a server mosaic starts itself). */
export function runTmuxNamed(
  socket: string,
  env: NodeJS.ProcessEnv,
  args: readonly string[],
  timeoutMs: number,
): Promise<CommandResult> {
  return runCommand(["tmux", "-L", socket, ...args], { env: tmuxClientEnv(env), timeoutMs });
}

/**
 * The session of the pane this process runs in, asked of the server in $TMUX (the one
 * the pane belongs to — the only time the caller's own server is the right one).
 */
export async function ownSession(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string | null> {
  const pane = env["TMUX_PANE"];
  if (!env["TMUX"] || !pane) return null;
  const result = await runCommand(["tmux", "display-message", "-p", "-t", pane, "#{session_name}"], {
    env: withUtf8Client(env),
    timeoutMs,
  });
  const session = result.stdout.trim();
  return result.ok && session !== "" ? session : null;
}

/** The interactive client `agent attach` hands the terminal to; resolves to its exit code. */
export async function attachTmux(server: TmuxServer, args: readonly string[]): Promise<number | undefined> {
  const { execa } = await import("execa");
  const result = await execa("tmux", ["-S", server.socketPath, ...args], {
    env: tmuxClientEnv(server.env),
    extendEnv: false,
    stdio: "inherit",
    reject: false,
  });
  return result.exitCode;
}

/** A running control-mode client: its notification lines, and how to end it. */
export interface ControlClient {
  onLine(listener: (line: string) => void): void;
  /** Resolves when the client has exited (session or server gone, or closed). */
  exited: Promise<void>;
  close(): Promise<void>;
}

/** `tmux -C attach-session` with `flags` (e.g. read-only,ignore-size,no-output) to `target`. */
export async function controlClient(server: TmuxServer, flags: string, target: string): Promise<ControlClient> {
  const { execa } = await import("execa");
  const proc = execa("tmux", ["-S", server.socketPath, "-C", "attach-session", "-f", flags, "-t", target], {
    env: tmuxClientEnv(server.env),
    extendEnv: false,
    stdin: "pipe",
    reject: false,
    buffer: false,
  });
  let partial = "";
  const listeners: ((line: string) => void)[] = [];
  proc.stdout?.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString("utf8")).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) for (const listener of listeners) listener(line);
  });
  const exited = proc.then(() => undefined);
  return {
    onLine: (listener) => void listeners.push(listener),
    exited,
    close: async () => {
      proc.stdin?.end(); // Control mode detaches when its input closes.
      const timer = setTimeout(() => proc.kill("SIGTERM"), 500);
      await exited;
      clearTimeout(timer);
    },
  };
}
