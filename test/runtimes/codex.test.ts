// Codex, the real program (0.171.0), offline in private panes: its sign-in menu is
// refused without a key pressed (Enter there starts an OAuth login), a send types into
// its idle input box past the dim placeholder, its terminal reader is found on a thread
// that is not the main one, and its app-server daemons are not taken for the agent.

import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { foregroundWaitingForInput } from "../../src/agent/pane.js";
import { expectOneLineError, type Fleet } from "../integration/send-support.js";
import { waitUntil } from "../integration/agent-support.js";
import {
  CODEX_BIN,
  MISSING,
  QUIET_ENV,
  driftOf,
  makeHome,
  offlineFleet,
  rows,
  runOffline,
  snapshot,
  startRuntime,
  stopRuntimeFleet,
  waitForScreen,
  watchShows,
} from "./runtimes-support.js";

let fleet: Fleet;
const WRONG = () => join(fleet.base, "wrong.yaml");

describe.skipIf(MISSING)("codex (real, offline)", () => {
  beforeAll(async () => {
    fleet = await offlineFleet("rt-codex");
    fleet.writeRoster([
      { name: "menu", runtime: "codex", heartbeat: false },
      { name: "idle", runtime: "codex", heartbeat: false },
    ]);
    fleet.writeRoster(
      [
        { name: "menu", runtime: "claude" },
        { name: "idle", runtime: "pi" },
      ],
      { path: WRONG() },
    );
    const menu = makeHome(fleet, "menu");
    await startRuntime(fleet, "menu", [CODEX_BIN()], { ...QUIET_ENV, HOME: menu.home }, menu.work);
    // Signed in with an API key (checked only when a request is sent): the input box.
    const idle = makeHome(fleet, "idle");
    runOffline([CODEX_BIN(), "login", "--with-api-key"], { ...QUIET_ENV, HOME: idle.home }, "sk-mosaic-offline");
    await startRuntime(fleet, "idle", [CODEX_BIN()], { ...QUIET_ENV, HOME: idle.home }, idle.work);
  }, 60_000);

  afterAll(async () => {
    await stopRuntimeFleet(fleet);
  });

  it("runtime match: the npm wrapper and the native binary are codex (Drift False), a wrong roster is Drift True", async () => {
    await waitForScreen(fleet, "menu", /Sign in with ChatGPT/);
    await waitForScreen(fleet, "idle", /Ask Codex to do anything|OpenAI Codex/);
    const right = await rows(fleet, fleet.roster);
    const wrong = await rows(fleet, WRONG());
    for (const name of ["menu", "idle"]) {
      expect(driftOf(right.get(name)), name).toMatchObject({ status: "False" });
      expect(driftOf(wrong.get(name)), name).toMatchObject({ status: "True" });
      // Named after the program in the foreground, never an app-server daemon.
      expect(driftOf(wrong.get(name)).message, name).toMatch(/pane runs codex/);
      expect(driftOf(wrong.get(name)).message, name).not.toMatch(/app-server/);
    }
  }, 90_000);

  it("agent watch shows the sign-in menu", async () => {
    await watchShows(fleet, "menu", /Sign in with ChatGPT/);
  }, 60_000);

  it("send refuses the sign-in menu before typing anything: exit 1, the menu unchanged, no login started", async () => {
    await waitForScreen(fleet, "menu", /Press enter to continue/);
    const before = await snapshot(fleet, "menu");
    for (const options of [[], ["--verify"]]) {
      const run = await fleet.send("menu", "hello", options);
      expect(run.code, run.stderr).toBe(1);
      expectOneLineError(run, /blocked on a dialog.*Sign in with ChatGPT.*Press enter to continue/);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await snapshot(fleet, "menu")).toBe(before);
    expect(await fleet.capture("menu")).not.toMatch(/Finish signing in/);
  }, 60_000);

  it("codex's terminal reader is a thread other than the main one, and the input-wait check finds it", async () => {
    await waitForScreen(fleet, "idle", /Ask Codex to do anything/);
    const panePid = await fleet.tmux.panePid("idle");
    const tty = await fleet.format("idle", "#{pane_tty}");
    // The native codex: the pane's node wrapper's child.
    const native = readdirSync("/proc")
      .filter((e) => /^\d+$/.test(e))
      .find((e) => {
        try {
          const stat = readFileSync(`/proc/${e}/stat`, "latin1");
          return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === panePid;
        } catch {
          return false;
        }
      });
    expect(native, "codex's native process").toBeDefined();
    const mainCall = readFileSync(`/proc/${native}/syscall`, "latin1").split(" ");
    const mainReadsTty =
      ["0", "7", "232", "281"].includes(mainCall[0] ?? "") &&
      readlinkSync(`/proc/${native}/fd/${Number.parseInt(mainCall[1] ?? "", 16)}`) === tty;
    expect(mainReadsTty, "the main thread is not the reader").toBe(false);
    expect(foregroundWaitingForInput(panePid, tty)).toBe(true);
  }, 60_000);

  it("send types into the idle input box past the dim placeholder: exit 0, and codex submits it", async () => {
    await waitForScreen(fleet, "idle", /Ask Codex to do anything/);
    const run = await fleet.send("idle", "hello from mosaic");
    expect(run.code, run.stderr).toBe(0);
    await waitForScreen(fleet, "idle", /hello from mosaic/, 10_000);
    // Submitted: in the transcript, and the box is empty again (an Enter taken for part
    // of a paste would have left the text in the box with a newline).
    let cursorLine = "";
    const submitted = await waitUntil(async () => {
      cursorLine = await fleet.cursorLine("idle");
      return !cursorLine.includes("hello from mosaic") && /hello from mosaic/.test(await fleet.capture("idle"));
    }, 120_000);
    expect(submitted, `still in the box: ${cursorLine}`).toBe(true);
  }, 150_000);

  it("--verify without an acknowledgement is not verified (exit 1): its screen proves nothing", async () => {
    // Offline, codex's request fails and it may put the last prompt back into its box: a
    // draft send rightly refuses. Clear it as the operator would, until the placeholder shows.
    const cleared = await waitUntil(async () => {
      await fleet.tmux.tmux("send-keys", "-t", "=idle:", "C-u");
      return /Ask Codex to do anything/.test(await fleet.capture("idle"));
    }, 60_000);
    expect(cleared, await fleet.capture("idle")).toBe(true);
    const run = await fleet.send("idle", "second message", ["--verify", "-o", "json"]);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const out = JSON.parse(run.stdout) as { delivered: boolean; verified: boolean; message: string };
    expect(out, run.stdout).toMatchObject({ delivered: true, verified: false });
    expect(out.message).toMatch(/not verified: it runs a full-screen program|answered with an error/);
  }, 60_000);

  it("-o wide says which helper processes left the pane's session", async () => {
    // codex starts its app-server daemons (setsid) soon after it starts.
    let helpers: string[] = [];
    const started = await waitUntil(async () => {
      helpers = (await rows(fleet, fleet.roster)).get("idle")?.runtime.helpers_left_session ?? [];
      return helpers.length > 0;
    }, 30_000);
    expect(started, "codex started no app-server daemon").toBe(true);
    expect(
      helpers.every((h) => /app-server/.test(h)),
      helpers.join(", "),
    ).toBe(true);
    const run = await fleet.cli(["fleet", "ps", "-f", fleet.roster, "-o", "wide", "--no-color"]);
    expect(run.stdout).toMatch(/left the pane's session: codex app-server/);
  }, 60_000);
});
