// `mosaic agent run NAME -- COMMAND…` on a private tmux server (no systemd needed): the
// session it creates, the exit status it passes on, what it does on SIGTERM, and the
// sessions it refuses to take over. The systemd side (Restart=, NRestarts) is in
// fleet-apply.test.ts.

import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tmuxArg } from "../../src/agent/supervise.js";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import { BIN, ROOT, cliEnv, mosaic, scratch, waitUntil, type Scratch } from "./fleet-support.js";

let tmux: TmuxServer;
let s: Scratch;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  tmux = await startTmuxServer("agent-run");
  await tmux.newSession("_holder", ["sleep", "100000"]);
  s = scratch("mf-agent-run-");
  env = cliEnv({ TMUX_TMPDIR: tmux.tmpdir, MOSAIC_HOME: s.home, MOSAIC_FLEET_SOCKET: tmux.socket });
});

afterAll(async () => {
  await tmux?.kill();
  s?.cleanup();
});

const run = (name: string, command: string[], extra: NodeJS.ProcessEnv = {}) =>
  mosaic(["agent", "run", name, "--", ...command], { ...env, ...extra }, 30_000);

/** Start `agent run` in the background; resolves its exit code when it ends. */
function background(name: string, command: string[]) {
  const child = spawn(process.execPath, [BIN, "agent", "run", name, "--", ...command], {
    cwd: ROOT,
    env,
    stdio: "ignore",
  });
  const code = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  return { child, code };
}

async function panePid(name: string): Promise<number | null> {
  const shown = await tmux.tmux("list-panes", "-s", "-t", `=${name}`, "-F", "#{pane_dead} #{pane_pid}");
  if (!shown.ok) return null;
  const [dead, pid] = (shown.stdout.split("\n")[0] ?? "").split(" ");
  return dead === "0" ? Number(pid) : null;
}

describe("mosaic agent run", () => {
  it("tmuxArg: an argument ending in ';' is escaped so tmux gives it back unchanged", () => {
    expect(tmuxArg(";")).toBe("\\;");
    expect(tmuxArg("a;")).toBe("a\\;");
    expect(tmuxArg("a\\;")).toBe("a\\\\;");
    expect(tmuxArg("a;b")).toBe("a;b");
  });

  it("property: the agent gets exactly the argv given (tmux's ';' splitting, flags, spaces, quotes)", async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 12 }).filter((a) => !a.includes("\0")),
            fc.constantFrom(";", "\\;", "a;", "a\\;", "-e", "--", "-t", "=x", "$HOME", "'\"", " "),
          ),
          { maxLength: 6 },
        ),
        async (args) => {
          const name = `prop-${n++}`;
          const out = join(s.dir, `${name}.json`);
          // python3 starts in ~30 ms (node in ~10× that on a loaded machine); sys.argv[1:] is exactly what it was given.
          const script = `import json, sys; open(${JSON.stringify(out)}, "w").write(json.dumps(sys.argv[1:]))`;
          const done = await run(name, ["python3", "-c", script, ...args]);
          // 0, or 1 when tmux 3.3 never recorded the instant exit's status (a few percent; see supervise.ts).
          expect([0, 1], done.stderr).toContain(done.code);
          expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(args);
        },
      ),
      { numRuns: 8 },
    );
  }, 240_000);

  it("passes on the agent's exit status, with MOSAIC_AGENT_NAME and MOSAIC_* in its environment", async () => {
    const out = join(s.dir, "env.txt");
    const done = await run("status-7", ["sh", "-c", `echo "$MOSAIC_AGENT_NAME $MOSAIC_HOME" > ${out}; exit 7`]);
    expect(readFileSync(out, "utf8").trim()).toBe(`status-7 ${s.home}`);
    // remain-on-exit: the dead pane is still there to inspect. Under load tmux 3.3a can
    // fail to record an exit status at all; then (and only then) the run reports 1.
    const dead = await tmux.tmux("list-panes", "-t", "=status-7", "-F", "#{pane_dead} #{pane_dead_status}");
    if (dead.stdout.trim() === "1 7") {
      expect(done.code, done.stderr).toBe(7);
      expect(done.stderr).toContain("exited with status 7");
    } else {
      expect(dead.stdout.trim()).toBe("1");
      expect(done.code, done.stderr).toBe(1);
    }
  });

  it("an agent killed by a signal: exit 128 + N", async () => {
    const { code } = background("killed", ["sleep", "1000"]);
    expect(await waitUntil(async () => (await panePid("killed")) !== null, 10_000)).toBe(true);
    process.kill((await panePid("killed")) as number, "SIGKILL");
    const exit = await code;
    // What tmux itself recorded decides: 137 when it knows the signal (as it almost always
    // does); tmux 3.3a under load may record nothing, and then the run reports 1.
    const dead = await tmux.tmux("list-panes", "-t", "=killed", "-F", "#{pane_dead} #{pane_dead_signal}");
    expect(exit).toBe(dead.stdout.trim() === "1 9" ? 137 : 1);
  });

  it("SIGTERM (the unit stopped): kills its own session, exits 0, leaves every other session alone", async () => {
    const { child, code } = background("stopme", ["sleep", "1000"]);
    expect(await waitUntil(async () => (await panePid("stopme")) !== null, 10_000)).toBe(true);
    const holder = await panePid("_holder");
    child.kill("SIGTERM");
    expect(await code).toBe(0);
    expect((await tmux.tmux("has-session", "-t", "=stopme")).ok).toBe(false);
    expect(await panePid("_holder")).toBe(holder);
  });

  it("refuses a session it did not start (exit 2; the session is untouched), and a second run of a live one", async () => {
    await tmux.newSession("by-hand", ["sleep", "1000"]);
    const pid = await panePid("by-hand");
    const refused = await run("by-hand", ["true"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^mosaic: session "by-hand" already exists .* not taking it over/m);
    expect(await panePid("by-hand")).toBe(pid);

    const { child, code } = background("twice", ["sleep", "1000"]);
    expect(await waitUntil(async () => (await panePid("twice")) !== null, 10_000)).toBe(true);
    const again = await run("twice", ["true"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already run by mosaic agent run");
    child.kill("SIGTERM");
    expect(await code).toBe(0);
  });

  it("replaces its own leftover: a session whose `agent run` was SIGKILLed", async () => {
    const first = background("leftover", ["sleep", "1000"]);
    expect(await waitUntil(async () => (await panePid("leftover")) !== null, 10_000)).toBe(true);
    const oldPid = await panePid("leftover");
    first.child.kill("SIGKILL");
    await first.code;
    const second = background("leftover", ["sleep", "1000"]);
    expect(
      await waitUntil(async () => {
        const now = await panePid("leftover");
        return now !== null && now !== oldPid;
      }, 10_000),
    ).toBe(true);
    second.child.kill("SIGTERM");
    expect(await second.code).toBe(0);
  });

  it("bad input: one sentence, exit 2 (or 1 without a tmux server), nothing created", async () => {
    const badName = await run("bad;name", ["true"]);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/^mosaic: invalid agent name/);
    const noCommand = await mosaic(["agent", "run", "x"], env);
    expect(noCommand.code).toBe(2);
    const noServer = await run("x", ["true"], { MOSAIC_FLEET_SOCKET: "no-such-socket" });
    expect(noServer.code).toBe(1);
    expect(noServer.stderr).toMatch(/no tmux server .*start mosaic-fleet-holder\.service first/);
    expect(existsSync(join(tmux.tmpdir, "no-such-socket"))).toBe(false);
  });
});
