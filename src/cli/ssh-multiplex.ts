import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SshHost } from "../observe/index.js";
import type { FleetSpec } from "../spec/index.js";
import { runCommand } from "../system/index.js";
import type { HostsContext } from "./fleet-hosts.js";

// `fleet ps --watch` across hosts (docs/commands.md, Many hosts): one ssh connection per
// host for the whole watch, not one per pass. The first pass's ssh to a host becomes its
// master (ControlMaster=auto), in a directory of this run's own (0700, ControlPath
// DIR/%C); every later pass is a session on that connection. ControlPersist bounds how
// long an idle master outlives us if we are killed outright; a watch that ends normally
// closes every master (`ssh -O exit`) and removes the directory.

/** The multiplexing of one watch: the context every pass observes with, and how to end it. */
export interface SshMultiplex {
  ctx: HostsContext;
  close(): Promise<void>;
}

/** Seconds an idle master stays: beyond one pass's gap, at most ten minutes. */
export function persistSeconds(intervalMs: number, hostTimeoutMs: number): number {
  return Math.min(600, Math.max(10, Math.ceil((2 * intervalMs + hostTimeoutMs) / 1000)));
}

/**
 * A unix socket's path holds at most 107 bytes, and ssh first binds DIR/%C (40 hex) plus a
 * 17-byte temporary suffix: the first of $TMPDIR, $XDG_RUNTIME_DIR, /tmp short enough.
 */
function controlParent(env: NodeJS.ProcessEnv): string | null {
  const fits = (dir: string | undefined): dir is string => {
    if (dir === undefined || dir === "" || Buffer.byteLength(dir) + "/mosaic-ssh-XXXXXX/".length + 40 + 17 > 104)
      return false;
    try {
      return statSync(dir).isDirectory();
    } catch {
      return false;
    }
  };
  return [tmpdir(), env["XDG_RUNTIME_DIR"], "/tmp"].find(fits) ?? null;
}

/** The ssh hosts that hold agents of this fleet (never this machine). */
function sshHosts(fleet: FleetSpec, hostname: string): SshHost[] {
  const named = new Set(fleet.agents.map((a) => a.host));
  return fleet.hosts.filter((h): h is SshHost => h.via === "ssh" && h.name !== hostname && named.has(h.name));
}

/** Start multiplexing for a watch over `fleet`; a fleet without ssh hosts gets its context back unchanged. */
export function multiplexSsh(fleet: FleetSpec, ctx: HostsContext, intervalMs: number): SshMultiplex {
  const hosts = sshHosts(fleet, ctx.hostname);
  const parent = controlParent(ctx.env);
  // (No directory short enough: every pass connects anew, as without --watch.)
  if (hosts.length === 0 || parent === null) return { ctx, close: () => Promise.resolve() };
  const dir = mkdtempSync(join(parent, "mosaic-ssh-"));
  // ssh expands %-tokens in ControlPath: a literal % in the directory is written %%.
  const controlPath = `ControlPath=${join(dir, "%C").replace(/%(?!C$)/g, "%%")}`;
  const sshOptions = [
    "ControlMaster=auto",
    controlPath,
    `ControlPersist=${persistSeconds(intervalMs, ctx.hostTimeoutMs ?? 5_000)}`,
  ];
  let closed = false;
  return {
    ctx: { ...ctx, sshOptions },
    async close() {
      if (closed) return;
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
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
