// Privilege (docs/threat-model.md): a tenant owns its tmux server, and tmux runs a command
// client's file I/O in the *client*. A tenant that sets hooks on its own server
// (save-buffer, load-buffer, run-shell, pipe-pane …) must not make root's `fleet ps`,
// `fleet diff` or `fleet report` write or read any file with root's rights: every tmux
// client and `systemctl --user` aimed at a tenant runs as that tenant (src/system/run.ts,
// src/system/owner.ts). Real users, a real tmux server per tenant, the real CLI as root.

import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HOST,
  Janitor,
  agentOf,
  createTenant,
  crashSigns,
  mosaicAs,
  parseStatus,
  randomTenantName,
  startTenantManager,
  stopTenantManager,
  stopTenantProcesses,
  summary,
  tenantSession,
  tenantTmux,
  tenantsUnavailableReason,
  waitFor,
  type Tenant,
} from "./tenant-support.js";

const unavailable = tenantsUnavailableReason();
const REQUIRE = process.env["MOSAIC_REQUIRE_SYSTEMD"] === "1";

describe.runIf(unavailable !== null && REQUIRE)("tenant hooks (required)", () => {
  it("can create tenant users here", () => {
    throw new Error(`MOSAIC_REQUIRE_SYSTEMD=1 but tenant tests cannot run: ${unavailable}`);
  });
});
if (unavailable !== null && !REQUIRE) {
  process.stderr.write(
    `\n!! SKIPPING tenant hook tests: ${unavailable}. Set MOSAIC_REQUIRE_SYSTEMD=1 to fail instead.\n\n`,
  );
}

const hex = randomBytes(3).toString("hex");
const SOCKET = `mft-hooks-${hex}`;

/** Every file under `dir` (recursively) owned by `uid`. */
function filesOwnedBy(dir: string, uid: number): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(d, name);
      try {
        const st = statSync(path);
        if (st.uid === uid) found.push(path);
        if (st.isDirectory()) walk(path);
      } catch {
        // vanished
      }
    }
  };
  walk(dir);
  return found;
}

describe.skipIf(unavailable !== null)("a tenant's tmux hooks never run with root's rights", () => {
  let janitor: Janitor;
  let T: Tenant;
  let rootHome = "";
  let roster = "";
  /** Root-only: the tenant may neither read nor write here. */
  let vault = "";
  let secret = "";
  const drop = () => join(vault, "dropped");
  /** World-writable scratch where a hook may leave evidence of whom it ran as. */
  let scratch = "";

  beforeAll(async () => {
    janitor = new Janitor();
    rootHome = join(janitor.dir, "root-mosaic");
    mkdirSync(join(rootHome, "fleet", "run"), { recursive: true, mode: 0o700 });
    vault = join(janitor.dir, "vault");
    mkdirSync(vault, { mode: 0o700 });
    secret = `root-secret-${randomBytes(8).toString("hex")}`;
    writeFileSync(join(vault, "secret.txt"), `${secret}\n`, { mode: 0o600 });
    scratch = join(janitor.dir, "scratch");
    mkdirSync(scratch);
    chmodSync(scratch, 0o1777);

    T = await createTenant(janitor, randomTenantName("hook-"));
    await tenantSession(janitor, T, SOCKET, "agent-a", ["sleep", "86400"]);
    await startTenantManager(janitor, T);

    // Every command root's client might send, hooked with every file-touching command.
    const payload = [
      `set-buffer -b planted planted-by-tenant`,
      `save-buffer -b planted ${drop()}-save`,
      `load-buffer -b stolen ${join(vault, "secret.txt")}`,
      `run-shell "id -u > ${scratch}/run-shell-uid"`,
      `pipe-pane -t agent-a "cat > ${drop()}-pipe"`,
    ].join(" ; ");
    const hooks = [
      "after-list-panes",
      "after-list-sessions",
      "after-list-windows",
      "after-display-message",
      "after-capture-pane",
      "after-show-options",
      "client-attached",
      "session-created",
    ];
    for (const hook of hooks) {
      const set = await tenantTmux(T, SOCKET, "set-hook", "-g", hook, payload);
      expect(set.code, `set-hook ${hook}: ${set.stderr}`).toBe(0);
    }

    roster = join(janitor.dir, "hooks.yaml");
    writeFileSync(
      roster,
      stringify({
        version: 1,
        fleet: `hooks-${hex}`,
        defaults: { host: HOST, socket: SOCKET, tenant: T.name, heartbeat: false },
        runtimes: { sleeper: { match: ["sleep"] } },
        agents: [{ name: "agent-a", runtime: "sleeper" }],
      }),
      { mode: 0o644 },
    );
  }, 120_000);

  afterAll(async () => {
    if (T?.manager) await stopTenantManager(T);
    if (T) await stopTenantProcesses(T, [SOCKET]);
    await janitor?.run();
  }, 120_000);

  it("fleet ps, diff and report as root: nothing written or read with root's rights, same answer as the tenant's own", async () => {
    const env: Record<string, string> = T.manager ? { XDG_RUNTIME_DIR: T.runtimeDir } : {};
    const runs = [
      await mosaicAs(null, ["fleet", "ps", "-f", roster, "-o", "json"], { rootHome }),
      await mosaicAs(null, ["fleet", "diff", "-f", roster, "-o", "json"], { rootHome }),
      await mosaicAs(null, ["fleet", "report", "-f", roster, "--format", "json"], { rootHome }),
      await mosaicAs(null, ["fleet", "ps", "-f", roster, "--fix-plan"], { rootHome }),
    ];
    for (const run of runs) expect(crashSigns(run), run.stderr).toEqual([]);
    const asRoot = parseStatus(runs[0]!, "fleet ps as root");
    const own = parseStatus(await mosaicAs(T, ["fleet", "ps", "-f", roster, "-o", "json"], { rootHome, env }), "as T");

    // The hooks did fire (so the test can fail): run-shell left its mark, as the tenant.
    expect(await waitFor(() => existsSync(join(scratch, "run-shell-uid")), 5_000)).toBe(true);
    const marks = filesOwnedBy(scratch, 0);
    expect(marks, "a hook ran something as root").toEqual([]);

    // Nothing appeared in root's vault; the tenant's buffer holds no root-only bytes.
    expect(readdirSync(vault).sort()).toEqual(["secret.txt"]);
    const stolen = await tenantTmux(T, SOCKET, "show-buffer", "-b", "stolen");
    expect(stolen.stdout).not.toContain(secret);
    // No root-owned file in anything the tenant owns.
    expect(filesOwnedBy(T.home, 0)).toEqual([]);

    // Root's observation is exactly the tenant's own.
    const mine = agentOf(own, "agent-a");
    const roots = agentOf(asRoot, "agent-a");
    expect(roots.pane.state).toBe("alive");
    expect(summary(roots)).toEqual(summary(mine));
    expect(roots.pane.pid).toBe(mine.pane.pid);
  }, 60_000);
});
