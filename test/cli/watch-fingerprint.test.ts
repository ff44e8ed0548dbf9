// The watch loop redraws when the agent's state changes (docs/commands.md `fleet ps
// --watch`): a new status word or note changes the fingerprint; a heartbeat merely
// getting older does not.

import { describe, expect, it } from "vitest";
import { fingerprint } from "../../src/cli/watch-loop.js";
import { fixtureStatus } from "../report/format-fixture.js";

describe("watch fingerprint", () => {
  it("changes with the heartbeat status and note, not with its age", () => {
    const base = fixtureStatus();
    const with_ = (change: (s: ReturnType<typeof fixtureStatus>) => void) => {
      const s = fixtureStatus();
      change(s);
      return fingerprint(s);
    };
    expect(with_((s) => (s.agents[1]!.heartbeat.age_s = 14))).toBe(fingerprint(base));
    expect(with_((s) => (s.agents[1]!.heartbeat.status = "waiting"))).not.toBe(fingerprint(base));
    expect(with_((s) => (s.agents[1]!.heartbeat.note = "Allow Bash?"))).not.toBe(fingerprint(base));
  });
});
