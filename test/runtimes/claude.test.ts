// Claude Code, the real program (2.1.197 native, and 2.0.76 that runs as `node cli.js`),
// offline in private panes: runtime match for each launch form, `agent watch`, send
// refusing its trust and API-key dialogs without pressing anything, and — once the
// operator accepted the trust dialog — a send acknowledged by id through the hook adapter.

import { symlinkSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ackOf, expectOneLineError, type Fleet } from "../integration/send-support.js";
import { readHb } from "../integration/agent-support.js";
import {
  CLAUDE_BIN,
  CLAUDE_EXE,
  CLAUDE_OLD_CLI,
  MISSING,
  claudeEnv,
  claudeHome,
  driftOf,
  offlineFleet,
  rows,
  snapshot,
  startRuntime,
  stopRuntimeFleet,
  waitForScreen,
  watchShows,
} from "./runtimes-support.js";

let fleet: Fleet;
const WRONG = () => join(fleet.base, "wrong.yaml");

describe.skipIf(MISSING)("claude (real, offline)", () => {
  beforeAll(async () => {
    fleet = await offlineFleet("rt-claude");
    const agents = ["trust", "apikey", "byexe", "standalone", "old"];
    fleet.writeRoster([
      ...agents.map((name) => ({ name, runtime: "claude", heartbeat: false as const })),
      { name: "hooked", runtime: "claude" },
    ]);
    fleet.writeRoster(
      [...agents, "hooked"].map((name) => ({ name, runtime: "codex" })),
      { path: WRONG() },
    );
    // npm's link, untrusted folder: the workspace-trust dialog.
    const trust = claudeHome(fleet, "trust");
    await startRuntime(fleet, "trust", [CLAUDE_BIN()], claudeEnv(trust.home, fleet, "trust"), trust.work);
    // Trusted folder, key not approved: the "Detected a custom API key" menu.
    const apikey = claudeHome(fleet, "apikey", { trusted: true, approveKey: false });
    await startRuntime(fleet, "apikey", [CLAUDE_BIN()], claudeEnv(apikey.home, fleet, "apikey"), apikey.work);
    // The native binary by its real path: it runs as claude.exe.
    const byexe = claudeHome(fleet, "byexe", { trusted: true });
    await startRuntime(fleet, "byexe", [CLAUDE_EXE()], claudeEnv(byexe.home, fleet, "byexe"), byexe.work);
    // The standalone installer's layout: ~/.local/share/claude/versions/2.1.197.
    const standalone = claudeHome(fleet, "standalone", { trusted: true });
    const versions = join(standalone.home, ".local", "share", "claude", "versions");
    mkdirSync(versions, { recursive: true });
    symlinkSync(CLAUDE_EXE(), join(versions, "2.1.197"));
    await startRuntime(
      fleet,
      "standalone",
      [join(versions, "2.1.197")],
      claudeEnv(standalone.home, fleet, "standalone"),
      standalone.work,
    );
    // An old build: `node …/cli.js` until it retitles itself `claude`.
    const old = claudeHome(fleet, "old", { trusted: true });
    await startRuntime(fleet, "old", [process.execPath, CLAUDE_OLD_CLI()], claudeEnv(old.home, fleet, "old"), old.work);
    // The adapter configured as the UserPromptSubmit hook, folder not yet trusted.
    const hooked = claudeHome(fleet, "hooked", { hookAgent: "hooked" });
    await startRuntime(fleet, "hooked", [CLAUDE_BIN()], claudeEnv(hooked.home, fleet, "hooked"), hooked.work);
  }, 60_000);

  afterAll(async () => {
    await stopRuntimeFleet(fleet);
  });

  it("runtime match: every launch form is claude (Drift False), and Drift True when the roster says codex", async () => {
    // The old build is caught as `node …/cli.js` and after it retitled itself: no flapping.
    const early = await rows(fleet, fleet.roster);
    expect(driftOf(early.get("old")), JSON.stringify(early.get("old")?.runtime)).toMatchObject({ status: "False" });
    await waitForScreen(fleet, "byexe", /for shortcuts/);
    await waitForScreen(fleet, "standalone", /for shortcuts/);
    await waitForScreen(fleet, "old", /for shortcuts|Welcome|Claude Code/);
    const right = await rows(fleet, fleet.roster);
    const wrong = await rows(fleet, WRONG());
    for (const name of ["trust", "apikey", "byexe", "standalone", "old", "hooked"]) {
      expect(driftOf(right.get(name)), `${name}: ${right.get(name)?.runtime.command}`).toMatchObject({
        status: "False",
      });
      expect(driftOf(wrong.get(name)), name).toMatchObject({ status: "True" });
    }
    expect(right.get("byexe")?.runtime.command).toMatch(/claude\.exe/);
    expect(right.get("standalone")?.runtime.command).toMatch(/2\.1\.197/);
  }, 90_000);

  it("agent watch shows the trust dialog as the pane has it", async () => {
    await waitForScreen(fleet, "trust", /Yes, I trust this folder/);
    await watchShows(fleet, "trust", /Yes, I trust this folder/);
  }, 60_000);

  it.each([
    ["trust", /Yes, I trust this folder/, /blocked on a dialog.*Accessing workspace.*❯ 1\. Yes, I trust this folder/],
    ["apikey", /Do you want to use this API key/, /blocked on a dialog.*Detected a custom API key.*❯ 2\. No/],
  ])(
    "send refuses %s's dialog before typing anything: exit 1, the screen unchanged",
    async (name, shows, says) => {
      await waitForScreen(fleet, name, shows);
      const before = await snapshot(fleet, name);
      for (const options of [[], ["--verify"]]) {
        const run = await fleet.send(name, "hello", options);
        expect(run.code, run.stderr).toBe(1);
        expectOneLineError(run, says);
      }
      // Nothing reached the pane: the same screen, the same cursor, no new history.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await snapshot(fleet, name)).toBe(before);
    },
    60_000,
  );

  it("after the operator accepts the trust dialog, the hook adapter acknowledges a send by id: --verify exit 0", async () => {
    await waitForScreen(fleet, "hooked", /Yes, I trust this folder/);
    const refused = await fleet.send("hooked", "hello", ["--verify"]);
    expect(refused.code).toBe(1);
    // The operator's choice, not ours.
    expect((await fleet.tmux.tmux("send-keys", "-t", "=hooked:", "Enter")).ok).toBe(true);
    await waitForScreen(fleet, "hooked", /for shortcuts/);
    const message = "hello from mosaic";
    const run = await fleet.send("hooked", message, ["--verify", "--timeout", "20s", "-o", "json"]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { verified: boolean; evidence: { method: string; ack: string } };
    expect(out).toMatchObject({ verified: true, evidence: { method: "heartbeat-ack", ack: ackOf(message) } });
    // The heartbeat vouches for Claude itself (the pane's process), not the short-lived hook.
    const hb = readHb(fleet.hbPath("hooked"));
    expect(hb?.ack).toBe(ackOf(message));
    expect(hb?.pid).toBe(await fleet.tmux.panePid("hooked"));
    expect(hb?.fields["acks"]).toBe("1");
  }, 120_000);

  it("without an adapter, --verify into Claude is never verified by its screen (exit 1)", async () => {
    await waitForScreen(fleet, "byexe", /for shortcuts/);
    const run = await fleet.send("byexe", "hello", ["--verify", "-o", "json"]);
    expect(run.code, run.stdout).toBe(1);
    const out = JSON.parse(run.stdout) as { delivered: boolean; verified: boolean; message: string };
    expect(out).toMatchObject({ delivered: true, verified: false });
    expect(out.message).toMatch(/not verified: it runs a full-screen program|answered with an error/);
  }, 60_000);
});
