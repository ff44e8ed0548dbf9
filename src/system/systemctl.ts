import type { Owner } from "./owner.js";
import { runCommand, type CommandResult } from "./run.js";

// Every `systemctl --user` mosaic runs goes through here: one way of reaching a user
// manager (its environment: XDG_RUNTIME_DIR), bounded, and run as the manager's owner
// when that is not us (owner.ts) — never as root on a tenant's behalf.

/** A user manager: how to reach it, and whose it is. */
export interface UserManager {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** The manager's owner when it is not us: systemctl runs as it. */
  owner?: Owner | null;
  /** Another systemctl (a test's wrapper); default `systemctl` from PATH. */
  bin?: string;
}

/** `systemctl --user ARGS…` against `manager`; never throws. */
export function runSystemctl(
  manager: UserManager,
  args: readonly string[],
  timeoutMs?: number,
): Promise<CommandResult> {
  return runCommand([manager.bin ?? "systemctl", "--user", ...args], {
    env: manager.env,
    timeoutMs: timeoutMs ?? manager.timeoutMs,
    as: manager.owner ?? null,
  });
}
