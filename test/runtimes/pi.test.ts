// pi, the real program (0.73.1), offline in a private pane with no provider configured:
// it takes the line and answers `Error: No API key found` — never acceptance.

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Fleet } from "../integration/send-support.js";
import {
  MISSING,
  PI_CLI,
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

describe.skipIf(MISSING)("pi (real, offline)", () => {
  beforeAll(async () => {
    fleet = await offlineFleet("rt-pi");
    fleet.writeRoster([
      { name: "pi", runtime: "pi", heartbeat: false },
      { name: "pihb", runtime: "pi" },
    ]);
    fleet.writeRoster(
      [
        { name: "pi", runtime: "codex" },
        { name: "pihb", runtime: "claude" },
      ],
      { path: join(fleet.base, "wrong.yaml") },
    );
    for (const name of ["pi", "pihb"]) {
      const where = makeHome(fleet, name);
      // `node …/dist/cli.js`, as npm's link runs it; it retitles itself `pi`.
      await startRuntime(fleet, name, [process.execPath, PI_CLI()], { ...QUIET_ENV, HOME: where.home }, where.work);
    }
    await waitForScreen(fleet, "pi", /pi v\d/);
    await waitForScreen(fleet, "pihb", /pi v\d/);
  }, 90_000);

  afterAll(async () => {
    await stopRuntimeFleet(fleet);
  });

  it("runtime match: Drift False as pi, True under another runtime", async () => {
    const right = await rows(fleet, fleet.roster);
    const wrong = await rows(fleet, join(fleet.base, "wrong.yaml"));
    for (const name of ["pi", "pihb"]) {
      expect(driftOf(right.get(name)), name).toMatchObject({ status: "False" });
      expect(driftOf(wrong.get(name)), name).toMatchObject({ status: "True" });
    }
  });

  it("agent watch shows its screen", async () => {
    await watchShows(fleet, "pi", /pi v\d/);
  }, 60_000);

  it("--verify fails on pi's error reply: exit 1, delivered, not accepted, the error quoted", async () => {
    const run = await fleet.send("pi", "hello", ["--verify", "-o", "json"]);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const out = JSON.parse(run.stdout) as { delivered: boolean; verified: boolean; message: string };
    expect(out).toMatchObject({ delivered: true, verified: false });
    expect(out.message).toMatch(/answered with an error \("Error: No API key found/);
  }, 60_000);

  it("with a heartbeat expected but no adapter, --verify waits for an ack that never comes: exit 1", async () => {
    const run = await fleet.send("pihb", "hello", ["--verify", "--timeout", "3s", "-o", "json"]);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const out = JSON.parse(run.stdout) as { verified: boolean; evidence: { method: string; errorReply?: string } };
    expect(out).toMatchObject({ verified: false, evidence: { method: "heartbeat-ack" } });
    expect(out.evidence.errorReply).toMatch(/No API key found/);
  }, 60_000);
});
