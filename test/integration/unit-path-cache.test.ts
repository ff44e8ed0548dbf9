// The manager's UnitPath is asked once per manager instance and remembered
// (src/observe/unit-path-cache.ts), so `fleet ps` makes one systemctl call, not two.
// Against a private user manager: the remembered path gives the same states as asking;
// a new manager (a new private socket) is asked again; a cache file that is not ours and
// private, or that holds something other than absolute paths, is never used; and
// MOSAIC_NO_CACHE turns it off. The systemctl seen by the code under test is a wrapper
// that logs its argv and runs the real one, so the calls are counted, not guessed.

import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUserManager, type UserManager } from "../helpers/systemd.js";
import { skipOutsideCi } from "../helpers/skip.js";
import { observeSystemd } from "../../src/observe/systemd.js";
import { managerInstanceKey, readUnitPath, storeUnitPath } from "../../src/observe/unit-path-cache.js";
import { localDefaults, psJson, scratch } from "./fleet-support.js";

const UNITS = ["mf-cache@on.service", "mf-cache@off.service", "mf-none.service"];
const UNIT =
  "[Unit]\nDescription=cache test\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n\n[Install]\nWantedBy=default.target\n";
const uid = process.getuid?.() ?? 0;

let m: UserManager | null = null;
let dir = "";
let wrapper = "";
let callLog = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mf-unitpath-"));
  callLog = join(dir, "calls.log");
  wrapper = join(dir, "systemctl");
  writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${callLog}'\nexec systemctl "$@"\n`, { mode: 0o755 });
  m = await startUserManager();
  if (!m) return;
  await m.installUnit("mf-cache@.service", UNIT);
  const enabled = await m.systemctl("enable", "mf-cache@on.service");
  expect(enabled.ok, enabled.message).toBe(true);
  const started = await m.systemctl("start", "mf-cache@on.service", "mf-cache@off.service");
  expect(started.ok, started.message).toBe(true);
}, 60_000);

afterAll(async () => {
  await m?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function calls(): string[] {
  return existsSync(callLog) ? readFileSync(callLog, "utf8").split("\n").filter(Boolean) : [];
}

/** The calls about unit files and states: the restart facts' own `show` is cached apart (unit-restarts-cache.test.ts). */
function unitCalls(all: string[]): string[] {
  return all.filter((c) => !c.includes("NRestarts"));
}

function freshCache(): string {
  const cache = mkdtempSync(join(dir, "cache-"));
  chmodSync(cache, 0o700);
  return cache;
}

async function observe(manager: UserManager, cache: string | null) {
  writeFileSync(callLog, "");
  const result = await observeSystemd(UNITS, {
    env: manager.childEnv(),
    uid,
    timeoutMs: 10_000,
    systemctlBin: wrapper,
    cache: cache === null ? null : { dir: cache, uid },
  });
  if (!result.ok) throw new Error(`${result.reason}: ${result.message}`);
  return { units: [...result.units.values()], calls: unitCalls(calls()) };
}

describe("UnitPath remembered per manager instance", () => {
  it("the first run asks (two calls) and remembers; the next runs make one call and see the same states", async (ctx) => {
    if (!m) return skipOutsideCi(ctx, "no systemd user manager available");
    const cache = freshCache();
    const asked = await observe(m, null);
    expect(asked.calls.map((c) => c.split(" ")[1])).toEqual(expect.arrayContaining(["list-units", "show"]));
    const first = await observe(m, cache);
    expect(first.calls).toHaveLength(2);
    expect(readdirSync(cache).filter((f) => f.startsWith("unitpath-"))).toHaveLength(1);
    const second = await observe(m, cache);
    expect(second.calls).toHaveLength(1);
    expect(second.calls[0]).toMatch(/^--user list-units /);
    expect(second.units).toEqual(asked.units);
    expect(second.units.find((u) => u.name === "mf-cache@on.service")).toMatchObject({
      enabled: "enabled",
      active: "active",
    });
    expect(second.units.find((u) => u.name === "mf-cache@off.service")).toMatchObject({
      enabled: "disabled",
      active: "active",
    });
    expect(second.units.find((u) => u.name === "mf-none.service")).toMatchObject({ enabled: "", load: "not-found" });
  });

  it("enabling after the path was remembered is seen at once (the path, not the states, is remembered)", async (ctx) => {
    if (!m) return skipOutsideCi(ctx, "no systemd user manager available");
    const cache = freshCache();
    await observe(m, cache);
    expect((await m.systemctl("enable", "mf-cache@off.service")).ok).toBe(true);
    try {
      const after = await observe(m, cache);
      expect(after.calls).toHaveLength(1);
      expect(after.units.find((u) => u.name === "mf-cache@off.service")?.enabled).toBe("enabled");
    } finally {
      await m.systemctl("disable", "mf-cache@off.service");
    }
  });

  it("a cache file that is not private, or not ours, or not a list of absolute paths is not used", async (ctx) => {
    if (!m) return skipOutsideCi(ctx, "no systemd user manager available");
    const cache = freshCache();
    await observe(m, cache);
    const file = join(cache, readdirSync(cache).find((f) => f.startsWith("unitpath-")) ?? "missing");
    const good = readFileSync(file, "utf8");
    expect((await observe(m, cache)).calls, "the untouched cache file is used").toHaveLength(1);

    chmodSync(file, 0o644);
    expect((await observe(m, cache)).calls, "a world-readable cache file was trusted").toHaveLength(2);

    if (uid === 0) {
      writeFileSync(file, good, { mode: 0o600 });
      chmodSync(file, 0o600);
      chownSync(file, 65534, 65534);
      expect((await observe(m, cache)).calls, "another user's cache file was trusted").toHaveLength(2);
    }

    const entry = JSON.parse(good) as { key: string; paths: string[] };
    rmSync(file, { force: true });
    writeFileSync(file, JSON.stringify({ key: entry.key, paths: ["relative/dir"] }), { mode: 0o600 });
    expect((await observe(m, cache)).calls, "a relative path was trusted").toHaveLength(2);
  });

  it("fleet ps: one systemctl call from the second run on; with MOSAIC_NO_CACHE, two every time", async (ctx) => {
    if (!m) return skipOutsideCi(ctx, "no systemd user manager available");
    const s = scratch("mf-unitpath-cli-");
    try {
      const roster = s.roster("fleet.yaml", {
        version: 1,
        defaults: localDefaults("mf-unitpath-nosuchsocket", { heartbeat: false }),
        runtimes: { sleeper: { match: ["sleep"] } },
        agents: [
          { name: "on", runtime: "sleeper", unit: "mf-cache@on.service" },
          { name: "off", runtime: "sleeper", unit: "mf-cache@off.service" },
        ],
      });
      // The wrapper is found as `systemctl` first on PATH (it runs the real one by its full path).
      const bin = join(s.dir, "bin");
      mkdirSync(bin);
      const real = PATH_SYSTEMCTL();
      writeFileSync(join(bin, "systemctl"), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${callLog}'\nexec '${real}' "$@"\n`, {
        mode: 0o755,
      });
      const env = (extra: Record<string, string> = {}) =>
        m!.childEnv({
          PATH: `${bin}:${process.env["PATH"] ?? "/usr/bin:/bin"}`,
          MOSAIC_HOME: s.home,
          XDG_CACHE_HOME: join(s.dir, "cache"),
          ...extra,
        });
      const run = async (extra: Record<string, string> = {}) => {
        writeFileSync(callLog, "");
        const { status } = await psJson(roster, env(extra));
        return { calls: unitCalls(calls()), enabled: status.agents.map((a) => `${a.name}=${a.unit.enabled}`) };
      };
      for (const round of [1, 2]) {
        const off = await run({ MOSAIC_NO_CACHE: "1" });
        expect(
          off.calls.map((c) => c.split(" ")[1]),
          `MOSAIC_NO_CACHE round ${round}`,
        ).toEqual(expect.arrayContaining(["list-units", "show"]));
        expect(off.calls).toHaveLength(2);
        expect(off.enabled).toEqual(["on=enabled", "off=disabled"]);
      }
      expect((await run()).calls).toHaveLength(2);
      const cached = await run();
      expect(cached.calls).toHaveLength(1);
      // A steady fleet: the restart facts are remembered too, so this is the only call at all.
      writeFileSync(callLog, "");
      await psJson(roster, env());
      expect(calls()).toHaveLength(1);
      expect(cached.enabled).toEqual(["on=enabled", "off=disabled"]);
    } finally {
      s.cleanup();
    }
  }, 30_000);
});

function PATH_SYSTEMCTL(): string {
  for (const d of (process.env["PATH"] ?? "/usr/bin:/bin").split(":")) {
    if (d !== "" && existsSync(join(d, "systemctl"))) return join(d, "systemctl");
  }
  throw new Error("systemctl is not on PATH");
}

describe("the manager instance key", () => {
  const servers: Server[] = [];
  afterAll(() => {
    for (const server of servers) server.close();
  });

  async function listen(path: string): Promise<Server> {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => resolve());
    });
    return server;
  }

  it("changes when the manager's private socket is made anew (a new manager), and is null without one", async () => {
    const runtime = mkdtempSync(join(dir, "run-"));
    const env = { XDG_RUNTIME_DIR: runtime };
    expect(managerInstanceKey(env)).toBeNull();
    mkdirSync(join(runtime, "systemd"));
    const socket = join(runtime, "systemd", "private");
    writeFileSync(socket, "not a socket");
    expect(managerInstanceKey(env), "a regular file is not a manager").toBeNull();
    rmSync(socket);

    const first = await listen(socket);
    const key1 = managerInstanceKey(env);
    expect(key1).not.toBeNull();
    expect(managerInstanceKey(env)).toBe(key1);
    expect(managerInstanceKey({ ...env, DBUS_SESSION_BUS_ADDRESS: "unix:path=/elsewhere" })).not.toBe(key1);

    const cache = freshCache();
    storeUnitPath(cache, key1 as string, ["/old/path"]);
    expect(readUnitPath(cache, key1 as string, uid)).toEqual(["/old/path"]);

    await new Promise<void>((resolve) => first.close(() => resolve()));
    rmSync(socket, { force: true });
    await listen(socket);
    const key2 = managerInstanceKey(env);
    expect(key2).not.toBeNull();
    expect(key2).not.toBe(key1);
    expect(readUnitPath(cache, key2 as string, uid), "the old manager's path was used for the new one").toBeNull();
  });
});
