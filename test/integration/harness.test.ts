// Proves the real-fleet test harness: private tmux servers, a private systemd user
// manager, and the contrib unit files running the legacy dogfood agent — the same
// state operators meet in production (units active (exited), UnitFileState disabled).

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { pidAlive, startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import { startUserManager, type StopReport, type UserManager } from "../helpers/systemd.js";
import { skipOutsideCi } from "../helpers/skip.js";

const DOGFOOD = fileURLToPath(new URL("../fixtures/dogfood-agent.py", import.meta.url));

interface Proc {
  pid: number;
  argv: string[];
}

/** pid and every descendant, with their argv, read from /proc. */
function processTree(root: number): Proc[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // exited while we looked
    }
  }
  const out: Proc[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
      out.push({ pid, argv });
    } catch {
      continue;
    }
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** The cgroup paths (one per hierarchy) of a process. */
function cgroupsOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => line.slice(line.indexOf(":", line.indexOf(":") + 1) + 1));
  } catch {
    return [];
  }
}

async function sessions(tmux: TmuxServer): Promise<string[]> {
  const result = await tmux.tmux("list-sessions", "-F", "#{session_name}");
  expect(result.ok, result.message).toBe(true);
  return result.stdout.split("\n").filter(Boolean).sort();
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

describe("startTmuxServer", () => {
  it("gives each caller an isolated server, and kill() leaves no server and no socket file", async () => {
    const a = await startTmuxServer("iso-a");
    const b = await startTmuxServer("iso-b");
    try {
      expect(a.socket).toMatch(new RegExp(`^mf-test-iso-a-${process.pid}-[0-9a-f]+$`));
      expect(a.socket).not.toBe(b.socket);
      expect(a.tmpdir).not.toBe(b.tmpdir);
      expect(a.env).toEqual({ TMUX_TMPDIR: a.tmpdir, TMUX: "" });
      expect(existsSync(a.socketPath)).toBe(true);

      const created = await a.newSession("shared-name", ["sleep", "600"], {
        width: 120,
        height: 40,
        env: { MF_PROBE: "on-a" },
      });
      expect(created.panePid).toBe(await a.panePid("shared-name"));
      expect(await sessions(a)).toEqual(["shared-name"]);
      // b's server runs (exit-empty off) but sees nothing of a.
      expect(await sessions(b)).toEqual([]);
      expect((await b.tmux("has-session", "-t", "=shared-name")).ok).toBe(false);

      const size = await a.tmux("display-message", "-p", "-t", "=shared-name:", "#{window_width}x#{window_height}");
      expect(size.stdout.trim()).toBe("120x40");
      const probe = await a.tmux("show-environment", "-t", "=shared-name", "MF_PROBE");
      expect(probe.stdout.trim()).toBe("MF_PROBE=on-a");

      // The same session name on b is a different session with a different pane.
      await b.newSession("shared-name", "sleep 600");
      const bPane = await b.panePid("shared-name");
      expect(bPane).not.toBe(created.panePid);

      const aServer = await a.serverPid();
      expect(aServer).not.toBeNull();
      await a.kill();
      expect(pidAlive(aServer as number)).toBe(false);
      expect(await waitUntil(() => !pidAlive(created.panePid), 2_000)).toBe(true);
      expect(existsSync(a.socketPath)).toBe(false);
      expect(existsSync(a.tmpdir)).toBe(false);
      await a.kill(); // idempotent

      // b is untouched by a's kill.
      expect(await sessions(b)).toEqual(["shared-name"]);
      expect(await b.panePid("shared-name")).toBe(bPane);
    } finally {
      await a.kill();
      await b.kill();
    }
    expect(existsSync(b.socketPath)).toBe(false);
  });
});

describe("contrib units on a private systemd user manager", () => {
  let tmux: TmuxServer | undefined;
  let m: UserManager | null = null;
  let managerPid = 0;
  let serverPid: number | null = null;
  let alphaAgentPid = 0;

  const need = (ctx: { skip: (note?: string) => never }): { m: UserManager; tmux: TmuxServer } => {
    if (!m || !tmux) return skipOutsideCi(ctx, "no systemd user manager available (see the warning above)");
    return { m, tmux };
  };

  beforeAll(async () => {
    // No server yet: mosaic-fleet-holder.service starts it, as in production.
    tmux = await startTmuxServer("harness", { start: false });
    // The manager's environment reaches every unit, so the units' tmux finds our
    // TMUX_TMPDIR; fleet.env below sets it too (the production way).
    m = await startUserManager({ env: { TMUX_TMPDIR: tmux.tmpdir } });
    if (!m) return;
    managerPid = m.pid;
    // The agent unit production runs: the first, oneshot one, under the name mosaic-agent@.service.
    const installed = await m.installContribUnits({ legacyAgentUnit: true });
    expect(installed).toEqual([
      "mosaic-agent-oneshot@.service",
      "mosaic-agent@.service",
      "mosaic-fleet-holder.service",
      "mosaic-fleet-report.service",
    ]);
    await m.writeFleetEnv({ MOSAIC_FLEET_SOCKET: tmux.socket, TMUX_TMPDIR: tmux.tmpdir });
    for (const name of ["alpha", "beta"]) {
      // One shell command line (tmux runs it with default-shell -c), path quoted.
      await m.writeAgentEnv(name, { MOSAIC_AGENT_COMMAND: `python3 '${DOGFOOD.replace(/'/g, "'\\''")}'` });
    }
    const started = await m.systemctl("start", "mosaic-agent@alpha.service", "mosaic-agent@beta.service");
    const status = started.ok ? "" : (await m.systemctl("status", "--no-pager", "--full", "mosaic-*")).stdout;
    expect(started.ok, `${started.message}\n${status}`).toBe(true);
  });

  afterAll(async () => {
    // Safety net; the last test below tears down and checks the result.
    await m?.stop();
    await tmux?.kill();
  });

  it("started-but-not-enabled agents read active (exited) and disabled", async (ctx) => {
    const { m } = need(ctx);
    for (const unit of ["mosaic-agent@alpha.service", "mosaic-agent@beta.service", "mosaic-fleet-holder.service"]) {
      expect(await m.show(unit, "ActiveState", "SubState", "UnitFileState"), unit).toEqual({
        ActiveState: "active",
        SubState: "exited",
        UnitFileState: "disabled",
      });
    }
  });

  it("the private socket holds exactly _holder, alpha and beta", async (ctx) => {
    const { tmux } = need(ctx);
    expect(await sessions(tmux)).toEqual(["_holder", "alpha", "beta"]);
    serverPid = await tmux.serverPid();
    expect(serverPid).not.toBeNull();
  });

  it("the tmux server and the agents' panes live in the holder unit's cgroup", async (ctx) => {
    const { m, tmux } = need(ctx);
    const { ControlGroup: holderCg } = await m.show("mosaic-fleet-holder.service", "ControlGroup");
    expect(holderCg).toMatch(/\/mosaic-fleet-holder\.service$/);
    expect(cgroupsOf(serverPid as number)).toContain(holderCg);
    expect(cgroupsOf(await tmux.panePid("alpha"))).toContain(holderCg);
    if (m.cgroup !== null) expect(holderCg?.startsWith(`${m.cgroup}/`)).toBe(true);
  });

  it("alpha's pane runs dogfood-agent.py, which answers input", async (ctx) => {
    const { tmux } = need(ctx);
    const tree = processTree(await tmux.panePid("alpha"));
    const agent = tree.find((p) => p.argv.some((a) => a.endsWith("dogfood-agent.py")));
    expect(agent, JSON.stringify(tree)).toBeDefined();
    expect(agent?.argv).toContain(DOGFOOD);
    alphaAgentPid = agent?.pid ?? 0;

    expect((await tmux.tmux("send-keys", "-t", "=alpha:", "-l", "hello fleet")).ok).toBe(true);
    expect((await tmux.tmux("send-keys", "-t", "=alpha:", "Enter")).ok).toBe(true);
    let screen = "";
    for (let i = 0; i < 50 && !screen.includes("got: hello fleet"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      screen = (await tmux.tmux("capture-pane", "-p", "-t", "=alpha:")).stdout;
    }
    expect(screen).toContain("got: hello fleet");
  });

  it("MOSAIC_AGENT_NAME is in the session environment and reaches the agent with TMUX_TMPDIR", async (ctx) => {
    const { tmux } = need(ctx);
    const shown = await tmux.tmux("show-environment", "-t", "=alpha", "MOSAIC_AGENT_NAME");
    expect(shown.stdout.trim()).toBe("MOSAIC_AGENT_NAME=alpha");
    const beta = await tmux.tmux("show-environment", "-t", "=beta", "MOSAIC_AGENT_NAME");
    expect(beta.stdout.trim()).toBe("MOSAIC_AGENT_NAME=beta");
    const environ = readFileSync(`/proc/${alphaAgentPid}/environ`, "utf8").split("\0");
    expect(environ).toContain("MOSAIC_AGENT_NAME=alpha");
    expect(environ).toContain(`TMUX_TMPDIR=${tmux.tmpdir}`);
    expect(environ).toContain(`MOSAIC_FLEET_SOCKET=${tmux.socket}`);
  });

  it("systemctl --user enable flips only alpha to enabled", async (ctx) => {
    const { m } = need(ctx);
    const enabled = await m.systemctl("enable", "mosaic-agent@alpha.service");
    expect(enabled.ok, enabled.message).toBe(true);
    expect(await m.show("mosaic-agent@alpha.service", "ActiveState", "UnitFileState")).toEqual({
      ActiveState: "active",
      UnitFileState: "enabled",
    });
    expect(await m.show("mosaic-agent@beta.service", "UnitFileState")).toEqual({ UnitFileState: "disabled" });
    expect(existsSync(`${m.unitDir}/default.target.wants/mosaic-agent@alpha.service`)).toBe(true);
  });

  it("stopping beta removes session beta only", async (ctx) => {
    const { m, tmux } = need(ctx);
    const alphaPane = await tmux.panePid("alpha");
    const stopped = await m.systemctl("stop", "mosaic-agent@beta.service");
    expect(stopped.ok, stopped.message).toBe(true);
    expect(await m.show("mosaic-agent@beta.service", "ActiveState", "SubState")).toEqual({
      ActiveState: "inactive",
      SubState: "dead",
    });
    expect(await sessions(tmux)).toEqual(["_holder", "alpha"]);
    expect(await tmux.panePid("alpha")).toBe(alphaPane);
    expect(pidAlive(alphaAgentPid)).toBe(true);
    // Stopping an agent whose session is already gone still succeeds.
    expect((await m.systemctl("start", "mosaic-agent@beta.service")).ok).toBe(true);
    expect((await tmux.tmux("kill-session", "-t", "=beta")).ok).toBe(true);
    expect((await m.systemctl("stop", "mosaic-agent@beta.service")).ok).toBe(true);
    expect(await m.show("mosaic-agent@beta.service", "ActiveState")).toEqual({ ActiveState: "inactive" });
  });

  it("stopping the holder stops the tmux server and, through Requires=, the agents", async (ctx) => {
    const { m, tmux } = need(ctx);
    const stopped = await m.systemctl("stop", "mosaic-fleet-holder.service");
    expect(stopped.ok, stopped.message).toBe(true);
    expect(await m.show("mosaic-agent@alpha.service", "ActiveState")).toEqual({ ActiveState: "inactive" });
    expect(await waitUntil(() => !pidAlive(serverPid as number) && !pidAlive(alphaAgentPid), 5_000)).toBe(true);
    expect((await tmux.tmux("list-sessions")).ok).toBe(false);
  });

  it("stop() leaves no manager, no unit process, no cgroup and no files behind", async (ctx) => {
    const { m, tmux } = need(ctx);
    // Bring one agent back so there is something for stop() to stop.
    expect((await m.systemctl("start", "mosaic-agent@alpha.service")).ok).toBe(true);
    const panePid = await tmux.panePid("alpha");
    const newServer = await tmux.serverPid();
    expect(newServer).not.toBeNull();
    const report: StopReport = await m.stop();
    expect(report.unitsStopped).toContain("mosaic-agent@alpha.service");
    expect(report.leftoverPids).toEqual([]);
    expect(report.forced).toBe(false);
    expect(pidAlive(managerPid)).toBe(false);
    expect(pidAlive(panePid)).toBe(false);
    expect(pidAlive(newServer as number)).toBe(false);
    expect(existsSync(m.root)).toBe(false);
    if (m.cgroup !== null) {
      const cg = m.cgroup;
      const inOurCgroup = readdirSync("/proc")
        .filter((e) => /^\d+$/.test(e))
        .filter((pid) => cgroupsOf(Number(pid)).some((c) => c === cg || c.startsWith(`${cg}/`)));
      expect(inOurCgroup).toEqual([]);
      expect(existsSync(`/sys/fs/cgroup/systemd${cg}`)).toBe(false);
      expect(existsSync(`/sys/fs/cgroup/unified${cg}`)).toBe(false);
    }
    await tmux.kill();
    expect(existsSync(tmux.tmpdir)).toBe(false);
  });
});
