// `agent send --verify` claims acceptance only with proof, and `agent send` never types
// where it must not: exit 0 on a stub that acknowledges the message in its heartbeat;
// exit 1 when the program never takes the line (sleep, a raw-mode TUI that leaves it as
// a draft, output that scrolls on its own), when the pane is in a mode, has input
// disabled or synchronised, or holds an operator's draft; exit 3 for a dead or missing
// pane (never a prefix match); exit 2 for an agent the roster does not name.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { pidAlive, ROOT, sleep, waitUntil, type CliRun } from "./agent-support.js";
import { ackOf, expectOneLineError, Fleet, PYTHON } from "./send-support.js";

let fleet: Fleet;
const RAW_DRAFT = join(ROOT, "test", "fixtures", "raw-draft.py");

interface SendJson {
  agent: string;
  tenant_id: string;
  host: string;
  delivered: boolean;
  verified: boolean | null;
  evidence: Record<string, unknown>;
  message: string;
}

function json(run: CliRun): SendJson {
  expect(run.stdout, run.stderr).not.toBe("");
  return JSON.parse(run.stdout) as SendJson;
}

beforeAll(async () => {
  fleet = await Fleet.start("send-verify");
  const stubs = ["v1", "cm", "io", "sy", "dr", "cc", "agent1"];
  fleet.writeRoster([
    ...stubs.map((name) => ({ name, runtime: "stub" })),
    ...["sl", "raw", "rawwrap", "dead", "tick", "nodetick", "shell"].map((name) => ({
      name,
      runtime: "shell",
      heartbeat: false as const,
    })),
  ]);
  // agent1 is in the roster but has no session; agent10 (not in the roster) does.
  await Promise.all(["v1", "cm", "io", "sy", "dr", "cc", "agent10"].map((name) => fleet.startStub(name)));
  const size = { width: 200, height: 50 };
  await fleet.tmux.newSession("sl", ["sleep", "1000"], size);
  await fleet.tmux.newSession("raw", [PYTHON, RAW_DRAFT], size);
  await fleet.tmux.newSession("rawwrap", [PYTHON, RAW_DRAFT], { width: 40, height: 20 });
  await fleet.tmux.newSession("dead", ["sleep", "1000"], size);
  await fleet.tmux.newSession(
    "tick",
    ["sh", "-c", 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.05; done'],
    size,
  );
  await fleet.tmux.newSession(
    "nodetick",
    [process.execPath, "-e", "let i = 0; setInterval(() => console.log(`tick ${++i}`), 50);"],
    size,
  );
  await fleet.tmux.newSession("shell", ["sh"], size);
  for (const name of ["raw", "rawwrap"]) {
    expect(
      await waitUntil(async () => (await fleet.cursorLine(name)) === "raw>", 10_000),
      `${name}: ${await fleet.capture(name)}`,
    ).toBe(true);
  }
  // dash's prompt: "$ ", or "# " for root.
  expect(await waitUntil(async () => /^[$#]$/.test(await fleet.cursorLine("shell")), 10_000)).toBe(true);
}, 90_000);

afterAll(async () => {
  await fleet?.stop();
});

describe("--verify on agents that take the message", () => {
  it("a stub: exit 0, the ack is in its heartbeat, JSON says who, delivered, verified, heartbeat-ack", async () => {
    const message = "please review PR 42";
    const before = fleet.acks("v1").acks;
    const run = await fleet.send("v1", message, ["--verify", "-o", "json"]);
    expect(run.code, run.stderr).toBe(0);
    const out = json(run);
    expect(out).toMatchObject({
      agent: "v1",
      tenant_id: expect.any(String) as unknown,
      host: expect.any(String) as unknown,
      delivered: true,
      verified: true,
    });
    expect(out.tenant_id).not.toBe("");
    expect(out.host).not.toBe("");
    expect(out.evidence).toMatchObject({ method: "heartbeat-ack", ack: ackOf(message) });
    expect(fleet.acks("v1")).toEqual({ ack: ackOf(message), acks: before + 1 });
    expect(await fleet.waitForAck("v1", message)).toBe(true);
  });

  it("a plain stub send without --verify: exit 0 and the message still arrives", async () => {
    const run = await fleet.send("v1", "no verify");
    expect(run.code, run.stderr).toBe(0);
    expect(await fleet.waitForAck("v1", "no verify")).toBe(true);
  });

  it("an interactive shell (no heartbeat): exit 0 by the screen — the line left, output followed, the shell reads again", async () => {
    const run = await fleet.send("shell", "echo marker-$((6*7))", ["--verify", "--timeout", "5s", "-o", "json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(json(run)).toMatchObject({ verified: true, evidence: { method: "screen" } });
    expect(await fleet.capture("shell")).toContain("marker-42");
  });
});

describe("--verify never claims a message that was not taken", () => {
  it("a pane running `sleep 1000` (runtime shell, no heartbeat): exit 1 within the timeout", async () => {
    const started = Date.now();
    const run = await fleet.send("sl", "hello sleeper", ["--verify", "--timeout", "2s", "-o", "json"]);
    expect(run.code, run.stdout).toBe(1);
    expect(json(run)).toMatchObject({ delivered: true, verified: false });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("a raw-mode program that ignores Enter: exit 1, and the text is left on screen as a draft", async () => {
    const run = await fleet.send("raw", "hello raw", ["--verify", "--timeout", "2s", "-o", "json"]);
    expect(run.code, run.stdout).toBe(1);
    expect(json(run)).toMatchObject({ delivered: true, verified: false });
    expect(await fleet.cursorLine("raw")).toBe("raw> hello raw");
  });

  it("once a draft is on the raw program's line, a second send refuses to type over it (exit 1)", async () => {
    const run = await fleet.send("raw", "second", ["--verify", "--timeout", "2s"]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/draft/);
    expect(await fleet.cursorLine("raw")).toBe("raw> hello raw");
  });

  it("a raw-mode program in a 40-column pane, the message wrapping onto a second line: exit 1, never verified", async () => {
    // 60 characters after the 5-character prompt: the draft spans two screen lines.
    const message = "abcdefghij".repeat(6);
    const run = await fleet.send("rawwrap", message, ["--verify", "--timeout", "2s", "-o", "json"]);
    const out = json(run);
    expect(
      out.verified,
      `claimed accepted on ${JSON.stringify(out.evidence)}; the screen still holds the draft:\n${await fleet.capture("rawwrap")}`,
    ).toBe(false);
    expect(run.code).toBe(1);
  });

  it("a program printing a line every 50 ms that never reads (sh loop): exit 1", async () => {
    const run = await fleet.send("tick", "hello ticker", ["--verify", "--timeout", "2s", "-o", "json"]);
    expect(run.code, run.stdout).toBe(1);
    expect(json(run).verified).toBe(false);
  });

  it("a program printing a line every 50 ms that never reads (node setInterval, idle in epoll_wait): exit 1", async () => {
    const run = await fleet.send("nodetick", "hello node ticker", ["--verify", "--timeout", "2s", "-o", "json"]);
    const out = json(run);
    expect(out.verified, `claimed accepted on ${JSON.stringify(out.evidence)}`).toBe(false);
    expect(run.code).toBe(1);
  });
});

describe("panes that must not be typed into: exit 1, nothing typed, never verified", () => {
  async function expectUntouched(
    name: string,
    run: CliRun,
    textBefore: string,
    acksBefore: number,
    reason: RegExp,
  ): Promise<void> {
    expect(run.code, run.stderr + run.stdout).toBe(1);
    expect(run.stdout + run.stderr).toMatch(reason);
    await sleep(500);
    expect(fleet.acks(name).acks).toBe(acksBefore);
    expect(await fleet.text(name)).toBe(textBefore);
  }

  it("copy mode: refused (plain and --verify); after leaving copy mode the input line is still empty", async () => {
    const textBefore = await fleet.text("cm");
    const acks = fleet.acks("cm").acks;
    expect((await fleet.tmux.tmux("copy-mode", "-t", "=cm:")).ok).toBe(true);
    expect(await fleet.format("cm", "#{pane_in_mode}")).toBe("1");
    const plain = await fleet.send("cm", "in copy mode");
    const verify = await fleet.send("cm", "in copy mode", ["--verify", "--timeout", "2s", "-o", "json"]);
    expect(json(verify)).toMatchObject({ delivered: false, verified: false });
    expect(await fleet.format("cm", "#{pane_in_mode}")).toBe("1");
    expect((await fleet.tmux.tmux("send-keys", "-t", "=cm:", "-X", "cancel")).ok).toBe(true);
    await expectUntouched("cm", plain, textBefore, acks, /mode/);
    await expectUntouched("cm", verify, textBefore, acks, /mode/);
    expect(await fleet.cursorLine("cm")).toBe("cm>");
  });

  it("input disabled (select-pane -d): refused (plain and --verify); nothing waits in the line after re-enabling", async () => {
    const textBefore = await fleet.text("io");
    const acks = fleet.acks("io").acks;
    expect((await fleet.tmux.tmux("select-pane", "-d", "-t", "=io:")).ok).toBe(true);
    const plain = await fleet.send("io", "input is off");
    const verify = await fleet.send("io", "input is off", ["--verify", "--timeout", "2s", "-o", "json"]);
    expect(json(verify)).toMatchObject({ delivered: false, verified: false });
    expect((await fleet.tmux.tmux("select-pane", "-e", "-t", "=io:")).ok).toBe(true);
    await expectUntouched("io", plain, textBefore, acks, /input disabled/);
    await expectUntouched("io", verify, textBefore, acks, /input disabled/);
    expect(await fleet.cursorLine("io")).toBe("io>");
  });

  it("synchronize-panes on: refused (plain and --verify); neither the agent nor the other pane got anything", async () => {
    const split = await fleet.tmux.tmux("split-window", "-d", "-t", "=sy:", "-P", "-F", "#{pane_id}", "cat");
    expect(split.ok, split.message).toBe(true);
    const other = split.stdout.trim();
    expect((await fleet.tmux.tmux("set-option", "-w", "-t", "=sy:", "synchronize-panes", "on")).ok).toBe(true);
    const textBefore = await fleet.text("sy");
    const acks = fleet.acks("sy").acks;
    const plain = await fleet.send("sy", "to every pane");
    const verify = await fleet.send("sy", "to every pane", ["--verify", "--timeout", "2s", "-o", "json"]);
    expect(json(verify)).toMatchObject({ delivered: false, verified: false });
    await expectUntouched("sy", plain, textBefore, acks, /synchronize-panes/);
    await expectUntouched("sy", verify, textBefore, acks, /synchronize-panes/);
    expect((await fleet.tmux.tmux("capture-pane", "-p", "-t", other)).stdout.trim()).toBe("");
    expect(await fleet.cursorLine("sy")).toBe("sy>");
  });

  it("an operator's half-typed draft: refused (plain and --verify); the draft stays unchanged and unsubmitted", async () => {
    const acks = fleet.acks("dr").acks;
    expect((await fleet.tmux.tmux("send-keys", "-t", "=dr:", "-l", "half typed")).ok).toBe(true);
    expect(await waitUntil(async () => (await fleet.cursorLine("dr")) === "dr> half typed", 3_000)).toBe(true);
    const textBefore = await fleet.text("dr");
    const plain = await fleet.send("dr", "automated message");
    const verify = await fleet.send("dr", "automated message", ["--verify", "--timeout", "2s", "-o", "json"]);
    expect(json(verify)).toMatchObject({ verified: false });
    await expectUntouched("dr", plain, textBefore, acks, /draft/);
    await expectUntouched("dr", verify, textBefore, acks, /draft/);
    expect(await fleet.cursorLine("dr")).toBe("dr> half typed");
    expect(fleet.acks("dr").ack).toBeNull();
  });
});

describe("dead, missing and unknown agents", () => {
  it("a dead pane (remain-on-exit, process exited): exit 3, plain and --verify", async () => {
    expect((await fleet.tmux.tmux("set-option", "-w", "-t", "=dead:", "remain-on-exit", "on")).ok).toBe(true);
    const pid = await fleet.tmux.panePid("dead");
    process.kill(pid, "SIGTERM");
    expect(
      await waitUntil(async () => (await fleet.format("dead", "#{pane_dead}")) === "1" && !pidAlive(pid), 5_000),
    ).toBe(true);
    for (const options of [[], ["--verify", "--timeout", "2s"]]) {
      const run = await fleet.send("dead", "anyone there?", options);
      expect(run.code, run.stderr).toBe(3);
      expectOneLineError(run, /dead/);
    }
    const asJson = await fleet.send("dead", "anyone there?", ["--verify", "-o", "json"]);
    expect(asJson.code).toBe(3);
    expect(json(asJson)).toMatchObject({ agent: "dead", delivered: false, verified: false });
  });

  it("agent1 when only a session agent10 exists: exit 3, and agent10's pane is untouched", async () => {
    const textBefore = await fleet.text("agent10");
    const acks = fleet.acks("agent10");
    for (const options of [[], ["--verify", "--timeout", "2s"]]) {
      const run = await fleet.send("agent1", "meant for agent1", options);
      expect(run.code, run.stderr).toBe(3);
      expectOneLineError(run, /no tmux session "agent1"/);
    }
    await sleep(500);
    expect(await fleet.text("agent10")).toBe(textBefore);
    expect(fleet.acks("agent10")).toEqual(acks);
    expect(await fleet.cursorLine("agent10")).toBe("agent10>");
  });

  it("an agent the roster does not name (even one with a session): exit 2, one line", async () => {
    for (const name of ["nobody", "agent10"]) {
      const run = await fleet.send(name, "hello", ["--verify"]);
      expect(run.code, run.stderr).toBe(2);
      expectOneLineError(run, new RegExp(`no such agent "${name}"`));
    }
    expect(await fleet.cursorLine("agent10")).toBe("agent10>");
  });
});

describe("concurrent sends to one stub", () => {
  for (const verify of [true, false]) {
    it(`two at once${verify ? " with --verify" : ""}: both exit 0, both acknowledged, each line intact (3 rounds)`, async () => {
      for (let round = 1; round <= 3; round++) {
        const messages = [
          `first message of round ${round} (${verify})`,
          `second message of round ${round} (${verify})`,
        ];
        const before = fleet.acks("cc").acks;
        const runs = await Promise.all(
          messages.map((m) => fleet.send("cc", m, verify ? ["--verify", "--timeout", "10s"] : [])),
        );
        for (const run of runs) expect(run.code, run.stderr).toBe(0);
        for (const message of messages) expect(await fleet.waitForAck("cc", message), message).toBe(true);
        expect(await waitUntil(() => fleet.acks("cc").acks === before + 2, 5_000)).toBe(true);
        expect(await fleet.cursorLine("cc")).toBe("cc>");
      }
    }, 60_000);
  }

  it("four at once with --verify: all exit 0, four acks, no merged line", async () => {
    const messages = ["alpha one", "bravo two", "charlie three", "delta four"];
    const before = fleet.acks("cc").acks;
    const runs = await Promise.all(messages.map((m) => fleet.send("cc", m, ["--verify", "--timeout", "15s"])));
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    for (const message of messages) expect(await fleet.waitForAck("cc", message), message).toBe(true);
    expect(fleet.acks("cc").acks).toBe(before + 4);
    const received = (await fleet.text("cc")).split("\n").filter((line) => line.includes(" received "));
    expect(
      received
        .slice(-4)
        .map((line) => JSON.parse(line.slice(line.indexOf(" received ") + 10)) as string)
        .sort(),
    ).toEqual([...messages].sort());
  }, 60_000);
});
