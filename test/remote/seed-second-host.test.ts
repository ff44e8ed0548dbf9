import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FleetStatus } from "../../src/diff/types.js";
import { skipIfOutsideCi } from "../helpers/skip.js";
import { startSshLab, sshLabMissing, type SshLab } from "../helpers/sshd.js";
import { BIN, cliEnv, mosaic, scratch, type Scratch } from "../integration/fleet-support.js";
import {
  createTenant,
  Janitor,
  randomTenantName,
  stopTenantProcesses,
  tenantSession,
  tenantsUnavailableReason,
  tenantTmux,
  type Tenant,
} from "../integration/tenant-support.js";

// The seed's own second host (docs/roster.md, Hosts): on "dragon-lin" the agent belongs
// to another Linux user, lives on that user's *default* tmux socket, and its session
// `coder0-0` is a member of the session group `coder0` (so `list-panes -a` lists its pane
// twice). Observed from here over ssh (the remote mosaic runs as root and observes the
// tenant through its own instances): the agent is seen once, alive, owned by the tenant;
// the group's other member is a grouped view, not an unmanaged agent.

const missing = sshLabMissing() ?? tenantsUnavailableReason();

describe.skipIf(skipIfOutsideCi(missing !== null, missing ?? ""))("the seed's second host over ssh", () => {
  let lab: SshLab;
  let janitor: Janitor;
  let tenant: Tenant;
  let s: Scratch;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    lab = startSshLab();
    janitor = new Janitor();
    s = scratch("mf-seed2-");
    tenant = await createTenant(janitor, randomTenantName("ssh"));
    await tenantSession(janitor, tenant, "default", "coder0", ["sh", "-c", "exec sleep 600"]);
    const grouped = await tenantTmux(tenant, "default", "new-session", "-d", "-s", "coder0-0", "-t", "coder0");
    if (grouped.code !== 0) throw new Error(`grouped session: ${grouped.stderr}`);
    // The host's own root login: the tenant's tmux is found at /tmp/tmux-UID (default socket).
    const unused = join(lab.dir, "unused-tmux");
    mkdirSync(unused, { mode: 0o700 });
    await lab.addHost("dragon-lin", "127.0.0.3", { TMUX_TMPDIR: unused });
    env = cliEnv({
      MOSAIC_HOME: s.home,
      XDG_RUNTIME_DIR: join(s.dir, "xdg"),
      MOSAIC_SSH_CONFIG: lab.sshConfig,
      MOSAIC_SSH_PERSIST: "0",
    });
    mkdirSync(join(s.dir, "xdg"), { mode: 0o700 });
  }, 60_000);

  afterAll(async () => {
    if (tenant) await stopTenantProcesses(tenant, ["default"]);
    await janitor?.run();
    await lab?.cleanup();
    s?.cleanup();
  });

  it("the agent is observed once, alive, as its tenant's; the group's other member is a grouped view", async () => {
    const file = s.roster("seed.yaml", {
      version: 1,
      runtimes: { sleeper: { match: ["sleep"] } },
      hosts: { "dragon-lin": { ssh: "dragon-lin", mosaic: `${process.execPath} ${BIN}` } },
      agents: [
        {
          name: "coder0-0",
          runtime: "sleeper",
          host: "dragon-lin",
          tenant: tenant.name,
          socket: "default",
          heartbeat: false,
          boot: "any",
        },
      ],
    });
    const run = await mosaic(["fleet", "ps", "-f", file, "-o", "json"], env, 30_000);
    expect(run.code, run.stderr).toBe(0);
    const status = JSON.parse(run.stdout) as FleetStatus;
    expect(status.agents).toHaveLength(1);
    const agent = status.agents[0];
    expect(agent?.pane.state).toBe("alive");
    expect(agent?.tenant_id).toBe(tenant.name);
    expect(agent?.host).toBe("dragon-lin");
    const drift = agent?.conditions.find((c) => c.type === "Drift");
    expect(`${drift?.status}/${drift?.reason}`).toBe("False/RuntimeMatches");
    expect(status.unmanaged).toEqual([]);
    expect(status.grouped).toEqual([
      { session: "coder0", socket: "default", tenant_id: tenant.name, host: "dragon-lin", agent: "coder0-0" },
    ]);
    // Observed by root there, through the tenant's own instances.
    expect(status.tenants).toContainEqual(
      expect.objectContaining({ tenant_id: tenant.name, host: "dragon-lin", observed: true, delegated: true }),
    );
    const wide = await mosaic(["fleet", "ps", "-f", file, "-o", "wide", "--no-color"], env, 30_000);
    expect(wide.stdout).toMatch(/grouped: session "coder0" on socket default .* grouped view of agent coder0-0/);
  });
});
