// The watch loop redraws when the agent's state changes (docs/commands.md `fleet ps
// --watch`): a new status word or note changes the fingerprint; a heartbeat merely
// getting older does not.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { changedSince, fingerprint } from "../../src/cli/watch-loop.js";
import type { FleetStatus } from "../../src/diff/types.js";
import { arbAgent, arbFleet } from "../report/arbitrary-fleet.js";
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

describe("changedSince: the fingerprints compared, without making them", () => {
  it("for any two statuses sharing any of their rows, it says whether their fingerprints differ", () => {
    fc.assert(
      fc.property(
        arbFleet,
        fc.array(fc.tuple(fc.nat(), fc.oneof(arbAgent, fc.constant("copy" as const))), { maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        (shown, changes, sameTail, dropOne) => {
          const agents = [...shown.agents];
          for (const [at, change] of changes) {
            if (agents.length === 0) break;
            const i = at % agents.length;
            // A row judged again: a new object, the same print or another.
            agents[i] = change === "copy" ? structuredClone(agents[i]!) : change;
          }
          if (dropOne && agents.length > 0) agents.pop();
          const status: FleetStatus = {
            ...shown,
            observedAt: "2030-01-01T00:00:00.000Z",
            agents,
            unmanaged: sameTail
              ? shown.unmanaged
              : [...shown.unmanaged, { session: "x", socket: "s", tenant_id: "t", host: "h" }],
          };
          expect(changedSince(shown, status)).toBe(fingerprint(shown) !== fingerprint(status));
          expect(changedSince(status, status)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
    expect(changedSince(null, fixtureStatus())).toBe(true);
  });
});
