import type { SshHost } from "../observe/index.js";
import type { FleetSpec } from "../spec/index.js";
import { runCommand } from "../system/index.js";
import type { HostsContext } from "./fleet-hosts.js";
import { log } from "../log.js";
import { controlDirectory, controlPathOption, persistFromEnv } from "./ssh-control.js";

// `fleet ps --watch` across hosts (docs/commands.md, Many hosts): one ssh connection per
// host for the whole watch, not one per pass — the same connection reuse as one-shot
// runs (src/cli/ssh-control.ts: ControlMaster=auto in the private, checked control
// directory). The first pass's ssh to a host becomes its master (or finds one a run
// left up); every later pass is a session on it. ControlPersist is at least one pass's
// gap. When the watch ends, its masters stay for the persist window like any run's; with
// MOSAIC_SSH_PERSIST=0 the watch closes them (`ssh -O exit`).

/** The multiplexing of one watch: the context every pass observes with, and how to end it. */
export interface SshMultiplex {
  ctx: HostsContext;
  close(): Promise<void>;
}

/** Seconds an idle master stays: beyond one pass's gap, at most ten minutes. */
export function persistSeconds(intervalMs: number, hostTimeoutMs: number): number {
  return Math.min(600, Math.max(10, Math.ceil((2 * intervalMs + hostTimeoutMs) / 1000)));
}

/** The ssh hosts that hold agents of this fleet (never this machine). */
function sshHosts(fleet: FleetSpec, hostname: string): SshHost[] {
  const named = new Set(fleet.agents.map((a) => a.host));
  return fleet.hosts.filter((h): h is SshHost => h.via === "ssh" && h.name !== hostname && named.has(h.name));
}

/** Start multiplexing for a watch over `fleet`; a fleet without ssh hosts gets its context back unchanged. */
export function multiplexSsh(fleet: FleetSpec, ctx: HostsContext, intervalMs: number): SshMultiplex {
  const hosts = sshHosts(fleet, ctx.hostname);
  const control = hosts.length > 0 ? controlDirectory(ctx.env) : null;
  // (No safe directory: every pass connects anew, as without --watch.)
  if (control === null) return { ctx, close: () => Promise.resolve() };
  if (!control.ok) {
    log("debug", { step: "ssh.control", why: control.why }, "ssh connection reuse off: connecting directly");
    return { ctx: { ...ctx, sshOptions: [] }, close: () => Promise.resolve() };
  }
  const controlPath = controlPathOption(control.dir);
  const persist = persistFromEnv(ctx.env);
  const sshOptions = [
    "ControlMaster=auto",
    controlPath,
    `ControlPersist=${Math.max(persist, persistSeconds(intervalMs, ctx.hostTimeoutMs ?? 5_000))}`,
  ];
  let closed = false;
  return {
    ctx: { ...ctx, sshOptions },
    async close() {
      if (closed || persist > 0) return;
      closed = true;
      const config = ctx.env["MOSAIC_SSH_CONFIG"];
      await Promise.all(
        hosts.map((host) =>
          runCommand(
            [
              "ssh",
              "-o",
              "BatchMode=yes",
              "-o",
              "LogLevel=QUIET",
              "-o",
              controlPath,
              ...(config ? ["-F", config] : []),
              "-O",
              "exit",
              "--",
              host.destination,
            ],
            { env: ctx.env, timeoutMs: 3_000 },
          ),
        ),
      );
    },
  };
}
