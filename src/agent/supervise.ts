import { type CommandResult, runTmux, readProcess } from "../system/index.js";

// `mosaic agent run NAME -- COMMAND…`: the agent's session, owned by the foreground
// process of a systemd unit (docs/commands.md). The session is created with
// remain-on-exit and a pane-died hook on THAT session only, which signals a tmux
// wait-for channel; this process waits on the channel and exits with the status of the
// pane's process, so systemd (Restart=on-failure) sees every crash. The session is
// tagged with its owner (pid + start time, @mosaic-run), so a later run of the same unit
// recognises its own leftover (its owner gone) and replaces it, and never takes over a
// session someone else started.

export interface SuperviseOptions {
  name: string;
  socketPath: string;
  argv: readonly string[];
  /** Variables for the session environment (`new-session -e`), MOSAIC_AGENT_NAME included. */
  sessionEnv: Record<string, string>;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** How often to look at the session while waiting (covers a missed hook, a kill-session by someone else). */
  recheckMs?: number;
  /** Resolves when the unit is being stopped (SIGTERM). */
  stopped: Promise<void>;
  say: (line: string) => void;
}

export type SuperviseOutcome =
  | { kind: "exited"; status: number }
  | { kind: "killed"; signal: number }
  | { kind: "gone"; message: string }
  | { kind: "stopped" }
  | { kind: "refused"; message: string };

/**
 * tmux splits its argv into commands at any argument that ENDS in ";" (and drops that
 * ";"). An argument ending in ";" is therefore passed as "…\;", which tmux turns back
 * into "…;": every argument reaches the program exactly as given.
 */
export function tmuxArg(arg: string): string {
  return arg.endsWith(";") ? `${arg.slice(0, -1)}\\;` : arg;
}

const TAG = "@mosaic-run";

/** A process named by pid AND start time (clock ticks since boot): a reused pid is another process. */
interface RunOwner {
  pid: number;
  startTicks: number;
}

function selfOwner(): RunOwner {
  const info = readProcess(process.pid);
  if (info === null) throw new Error(`cannot read /proc/${process.pid}/stat`);
  return { pid: process.pid, startTicks: info.startTicks };
}

/** The owner a session's tag names, or null when the tag is not an owner ("PID TICKS"). */
export function parseOwner(text: string): RunOwner | null {
  const match = /^(\d{1,10}) (\d{1,20})$/.exec(text);
  if (!match) return null;
  const owner = { pid: Number(match[1]), startTicks: Number(match[2]) };
  return owner.pid > 0 && Number.isSafeInteger(owner.startTicks) ? owner : null;
}

/** Whether the owner still runs (same pid, same start time). */
function ownerAlive(owner: RunOwner): boolean {
  return readProcess(owner.pid)?.startTicks === owner.startTicks;
}

function ownerText(owner: RunOwner): string {
  return `${owner.pid} ${owner.startTicks}`;
}

/** The wait-for channel of this run: unique per owner, so two runs never share one. */
function channelOf(name: string, me: RunOwner): string {
  return `mosaic-run-${name}-${me.pid}-${me.startTicks}`;
}

async function tmux(options: SuperviseOptions, args: string[], timeoutMs = options.timeoutMs): Promise<CommandResult> {
  return runTmux({ socketPath: options.socketPath, env: options.env, timeoutMs }, args);
}

interface SessionState {
  dead: boolean;
  status: number | null;
  signal: number | null;
  owner: string;
}

const STATE_FORMAT = `#{pane_dead}\u001f#{pane_dead_status}\u001f#{pane_dead_signal}\u001f#{${TAG}}`;

/** The session's first pane and its owner tag, or null when there is no such session. */
async function sessionState(options: SuperviseOptions): Promise<SessionState | null> {
  // (list-panes, not display-message: that one falls back to another target when the session is missing.)
  const shown = await tmux(options, ["list-panes", "-s", "-t", `=${options.name}`, "-F", STATE_FORMAT]);
  if (!shown.ok) return null;
  const first = shown.stdout.split("\n")[0] ?? "";
  const [dead, status, signal, ...owner] = first.split("\u001f");
  const number = (text: string | undefined) => (text && /^\d+$/.test(text) ? Number(text) : null);
  const killedBy = number(signal);
  return {
    dead: dead === "1",
    status: number(status),
    signal: killedBy !== null && killedBy > 0 ? killedBy : null,
    owner: owner.join("\u001f"),
  };
}

/** Remove a leftover session of an earlier run of this agent; refuse anyone else's. */
async function clearLeftover(options: SuperviseOptions): Promise<string | null> {
  const state = await sessionState(options);
  if (state === null) return null;
  const owner = parseOwner(state.owner);
  const ours = owner !== null;
  if (!ours) {
    return `session "${options.name}" already exists on this socket and was not started by \`mosaic agent run\`; not taking it over (stop it, or run \`mosaic fleet apply --allow-disruptive\` to migrate it)`;
  }
  if (!state.dead && ownerAlive(owner)) {
    return `session "${options.name}" is already run by mosaic agent run (pid ${owner.pid})`;
  }
  // Our own: its owner is gone (killed, or it exited) — replace it.
  await tmux(options, ["kill-session", "-t", `=${options.name}`]);
  return null;
}

/** Create the session, run the agent in it, and wait until its process ends or the unit stops. */
export async function superviseAgent(options: SuperviseOptions): Promise<SuperviseOutcome> {
  const me = selfOwner();
  const leftover = await clearLeftover(options);
  if (leftover !== null) return { kind: "refused", message: leftover };
  const channel = channelOf(options.name, me);
  const target = `=${options.name}:`;
  const envArgs = Object.entries(options.sessionEnv).flatMap(([key, value]) => ["-e", tmuxArg(`${key}=${value}`)]);
  // One tmux invocation, so the options and the hook are set before the server can see
  // the new process exit (commands of one client run back to back).
  const created = await tmux(options, [
    "new-session",
    "-d",
    "-s",
    options.name,
    ...envArgs,
    "--",
    ...options.argv.map(tmuxArg),
    ";",
    "set-option",
    "-w",
    "-t",
    target,
    "remain-on-exit",
    "on",
    ";",
    "set-option",
    "-t",
    target,
    TAG,
    ownerText(me),
    ";",
    "set-hook",
    "-t",
    target,
    "pane-died",
    `wait-for -S ${channel}`,
  ]);
  if (!created.ok)
    return { kind: "refused", message: `tmux could not create session "${options.name}": ${created.message}` };
  options.say(`mosaic agent run: session ${options.name} started`);

  let stopping = false;
  const stop = options.stopped.then(() => {
    stopping = true;
  });
  const recheckMs = options.recheckMs ?? 5_000;
  const startedAt = Date.now();
  for (;;) {
    if (stopping) {
      await killIfOurs(options, me);
      // Release our own waiting client, which would otherwise wait out its bound.
      await tmux(options, ["wait-for", "-S", channel]);
      return { kind: "stopped" };
    }
    // Look first, then wait: the hook was set before this look, so a death after it
    // signals the channel, and a death before it (even during the creation) is seen here.
    const state = await sessionState(options);
    if (state === null)
      return { kind: "gone", message: `session "${options.name}" is gone (killed, or its tmux server stopped)` };
    if (state.owner !== ownerText(me))
      return { kind: "gone", message: `session "${options.name}" was replaced by someone else` };
    // A pane can read dead a moment before tmux has its exit status: wait for the status
    // (a few seconds at most), so a clean exit is never reported as a failure.
    // (tmux 3.3 sometimes never records it: after 10 s the status is unknown, reported as 1.)
    const settled = state.status !== null || state.signal !== null || Date.now() - startedAt > 10_000;
    if (state.dead && settled) {
      if (state.signal !== null && state.signal > 0) return { kind: "killed", signal: state.signal };
      return { kind: "exited", status: state.status ?? 1 };
    }
    if (state.dead) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    // wait-for returns when the hook fires (or fired already: tmux remembers a signal
    // sent while no one waited); it is bounded so a session killed by someone else, or
    // a tmux server that went away, is noticed too.
    // tmux 3.3 misses the pane-died hook (or its signal) for ~3% of deaths, so the bound
    // is short: 1 s for the first 10 s (crash loops), then `recheckMs`.
    const bound = Date.now() - startedAt < 10_000 ? Math.min(1_000, recheckMs) : recheckMs;
    const woken = tmux(options, ["wait-for", channel], bound);
    await Promise.race([woken, stop]);
  }
}

/** Kill the session only while it is still the one this run created. */
async function killIfOurs(options: SuperviseOptions, me: RunOwner): Promise<void> {
  const state = await sessionState(options);
  if (state !== null && state.owner === ownerText(me)) {
    await tmux(options, ["kill-session", "-t", `=${options.name}`]);
  }
}
