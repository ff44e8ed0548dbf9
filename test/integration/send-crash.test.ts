// Crash at any point, and timeout is not absence (docs/threat-model.md):
// - an `agent send` killed with SIGKILL at any point (before, while and after it holds
//   the agent's send lock) never blocks or misleads the next send: the lock is a flock
//   the kernel drops with its holder (src/system/lock.ts);
// - a tmux server that does not answer (SIGSTOP) is reported as a timeout with its own
//   message and exit code 4 — never as "no tmux session" (exit 3).

import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, pidAlive, signal, waitUntil } from "./agent-support.js";
import { Fleet } from "./send-support.js";

let fleet: Fleet;

beforeAll(async () => {
  fleet = await Fleet.start("send-crash");
  fleet.writeRoster([{ name: "crashy", runtime: "stub" }]);
  await fleet.startStub("crashy");
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
});

/** Start `agent send --verify` in the background and SIGKILL it after `ms`. */
async function killedSend(message: string, ms: number): Promise<void> {
  const child = spawn(
    process.execPath,
    [BIN, "agent", "send", "-f", fleet.roster, "--verify", "--timeout", "30s", "crashy", "--", message],
    { env: fleet.env(), stdio: "ignore" },
  );
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await new Promise((resolve) => setTimeout(resolve, ms));
  child.kill("SIGKILL");
  await exited;
}

describe("agent send killed with SIGKILL", () => {
  // Before the lock, while typing, while waiting for the acknowledgement.
  for (const ms of process.env["ONLY_MS"] ? [Number(process.env["ONLY_MS"])] : [30, 150, 350, 700, 1500]) {
    it(`at ${ms} ms: the next send is not blocked and says nothing about a lock`, async () => {
      const stub = await fleet.tmux.panePid("crashy");
      // A wedged stub never acknowledges, so the killed sender is holding the lock when it dies.
      const stubProcs = [stub, ...(await childrenOf(stub))];
      for (const pid of stubProcs) signal(pid, "SIGSTOP");
      try {
        await killedSend(`killed-at-${ms}`, ms);
      } finally {
        for (const pid of stubProcs) if (pidAlive(pid)) signal(pid, "SIGCONT");
      }
      // Whatever the killed send left typed is the operator's to clear: clear it.
      await fleet.tmux.tmux("send-keys", "-t", "=crashy:", "C-u");
      const started = Date.now();
      const next = await fleet.send("crashy", `after-${ms}`, ["--verify", "--timeout", "8s"]);
      expect(next.stderr).not.toMatch(/lock/i);
      expect(Date.now() - started).toBeLessThan(8_000);
      if (next.code !== 0) {
        // Only a draft left by the dead sender (then cleared) may stand in the way once.
        await fleet.tmux.tmux("send-keys", "-t", "=crashy:", "C-u");
        const again = await fleet.send("crashy", `again-${ms}`, ["--verify", "--timeout", "8s"]);
        expect(again.code, again.stderr).toBe(0);
      }
    }, 40_000);
  }
});

describe("a tmux server that does not answer", () => {
  it("agent send: a timeout (exit 4, its own message), never 'no tmux session' (exit 3)", async () => {
    const server = await fleet.tmux.serverPid();
    expect(server).not.toBeNull();
    signal(server as number, "SIGSTOP");
    try {
      const run = await fleet.cli(["agent", "send", "-f", fleet.roster, "crashy", "--", "hello"], {
        MOSAIC_TIMEOUT_MS: "800",
      });
      expect(run.code, run.stderr).toBe(4);
      expect(run.stderr).toMatch(/did not answer within 800 ms/);
      expect(run.stderr).not.toMatch(/no tmux session|missing|dead/i);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);

      const ps = await fleet.cli(["fleet", "ps", "-f", fleet.roster, "-o", "json"], { MOSAIC_TIMEOUT_MS: "800" });
      expect(ps.code, ps.stderr).toBe(0);
      const agent = (JSON.parse(ps.stdout) as { agents: { conditions: { type: string; reason: string }[] }[] })
        .agents[0];
      expect(agent?.conditions.find((c) => c.type === "PaneDead")?.reason).toBe("TmuxTimeout");
    } finally {
      signal(server as number, "SIGCONT");
    }
    expect(await waitUntil(async () => (await fleet.tmux.serverPid()) !== null, 5_000)).toBe(true);
  }, 40_000);
});

async function childrenOf(pid: number): Promise<number[]> {
  const { childPids } = await import("./agent-support.js");
  const direct = childPids(pid);
  return [...direct, ...direct.flatMap((p) => childPids(p))];
}
