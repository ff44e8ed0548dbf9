// Who a tmux server, a user manager or a file belongs to, and how to act as that user.
// The rule (docs/threat-model.md, "Privilege"): anything aimed at another uid's server,
// manager or files runs AS that uid — never as root on the tenant's behalf — because a
// tenant configures its own tmux server (hooks, buffers, default commands) and tmux runs
// a command client's file I/O in the client. These helpers are the only place that
// decides how.

/** A Linux account that owns an instance (tmux server, user manager, run directory). */
export interface Owner {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** The effective uid of this process (-1 where the platform has none). */
export function effectiveUid(): number {
  return process.geteuid?.() ?? -1;
}

/** True when acting for `owner` means switching identity (we are root, it is not). */
export function needsSwitch(owner: Owner | undefined | null): owner is Owner {
  return owner !== undefined && owner !== null && owner.uid !== effectiveUid() && effectiveUid() === 0;
}

const SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * The clean environment a program started for `owner` gets: its own HOME, USER, a safe
 * PATH, and only the variables passed in `extra` — nothing of root's environment.
 */
export function ownerEnv(owner: Owner, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    HOME: owner.home,
    USER: owner.name,
    LOGNAME: owner.name,
    PATH: SAFE_PATH,
    // A UTF-8 locale: a tmux client without one mangles its own output (tmux.ts).
    LANG: "C.UTF-8",
  };
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

/**
 * The argv prefix that runs a program as `owner`: its uid, gid and supplementary groups
 * (setpriv --init-groups), no new privileges (a setuid program it might exec gains
 * nothing), every capability dropped.
 */
export function switchArgv(owner: Owner): string[] {
  return [
    "setpriv",
    `--reuid=${owner.uid}`,
    `--regid=${owner.gid}`,
    "--init-groups",
    "--no-new-privs",
    "--inh-caps=-all",
    "--",
  ];
}

/**
 * Run `fn` (synchronous file work) with `owner`'s effective uid, gid and groups, so the
 * kernel checks every open, write and rename as the owner's — root writing a probe
 * nonce into a tenant's run directory cannot be turned into a write anywhere else.
 * Restores root's identity afterwards, whatever `fn` does.
 */
export function asOwnerSync<T>(owner: Owner | null | undefined, fn: () => T): T {
  if (!needsSwitch(owner)) return fn();
  const groups = process.getgroups?.() ?? [];
  const egid = process.getegid?.() ?? 0;
  // Its supplementary groups too, as a login would have them.
  (process as { initgroups?: (user: string, extraGroup: number) => void }).initgroups?.(owner.name, owner.gid);
  process.setegid?.(owner.gid);
  process.seteuid?.(owner.uid);
  try {
    return fn();
  } finally {
    process.seteuid?.(0);
    process.setegid?.(egid);
    process.setgroups?.(groups);
  }
}
