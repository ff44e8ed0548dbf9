import { lstatSync } from "node:fs";
import { join } from "node:path";

// Where a `tmux -L NAME` socket lives, and whether it is safe to talk to: tmux's own
// rule (TMUX_TMPDIR or /tmp, then tmux-UID/NAME), checked before any call so a socket
// planted by someone else, or a symlink, is refused rather than used.

type SocketCheck =
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
