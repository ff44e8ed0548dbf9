// `fleet ps --watch -o json` writes each document from the row texts it kept since the
// last one (src/report/watch-json.ts): rows no event touched are the same objects, and
// their text is not made again. Whatever rows change, stay or come and go, and whatever
// they hold (control bytes, DEL, C1 controls, line separators, bidi marks, astral
// characters), the line is byte for byte jsonSafe(JSON.stringify(document)).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AgentStatus, FleetStatus } from "../../src/diff/types.js";
import { watchJson } from "../../src/report/watch-json.js";
import { jsonSafe } from "../../src/terminal-text.js";
import { arbAgent, arbFleet } from "./arbitrary-fleet.js";
import { sampleFixPlan } from "./sample-status.js";

const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom("\u007f", "\u009b", "\u2028", "\u202e", "\u2066", "\u200e", "\u001b", "\n", '"', "\\", "🙂"),
    fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  ),
});

/** An agent row, sometimes with a note and status of any text (what a heartbeat file may carry). */
const row: fc.Arbitrary<AgentStatus> = fc
  .tuple(arbAgent, fc.option(text, { nil: undefined }), fc.option(text, { nil: null }))
  .map(([agent, note, status]) => ({
    ...agent,
    heartbeat: { ...agent.heartbeat, status, ...(note === undefined ? {} : { note }) },
  }));

interface Step {
  replaced: [number, AgentStatus][];
  dropped: number | undefined;
  added: AgentStatus | undefined;
  observedAt: string;
  withPlan: boolean;
  unmanaged: string | undefined;
}

/** One round of the watch: some rows judged again (new objects), the rest handed on as they are. */
const step: fc.Arbitrary<Step> = fc.record({
  replaced: fc.array(fc.tuple(fc.nat(), row), { maxLength: 4 }),
  dropped: fc.option(fc.nat(), { nil: undefined }),
  added: fc.option(row, { nil: undefined }),
  observedAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  withPlan: fc.boolean(),
  unmanaged: fc.option(text, { nil: undefined }),
});

function next(previous: FleetStatus, s: Step): FleetStatus {
  const agents = [...previous.agents];
  for (const [at, replacement] of s.replaced) if (agents.length > 0) agents[at % agents.length] = replacement;
  if (s.dropped !== undefined && agents.length > 0) agents.splice(s.dropped % agents.length, 1);
  if (s.added !== undefined) agents.push(s.added);
  const { fixPlan: _plan, ...plain } = previous;
  const unmanaged =
    s.unmanaged === undefined
      ? previous.unmanaged
      : [{ session: s.unmanaged, socket: "mosaic-factory", tenant_id: "jarvis", host: "W-jarvis" }];
  const status: FleetStatus = { ...plain, observedAt: s.observedAt, agents, unmanaged };
  return s.withPlan ? { ...status, fixPlan: sampleFixPlan() } : status;
}

describe("watchJson: a watch document from kept row texts", () => {
  it("over any sequence of rounds, each line is byte for byte jsonSafe(JSON.stringify(document))", () => {
    fc.assert(
      fc.property(arbFleet, fc.array(step, { minLength: 1, maxLength: 8 }), (start, steps) => {
        let status = start;
        expect(watchJson(status)).toBe(jsonSafe(JSON.stringify(status)));
        for (const s of steps) {
          status = next(status, s);
          const line = watchJson(status);
          expect(line).toBe(jsonSafe(JSON.stringify(status)));
          expect(JSON.parse(line)).toEqual(JSON.parse(JSON.stringify(status)));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("members and rows JSON leaves out or writes as null, and odd keys, as JSON.stringify has them", () => {
    const odd = {
      "k\u2028\u007f": 1,
      gone: undefined,
      agents: [{ a: "\u009b" }, undefined, null, 3, "x\u202e", [1, { b: undefined }]],
      when: new Date(0),
      fn: () => 1,
    } as unknown as FleetStatus;
    expect(watchJson(odd)).toBe(jsonSafe(JSON.stringify(odd)));
    expect(watchJson(odd)).toBe(watchJson(odd));
    const empty = {} as unknown as FleetStatus;
    expect(watchJson(empty)).toBe("{}");
  });
});
