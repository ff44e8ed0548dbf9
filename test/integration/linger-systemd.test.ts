// BootDisabled/LingerDisabled against a real systemd user manager (docs/conditions.md):
// the unit is enabled and running, but the tenant's linger is off, so its user manager
// — and the unit — would start only at a login, not at boot. `fleet ps` says so and the
// fix plan adds `loginctl enable-linger USER`; with linger on it is False/UnitEnabled.
//
// Linger is read from logind's directory, one file per lingering user. No real user's
// linger state is changed here: the CLI is pointed (MOSAIC_LINGER_DIR) at a private
// directory standing in for /var/lib/systemd/linger, and "running the step" is doing
// what logind does for it — creating USER there.

import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { observeLinger } from "../../src/observe/linger.js";
import type { FleetStatus } from "../../src/diff/types.js";
import { startUserManager, type UserManager } from "../helpers/systemd.js";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import { skipOutsideCi } from "../helpers/skip.js";
import {
  BIN,
  USER,
  agentOf,
  cliEnv,
  conditionOf,
  localDefaults,
  mosaic,
  scratch,
  waitUntil,
  type Scratch,
} from "./fleet-support.js";

const SYSTEMD_USER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

let tmux: TmuxServer | undefined;
let m: UserManager | null = null;
let s: Scratch;
let roster = "";
let lingerDir = "";

const need = (ctx: { skip: (note?: string) => never }): UserManager => {
  if (!m || !tmux) return skipOutsideCi(ctx, "no systemd user manager available (see the warning above)");
  return m;
};

const env = () =>
  cliEnv({
    ...(m?.env ?? {}),
    TMUX_TMPDIR: tmux?.tmpdir,
    MOSAIC_HOME: s.home,
    HOME: s.dir,
    MOSAIC_LINGER_DIR: lingerDir,
  });

async function ps(extra: string[] = []): Promise<FleetStatus> {
  const run = await mosaic(["fleet", "ps", "-o", "json", "-f", roster, ...extra], env());
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as FleetStatus & { fixPlan?: FleetStatus["fixPlan"] };
}

beforeAll(async () => {
  s = scratch("mf-linger-");
  lingerDir = join(s.dir, "linger");
  mkdirSync(lingerDir, { mode: 0o755 });
  tmux = await startTmuxServer("linger", { start: false });
  const managerEnv: Record<string, string> = { TMUX_TMPDIR: tmux.tmpdir, MOSAIC_HOME: s.home, HOME: s.dir };
  const nodeDir = dirname(process.execPath);
  if (!SYSTEMD_USER_PATH.split(delimiter).includes(nodeDir)) managerEnv["PATH"] = `${nodeDir}:${SYSTEMD_USER_PATH}`;
  m = await startUserManager({ env: managerEnv });
  if (!m) return;
  await m.installContribUnits();
  // The supervised agent unit runs `$MOSAIC_BIN agent run lingerer -- …`.
  await m.writeFleetEnv({ MOSAIC_FLEET_SOCKET: tmux.socket, TMUX_TMPDIR: tmux.tmpdir, MOSAIC_BIN: BIN });
  await m.writeAgentEnv("lingerer", { MOSAIC_AGENT_COMMAND: `${BIN} agent stub` });
  const started = await m.systemctl("enable", "--now", "mosaic-fleet-holder.service", "mosaic-agent@lingerer.service");
  expect(started.ok, started.message).toBe(true);
  expect(await waitUntil(() => existsSync(join(s.runDir, "lingerer.hb")), 15_000)).toBe(true);
  roster = s.roster("roster.yaml", {
    version: 1,
    fleet: "linger",
    defaults: localDefaults(tmux.socket),
    agents: [{ name: "lingerer", runtime: "stub" }],
  });
}, 60_000);

afterAll(async () => {
  await m?.stop();
  await tmux?.kill();
  s?.cleanup();
});

describe("linger", () => {
  it("off: BootDisabled True LingerDisabled, and the plan's step is loginctl enable-linger USER", async (ctx) => {
    const manager = need(ctx);
    expect(await manager.show("mosaic-agent@lingerer.service", "UnitFileState")).toEqual({ UnitFileState: "enabled" });
    const status = await ps(["--fix-plan"]);
    const agent = agentOf(status, "lingerer");
    expect(agent.unit).toMatchObject({ active: "active", enabled: "enabled" });
    expect(conditionOf(agent, "BootDisabled")).toMatchObject({ status: "True", reason: "LingerDisabled" });
    expect(conditionOf(agent, "BootDisabled").message).toMatch(new RegExp(`linger is off for ${USER}`));
    expect(status.fixPlan).toContainEqual(
      expect.objectContaining({
        condition: "BootDisabled",
        argv: ["loginctl", "enable-linger", USER],
        disruptive: false,
      }),
    );
    const table = await mosaic(["fleet", "ps", "-f", roster], env());
    expect(table.stdout).toMatch(/lingerer .*BootDisabled/);
  });

  it("on (what `loginctl enable-linger` leaves behind): BootDisabled False UnitEnabled, no step", async (ctx) => {
    need(ctx);
    writeFileSync(join(lingerDir, USER), "");
    try {
      const status = await ps(["--fix-plan"]);
      expect(conditionOf(agentOf(status, "lingerer"), "BootDisabled")).toMatchObject({
        status: "False",
        reason: "UnitEnabled",
      });
      expect(status.fixPlan).toEqual([]);
    } finally {
      rmSync(join(lingerDir, USER), { force: true });
    }
  });

  it("is judged only for logind's manager (/run/user/UID) where logind keeps linger, or in MOSAIC_LINGER_DIR", () => {
    const uid = 4_000_000_000; // no logind record /run/systemd/users/UID can exist
    // A hand-started manager (private XDG_RUNTIME_DIR) is not started by logind: no verdict.
    expect(observeLinger("someone", uid, {}, join(s.dir, "xdg"))).toBeNull();
    expect(observeLinger("someone", uid, { MOSAIC_LINGER_DIR: join(s.dir, "none") }, join(s.dir, "xdg"))).toBe(false);
    expect(observeLinger("someone", uid, { MOSAIC_LINGER_DIR: lingerDir })).toBe(false);
    writeFileSync(join(lingerDir, "someone"), "");
    expect(observeLinger("someone", uid, { MOSAIC_LINGER_DIR: lingerDir })).toBe(true);
    expect(observeLinger("../someone", uid, { MOSAIC_LINGER_DIR: lingerDir })).toBeNull();
    rmSync(join(lingerDir, "someone"));
  });
});
