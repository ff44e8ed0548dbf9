// `fleet ps --watch` judges on the clock only the agents whose verdict a clock can have
// changed (src/diff/clock-deadline.ts, src/cli/watch-judge.ts). The property: for any
// facts and any sequence of clocks, what the watch decides to redraw on (its
// fingerprint: states, statuses, reasons — not ages) is exactly what judging every agent
// again at that clock gives. And no file of the diff stage reads the clock without
// clock-deadline.ts knowing its moments.

import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fingerprint } from "../../src/cli/watch-loop.js";
import { WatchJudge } from "../../src/cli/watch-judge.js";
import { buildFleetStatus } from "../../src/diff/status.js";
import type { HeartbeatObservation, ProcessInfo, TmuxPane, UnitState } from "../../src/observe/types.js";
import { agentSpec, NOW_MS, NOW_S, pane, present, proc, unit, world, type ObservedAgent } from "./facts.js";

const NAMES = ["a0", "a1", "a2", "a3", "a4"];

/** Seconds, sometimes fractional (a roster may say 1.5s). */
const seconds = (max: number) => fc.oneof(fc.integer({ min: 0, max }), fc.double({ min: 0.1, max, noNaN: true }));

const arbSpec = (name: string) =>
  fc
    .record({
      interval: fc.oneof(fc.constantFrom(1, 5, 15, 60), fc.double({ min: 0.5, max: 120, noNaN: true })),
      expected: fc.boolean(),
      waitingAfter: fc.oneof(seconds(60), seconds(300)),
      progressTimeout: fc.oneof(fc.constantFrom(1, 60, 1800), seconds(900)),
      ephemeral: fc.boolean(),
    })
    .map((r) =>
      agentSpec({
        name,
        lifecycle: r.ephemeral ? "ephemeral" : "core",
        heartbeat: { expected: r.expected, intervalS: r.interval },
        attention: { waitingAfterS: r.waitingAfter, progressTimeoutS: r.progressTimeout },
      }),
    );

/** What is observed of one agent: a heartbeat around now (past, future, with or without since), its writer, the pane, the unit's restarts. */
const arbObserved = (name: string): fc.Arbitrary<ObservedAgent> =>
  fc
    .record({
      hb: fc.oneof(
        fc.constant<"missing">("missing"),
        fc.record({
          // Mostly within a few intervals of now, where moments fall between ticks.
          ts: fc.oneof(fc.integer({ min: -90, max: 10 }), fc.integer({ min: -900, max: 30 })),
          /** `since`, relative to ts. */
          since: fc.option(fc.oneof(fc.integer({ min: -120, max: 30 }), fc.integer({ min: -1200, max: 60 })), {
            nil: undefined,
          }),
          status: fc.constantFrom("idle", "working", "waiting"),
        }),
      ),
      writer: fc.constantFrom("pane", "gone", "reused"),
      pane: fc.constantFrom("alive", "dead", "missing"),
      activity: fc.integer({ min: -1800, max: 0 }),
      restarts: fc.integer({ min: 0, max: 5 }),
      started: fc.option(fc.integer({ min: -1_200_000, max: 0 }), { nil: null }),
      sub: fc.constantFrom("running", "auto-restart", "exited"),
    })
    .map((r) => {
      const root: ProcessInfo = proc(["python3", "/opt/mosaic/dogfood-agent.py"]);
      const p: TmuxPane | null =
        r.pane === "missing"
          ? null
          : pane(name, { pid: root.pid, dead: r.pane === "dead", activity: NOW_S + r.activity });
      const heartbeat: HeartbeatObservation =
        r.hb === "missing"
          ? { state: "missing" }
          : present({
              ts: NOW_S + r.hb.ts,
              pid: root.pid,
              status: r.hb.status,
              ...(r.hb.since === undefined ? {} : { since: NOW_S + r.hb.ts + r.hb.since }),
            });
      const writer =
        r.writer === "pane"
          ? root
          : r.writer === "gone"
            ? null
            : proc(["python3"], { pid: root.pid, startedAtMs: NOW_MS + 60_000 });
      const u: UnitState = unit(`mosaic-agent@${name}.service`, {
        active: "active",
        sub: r.sub,
        restarts: {
          count: r.restarts,
          result: "success",
          lastExit: { kind: "exited", status: 1 },
          mainStartedAtMs: r.started === null ? null : NOW_MS + r.started,
        },
      });
      return { pane: p, tree: { root, processes: [root] }, heartbeat, writer, unit: u };
    });

const arbWorld = fc
  .tuple(fc.tuple(...NAMES.map(arbSpec)), fc.tuple(...NAMES.map(arbObserved)))
  .map(([specs, observed]) => world(specs, Object.fromEntries(NAMES.map((name, i) => [name, observed[i]!]))));

/** Clocks after the first judging: steps of up to 20 minutes, some of them a millisecond. */
const arbClocks = fc.array(
  fc.oneof(
    fc.integer({ min: 1, max: 1_200_000 }),
    fc.integer({ min: 1, max: 60_000 }),
    fc.integer({ min: 1, max: 3_000 }),
    fc.constant(1),
  ),
  { minLength: 1, maxLength: 40 },
);

describe("watch: on the clock, only the agents a clock can change are judged again", () => {
  it("for any facts and clocks, the verdicts equal those of judging every agent again at that clock", () => {
    fc.assert(
      fc.property(
        arbWorld,
        fc.integer({ min: -60_000, max: 60_000 }),
        arbClocks,
        ({ fleet, observation }, start, steps) => {
          const judge = new WatchJudge(fleet, undefined);
          let nowMs = NOW_MS + start;
          let shown = judge.judge(observation, nowMs, null);
          let judgedAgain = 0;
          for (const step of steps) {
            nowMs += step;
            const due = judge.due(nowMs);
            judgedAgain += due.size;
            shown = judge.judge(observation, nowMs, shown, due);
            const full = buildFleetStatus(fleet, observation, { nowMs });
            expect(fingerprint(shown), `at +${nowMs - NOW_MS} ms`).toBe(fingerprint(full));
          }
          // Not every agent every time: the point of it (a loose bound; the fleet has 5).
          expect(judgedAgain).toBeLessThanOrEqual(steps.length * NAMES.length);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("a healthy heartbeat is judged again when it expires, not on every tick before", () => {
    const { fleet, observation } = world([agentSpec({ name: "a0", heartbeat: { expected: true, intervalS: 15 } })], {
      a0: { heartbeat: present({ ts: NOW_S - 2 }) },
    });
    const judge = new WatchJudge(fleet, undefined);
    let shown = judge.judge(observation, NOW_MS, null);
    for (let s = 1; s <= 42; s += 1) expect(judge.due(NOW_MS + s * 1000)).toEqual(new Set());
    const at = NOW_MS + 43_001;
    expect(judge.due(at)).toEqual(new Set(["a0"]));
    shown = judge.judge(observation, at, shown, judge.due(at));
    expect(shown.agents[0]!.heartbeat.state).toBe("stale");
  });
});

describe("clock-deadline.ts knows every reader of the clock in the diff stage", () => {
  it("the files of src/diff that read nowMs are the ones it accounts for", () => {
    const root = join(import.meta.dirname, "../../src/diff");
    const files = (readdirSync(root, { recursive: true }) as string[])
      .filter((f) => f.endsWith(".ts"))
      .filter((f) => /\bnowMs\b|Date\.now|performance\.now|new Date\(\)/.test(readFileSync(join(root, f), "utf8")))
      .map((f) => relative(root, join(root, f)))
      .sort();
    // Compares the clock with a moment (clock-deadline.ts lists each one):
    const compare = [
      "conditions/awaiting-input.ts",
      "conditions/crash-loop.ts",
      "conditions/no-progress.ts",
      "heartbeat-health.ts",
    ];
    // Only passes it on (assess, check, stale → heartbeat-health), or shows an age (status: idle_s, observedAt):
    const passOn = ["assess.ts", "conditions/check.ts", "conditions/stale.ts", "status.ts"];
    expect(files, "a new reader of the clock: add its moments to src/diff/clock-deadline.ts").toEqual(
      [...compare, ...passOn].sort(),
    );
  });
});
