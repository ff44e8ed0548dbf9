// Restart counts (NRestarts, for CrashLoop) without slowing `fleet ps`: `systemctl show`
// costs ~0.75 ms per unit, so it is asked only for units whose run changed since the
// last look (src/observe/unit-restarts.ts). A steady fleet makes one systemctl call
// (list-units), whatever its size; a restart makes one `show` for that unit alone — and
// the count it reports is the manager's.

import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FleetStatus } from "../../src/diff/types.js";
import { linksStamp } from "../../src/observe/unit-restarts.js";
import { skipOutsideCi } from "../helpers/skip.js";
import { startUserManager, type UserManager } from "../helpers/systemd.js";
import { agentOf, cliEnv, localDefaults, mosaic, scratch, waitUntil, type Scratch } from "./fleet-support.js";

const NAMES = Array.from({ length: 20 }, (_, i) => `r${i}`);
const unitOf = (name: string) => `mosaic-agent@${name}.service`;
let m: UserManager | null = null;
let s: Scratch;
let calls = "";
let roster = "";
let env: NodeJS.ProcessEnv = {};

beforeAll(async () => {
  s = scratch("mf-restarts-");
  m = await startUserManager({});
  if (!m) return;
  await m.installUnit(
    "mosaic-agent@.service",
    "[Service]\nType=exec\nExecStart=/bin/sleep 100000\nRestart=on-failure\nRestartSec=100ms\n",
  );
  expect((await m.systemctl("start", ...NAMES.map(unitOf))).ok).toBe(true);
  // A systemctl that logs each call, then runs the real one.
  const bin = join(s.dir, "bin");
  mkdirSync(bin);
  calls = join(s.dir, "calls");
  writeFileSync(join(bin, "systemctl"), `#!/bin/sh\necho "$*" >> '${calls}'\nexec /usr/bin/systemctl "$@"\n`);
  chmodSync(join(bin, "systemctl"), 0o755);
  roster = s.roster("r.yaml", {
    version: 1,
    defaults: localDefaults("no-such-socket", { heartbeat: false }),
    agents: NAMES.map((name) => ({ name, runtime: "shell" })),
  });
  env = cliEnv({ ...m.env, PATH: `${bin}:${process.env["PATH"]}`, XDG_CACHE_HOME: join(s.dir, "cache") });
}, 60_000);

afterAll(async () => {
  await m?.stop();
  s?.cleanup();
});

/** The links-directory stamp the restart cache holds (null: none trusted). */
function cachedLinksStamp(): string | null {
  const dir = join(s.dir, "cache", "mosaic");
  const file = readdirSync(dir).find((f) => f.startsWith("restarts-"));
  if (file === undefined) return null;
  return (JSON.parse(readFileSync(join(dir, file), "utf8")) as { links?: string | null }).links ?? null;
}

async function ps(): Promise<{ status: FleetStatus; systemctl: string[] }> {
  writeFileSync(calls, "");
  const run = await mosaic(["fleet", "ps", "-f", roster, "-o", "json"], env);
  expect(run.code, run.stderr).toBe(0);
  return {
    status: JSON.parse(run.stdout) as FleetStatus,
    systemctl: readFileSync(calls, "utf8").split("\n").filter(Boolean),
  };
}

describe("restart counts in fleet ps", () => {
  it("first look: one show for all loaded units; then list-units alone while nothing changes", async (ctx) => {
    if (!m) return skipOutsideCi(ctx, "no systemd user manager here");
    const first = await ps();
    const shows = first.systemctl.filter((c) => c.includes("NRestarts"));
    expect(shows).toHaveLength(1);
    for (const name of NAMES) expect(shows[0]).toContain(unitOf(name));
    for (const name of NAMES) expect(agentOf(first.status, name).unit.n_restarts, name).toBe(0);
    for (let i = 0; i < 2; i++) {
      const steady = await ps();
      expect(steady.systemctl).toHaveLength(1);
      expect(steady.systemctl[0]).toMatch(/^--user list-units /);
      for (const name of NAMES) expect(agentOf(steady.status, name).unit.n_restarts, name).toBe(0);
    }
  });

  it("once the invocation links have settled, a run records their directory's stamp: later runs take the invocation IDs from the cache", async (ctx) => {
    if (!m) return skipOutsideCi(ctx, "no systemd user manager here");
    const runtimeDir = m.env["XDG_RUNTIME_DIR"];
    // The stamp is trusted only once the directory's last change is 2 s old.
    expect(await waitUntil(() => linksStamp(runtimeDir) !== null, 10_000)).toBe(true);
    const stamp = linksStamp(runtimeDir);
    const recorded = await ps();
    expect(recorded.systemctl).toHaveLength(1);
    expect(cachedLinksStamp()).toBe(stamp);
    // The next run trusts it (same stamp): this is the run the restart below must not fool.
    const cached = await ps();
    expect(cached.systemctl).toHaveLength(1);
    for (const name of NAMES) expect(agentOf(cached.status, name).unit.n_restarts, name).toBe(0);
    expect(linksStamp(runtimeDir)).toBe(stamp);
    expect(cachedLinksStamp()).toBe(stamp);
  });

  it("a restarted unit: one show for that unit alone, and its NRestarts as systemd counts it", async (ctx) => {
    if (!m) return skipOutsideCi(ctx, "no systemd user manager here");
    const manager = m;
    const { MainPID } = await manager.show(unitOf("r7"), "MainPID");
    process.kill(Number(MainPID), "SIGKILL");
    expect(
      await waitUntil(async () => {
        const shown = await manager.show(unitOf("r7"), "NRestarts", "SubState");
        return shown.NRestarts === "1" && shown.SubState === "running";
      }, 10_000),
    ).toBe(true);
    const after = await ps();
    const shows = after.systemctl.filter((c) => c.includes("NRestarts"));
    expect(shows).toHaveLength(1);
    expect(shows[0]).toMatch(/ -- mosaic-agent@r7\.service$/);
    // ExecMain* now describe the new main process, which has not exited.
    expect(agentOf(after.status, "r7").unit).toMatchObject({ n_restarts: 1, last_exit: { kind: "none" } });
    expect(agentOf(after.status, "r3").unit.n_restarts).toBe(0);
    const steady = await ps();
    expect(steady.systemctl).toHaveLength(1);
    expect(agentOf(steady.status, "r7").unit.n_restarts).toBe(1);
  });
});
