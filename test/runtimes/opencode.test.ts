// opencode, the real program (1.18.33), offline in a private pane: an input box with a
// `┃` border, no prompt character and a grey placeholder — a send types into it.

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Fleet } from "../integration/send-support.js";
import { waitUntil } from "../integration/agent-support.js";
import {
  MISSING,
  OPENCODE_BIN,
  QUIET_ENV,
  driftOf,
  makeHome,
  offlineFleet,
  rows,
  startRuntime,
  stopRuntimeFleet,
  waitForScreen,
  watchShows,
} from "./runtimes-support.js";

let fleet: Fleet;

describe.skipIf(MISSING)("opencode (real, offline)", () => {
  beforeAll(async () => {
    fleet = await offlineFleet("rt-opencode");
    fleet.writeRoster([{ name: "oc", runtime: "opencode", heartbeat: false }]);
    fleet.writeRoster([{ name: "oc", runtime: "claude" }], { path: join(fleet.base, "wrong.yaml") });
    const where = makeHome(fleet, "oc");
    await startRuntime(fleet, "oc", [OPENCODE_BIN()], { ...QUIET_ENV, HOME: where.home }, where.work);
    // Its first start offline waits for plugin installs to fail: give it time.
    await waitForScreen(fleet, "oc", /Ask anything/, 120_000);
  }, 150_000);

  afterAll(async () => {
    await stopRuntimeFleet(fleet);
  });

  it("runtime match: Drift False as opencode, True as claude", async () => {
    expect(driftOf((await rows(fleet, fleet.roster)).get("oc"))).toMatchObject({ status: "False" });
    expect(driftOf((await rows(fleet, join(fleet.base, "wrong.yaml"))).get("oc"))).toMatchObject({ status: "True" });
  });

  it("agent watch shows its input box", async () => {
    await watchShows(fleet, "oc", /Ask anything/);
  }, 60_000);

  it("send types past the placeholder into the bordered box: exit 0 and the message is on screen", async () => {
    const run = await fleet.send("oc", "hello from mosaic");
    expect(run.code, run.stderr).toBe(0);
    await waitForScreen(fleet, "oc", /hello from mosaic/, 10_000);
    // Submitted: in the transcript, and the box it was typed into is empty again.
    let cursorLine = "";
    const submitted = await waitUntil(async () => {
      cursorLine = await fleet.cursorLine("oc");
      return !cursorLine.includes("hello from mosaic") && /hello from mosaic/.test(await fleet.capture("oc"));
    }, 30_000);
    expect(submitted, `still in the box: ${cursorLine}`).toBe(true);
  }, 60_000);

  it("--verify without an acknowledgement is not verified (exit 1)", async () => {
    // The first message left the box: opencode works on it (offline: retries, then an error).
    await waitForScreen(fleet, "oc", /esc interrupt|Cannot connect|Unable to connect|Error/i, 60_000);
    const run = await fleet.send("oc", "second message", ["--verify", "-o", "json"]);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(JSON.parse(run.stdout), run.stdout).toMatchObject({ delivered: true, verified: false });
  }, 60_000);
});
