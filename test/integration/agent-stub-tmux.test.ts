// `mosaic agent stub` as operators run it: in a real tmux pane (a private server), under
// a wrapper shell, writing NAME.hb every interval, acknowledging typed lines, going
// stale when wedged (SIGSTOP) and healthy again when resumed, recognised as runtime
// `stub` by `fleet ps`, and saying `status=stopping` on SIGTERM / SIGHUP.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import {
  agentOf,
  assertBuilt,
  BIN,
  cliEnv,
  conditionStatus,
  mosaic,
  pidAlive,
  pidState,
  ppidOf,
  psJson,
  readHb,
  signal,
  sleep,
  stubPaneArgv,
  stubRoster,
  waitUntil,
} from "./agent-support.js";

let tmux: TmuxServer;
let base: string;
let home: string;
let runDir: string;
let env: NodeJS.ProcessEnv;
const stopped: number[] = [];

const hbPath = (name: string) => join(runDir, `${name}.hb`);

async function pane(session: string): Promise<string> {
  const shown = await tmux.tmux("capture-pane", "-p", "-J", "-t", `=${session}:`);
  return shown.stdout;
}

async function stubPid(name: string): Promise<number> {
  expect(await waitUntil(() => readHb(hbPath(name)) !== null, 10_000), `${name}.hb never appeared`).toBe(true);
  return (readHb(hbPath(name)) as { pid: number }).pid;
}

beforeAll(async () => {
  assertBuilt();
  tmux = await startTmuxServer("agent-stub");
  base = mkdtempSync(join(tmpdir(), "mf-agent-stub-"));
  home = join(base, "mosaic");
  runDir = join(home, "fleet", "run");
  mkdirSync(runDir, { recursive: true });
  chmodSync(runDir, 0o700);
  const runtime = join(base, "xdg-runtime"); // empty: no user manager is asked
  mkdirSync(runtime, { mode: 0o700 });
  const roster = join(base, "roster.yaml");
  writeFileSync(roster, stubRoster(tmux.socket, ["alpha", "gamma"], 1));
  env = cliEnv({
    HOME: base,
    MOSAIC_HOME: home,
    MOSAIC_ROSTER: roster,
    TMUX_TMPDIR: tmux.tmpdir,
    XDG_RUNTIME_DIR: runtime,
    NO_COLOR: "1",
  });

  const common = { width: 200, height: 30 };
  // Name from the argument (it beats MOSAIC_AGENT_NAME).
  await tmux.newSession("alpha", stubPaneArgv(["alpha", "--interval", "1s"]), {
    ...common,
    env: { MOSAIC_HOME: home, MOSAIC_AGENT_NAME: "decoy" },
  });
  // Name from MOSAIC_AGENT_NAME (it beats the session name).
  await tmux.newSession("sess-env", stubPaneArgv(["--interval", "1s"]), {
    ...common,
    env: { MOSAIC_HOME: home, MOSAIC_AGENT_NAME: "beta" },
  });
  // Killed with its session (what `demo --down` and a unit's ExecStop do).
  await tmux.newSession("delta", stubPaneArgv(["delta", "--interval", "1s"]), {
    ...common,
    env: { MOSAIC_HOME: home },
  });
  // Neither: the tmux session's name.
  await tmux.newSession("gamma", stubPaneArgv(["--interval", "1s"], "unset MOSAIC_AGENT_NAME; "), {
    ...common,
    env: { MOSAIC_HOME: home },
  });
}, 60_000);

afterAll(async () => {
  for (const pid of stopped) signal(pid, "SIGCONT");
  await tmux?.kill();
  if (base) rmSync(base, { recursive: true, force: true });
});

describe("agent stub in a tmux pane", () => {
  it("says which name source it used: argument, MOSAIC_AGENT_NAME, tmux session", async () => {
    for (const name of ["alpha", "beta", "gamma"]) await stubPid(name);
    expect(await waitUntil(async () => (await pane("gamma")).includes("gamma> "), 5_000)).toBe(true);
    expect(await pane("alpha")).toContain('agent "alpha" (name from argument)');
    expect(await pane("sess-env")).toContain('agent "beta" (name from MOSAIC_AGENT_NAME)');
    expect(await pane("gamma")).toContain('agent "gamma" (name from tmux session)');
    expect(await pane("alpha")).toContain(hbPath("alpha"));
    expect(readHb(hbPath("decoy"))).toBeNull();
    expect(readHb(hbPath("sess-env"))).toBeNull();
    expect(readHb(hbPath("beta"))?.name).toBe("beta");
    expect(readHb(hbPath("gamma"))?.name).toBe("gamma");
  });

  it("runs under the wrapper shell: the heartbeat pid is the stub, a child of the pane's sh", async () => {
    const pid = await stubPid("alpha");
    const panePid = await tmux.panePid("alpha");
    expect(pid).not.toBe(panePid);
    expect(ppidOf(pid)).toBe(panePid);
    expect(readFileSync(`/proc/${pid}/cmdline`, "latin1")).toMatch(/^mosaic-agent-stub/);
  });

  it("writes a well-formed heartbeat every interval: seq advances, ts stays current", async () => {
    await stubPid("alpha");
    const first = readHb(hbPath("alpha"));
    await sleep(1_300);
    const later = readHb(hbPath("alpha"));
    expect(first?.status).toBe("idle");
    expect(later?.name).toBe("alpha");
    expect(later?.seq ?? 0).toBeGreaterThanOrEqual((first?.seq ?? 0) + 1);
    expect(Math.floor(Date.now() / 1000) - (later?.ts ?? 0)).toBeLessThanOrEqual(1);
    expect(readFileSync(hbPath("alpha"), "utf8")).toMatch(
      /^ts=\d+ pid=\d+ status=idle seq=\d+ name=alpha( probe=\S+)?( ack=\S+ acks=\d+)? since=\d+\n$/,
    );
  });

  it("acknowledges a typed line as ack=<sha256[:12]> in its heartbeat", async () => {
    await stubPid("alpha");
    const expected = createHash("sha256").update("hello world").digest("hex").slice(0, 12);
    expect(expected).toBe("b94d27b9934d");
    expect((await tmux.tmux("send-keys", "-t", "=alpha:", "-l", "hello world")).ok).toBe(true);
    expect((await tmux.tmux("send-keys", "-t", "=alpha:", "Enter")).ok).toBe(true);
    expect(await waitUntil(() => readHb(hbPath("alpha"))?.ack === expected, 5_000)).toBe(true);
    expect(readHb(hbPath("alpha"))?.status).toBe("idle");
    expect(
      await waitUntil(async () => (await pane("alpha")).includes(`ack=${expected} received "hello world"`), 3_000),
    ).toBe(true);
    // A second line replaces the ack.
    await tmux.tmux("send-keys", "-t", "=alpha:", "-l", "second line");
    await tmux.tmux("send-keys", "-t", "=alpha:", "Enter");
    const second = createHash("sha256").update("second line").digest("hex").slice(0, 12);
    expect(await waitUntil(() => readHb(hbPath("alpha"))?.ack === second, 5_000)).toBe(true);
  });

  it("fleet ps: runtime stub, healthy; kill -STOP → stale (Stale True) after 3 × 1s; kill -CONT → healthy", async () => {
    const pid = await stubPid("alpha");
    const before = agentOf((await psJson(env)).status, "alpha");
    expect(before.runtime).toMatchObject({ desired: "stub", actual: "stub" });
    expect(before.runtime.command).toMatch(/^mosaic-agent-stub/);
    expect(conditionStatus(before, "Drift")).toBe("False");
    expect(before.pane.state).toBe("alive");
    expect(before.heartbeat).toMatchObject({ state: "healthy", pid, interval_s: 1 });
    expect(conditionStatus(before, "Stale")).toBe("False");

    signal(pid, "SIGSTOP");
    stopped.push(pid);
    const stoppedAt = Date.now();
    await sleep(300);
    expect(pidState(pid), "tmux (or something) resumed the stopped stub").toBe("T");

    let staleAfterMs = -1;
    let last = before;
    const sawStale = await waitUntil(
      async () => {
        last = agentOf((await psJson(env)).status, "alpha");
        if (last.heartbeat.state === "stale") {
          staleAfterMs = Date.now() - stoppedAt;
          return true;
        }
        return false;
      },
      10_000,
      200,
    );
    expect(sawStale, `still ${JSON.stringify(last.heartbeat)}`).toBe(true);
    expect(pidState(pid)).toBe("T");
    const stale = last.conditions.find((c) => c.type === "Stale");
    expect(stale).toMatchObject({ status: "True", reason: "HeartbeatExpired" });
    // Stale means the exact age passed 3 × interval; age_s is rounded to 0.1 s for display.
    expect(last.heartbeat.age_s ?? 0).toBeGreaterThanOrEqual(3);
    // Not before 3 × interval can have passed (ts is whole seconds and beats come every interval / 2).
    expect(staleAfterMs).toBeGreaterThanOrEqual(1_500);
    expect(last.pane.state).toBe("alive");
    expect(conditionStatus(last, "PaneDead")).toBe("False");

    const table = await mosaic(["fleet", "ps"], env);
    expect(table.code).toBe(0);
    const row = table.stdout.split("\n").find((line) => line.startsWith("alpha "));
    expect(row).toMatch(/stale/);
    expect(row).toMatch(/Stale/);

    signal(pid, "SIGCONT");
    stopped.splice(stopped.indexOf(pid), 1);
    const resumed = await waitUntil(
      async () => {
        last = agentOf((await psJson(env)).status, "alpha");
        return last.heartbeat.state === "healthy";
      },
      5_000,
      100,
    );
    expect(resumed, `after SIGCONT still ${JSON.stringify(last.heartbeat)}`).toBe(true);
    expect(conditionStatus(last, "Stale")).toBe("False");
    expect(last.heartbeat.pid).toBe(pid);
  }, 40_000);

  it("on SIGTERM writes status=stopping and exits, closing its pane", async () => {
    const pid = await stubPid("gamma");
    signal(pid, "SIGTERM");
    expect(await waitUntil(() => !pidAlive(pid), 5_000)).toBe(true);
    expect(readHb(hbPath("gamma"))).toMatchObject({ status: "stopping", pid, name: "gamma" });
    expect(await waitUntil(async () => !(await tmux.tmux("has-session", "-t", "=gamma")).ok, 5_000)).toBe(true);
    const status = agentOf((await psJson(env)).status, "gamma");
    expect(status.pane.state).toBe("missing");
    expect(status.heartbeat.state).toBe("stale"); // its pid is gone
  });

  it("on SIGHUP writes status=stopping and exits", async () => {
    const pid = await stubPid("beta");
    signal(pid, "SIGHUP");
    expect(await waitUntil(() => !pidAlive(pid), 5_000)).toBe(true);
    expect(readHb(hbPath("beta"))).toMatchObject({ status: "stopping", pid, name: "beta" });
  });

  it("when its session is killed (the pty hangs up) writes status=stopping and exits", async () => {
    const pid = await stubPid("delta");
    expect((await tmux.tmux("kill-session", "-t", "=delta")).ok).toBe(true);
    expect(await waitUntil(() => !pidAlive(pid), 5_000)).toBe(true);
    expect(readHb(hbPath("delta"))).toMatchObject({ status: "stopping", pid, name: "delta" });
  });

  it("leaves no temp files in the run directory", () => {
    expect(readdirSync(runDir).filter((f) => f.startsWith("."))).toEqual([]);
  });
});

describe("agent stub outside tmux", () => {
  it("with no name anywhere: exit 2, one clear line, no stack trace", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "mf-agent-stub-noname-"));
    try {
      const run = await mosaic(
        ["agent", "stub", "--interval", "1s"],
        cliEnv({ HOME: scratch, MOSAIC_HOME: scratch }),
        10_000,
      );
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(run.stderr).toMatch(/no agent name/);
      expect(run.stderr).not.toMatch(/^\s+at /m);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  for (const [label, args, pattern] of [
    ["an invalid name", ["agent", "stub", "../etc", "--interval", "1s"], /invalid agent name/],
    [
      "an invalid MOSAIC_AGENT_NAME",
      ["agent", "stub", "--interval", "1s"],
      /invalid agent name "a b" \(from MOSAIC_AGENT_NAME\)/,
    ],
    ["an invalid --interval", ["agent", "stub", "x", "--interval", "soon"], /invalid --interval "soon"/],
  ] as const) {
    it(`with ${label}: exit 2, one clear line, no heartbeat written`, async () => {
      const scratch = mkdtempSync(join(tmpdir(), "mf-agent-stub-bad-"));
      try {
        const run = await mosaic(
          [...args],
          cliEnv({ HOME: scratch, MOSAIC_HOME: scratch, MOSAIC_AGENT_NAME: "a b" }),
          10_000,
        );
        expect(run.code).toBe(2);
        expect(run.stderr.trim().split("\n")).toHaveLength(1);
        expect(run.stderr).toMatch(pattern);
        expect(run.stderr).not.toMatch(/^\s+at /m);
        expect(() => readFileSync(join(scratch, "fleet", "run", "x.hb"))).toThrow();
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    });
  }

  it("ends at EOF on its input with status=stopping, exit 0", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "mf-agent-stub-eof-"));
    try {
      const run = await execa(process.execPath, [BIN, "agent", "stub", "eof", "--interval", "1s"], {
        env: cliEnv({ HOME: scratch, MOSAIC_HOME: scratch }),
        extendEnv: false,
        input: "one line\n",
        reject: false,
        timeout: 10_000,
      });
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toContain(`ack=${createHash("sha256").update("one line").digest("hex").slice(0, 12)}`);
      expect(readHb(join(scratch, "fleet", "run", "eof.hb"))).toMatchObject({ status: "stopping", name: "eof" });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("a huge --interval does not turn the beat into a busy loop (setInterval overflow)", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "mf-agent-stub-huge-"));
    try {
      const child = execa(process.execPath, [BIN, "agent", "stub", "huge", "--interval", "2000h"], {
        env: cliEnv({ HOME: scratch, MOSAIC_HOME: scratch }),
        extendEnv: false,
        stdin: "pipe",
        reject: false,
        timeout: 10_000,
      });
      await sleep(1_000);
      child.stdin?.end();
      const run = await child;
      const hb = readHb(join(scratch, "fleet", "run", "huge.hb"));
      // Either refused as a usage error, or it beats rarely: never hundreds of rewrites a second.
      if (run.exitCode === 2) {
        expect(String(run.stderr).trim().split("\n")).toHaveLength(1);
      } else {
        const seen = {
          exit: run.exitCode,
          timeoutOverflowWarning: /TimeoutOverflowWarning/.test(String(run.stderr)),
          rewritesInOneSecond: hb?.seq ?? 0,
        };
        expect(seen.timeoutOverflowWarning || seen.rewritesInOneSecond >= 10 ? seen : "ok").toBe("ok");
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
