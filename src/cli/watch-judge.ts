import { buildFleetStatus, factsFor, nextClockChangeMs, type FleetStatus } from "../diff/index.js";
import type { FleetObservation } from "../observe/index.js";
import type { FleetSpec } from "../spec/index.js";

/**
 * `fleet ps --watch`'s judging of held facts (docs/commands.md, Watch): only the agents
 * named are judged again, the other rows are handed on as they are; and it knows, per
 * agent, the clock at which its verdict may change with no new fact
 * (src/diff/clock-deadline.ts), so a clock tick judges only the agents due by then.
 */
export class WatchJudge {
  /** Agent → the clock at which its verdict may change with no new fact. */
  private readonly clockChanges = new Map<string, number>();

  constructor(
    private readonly fleet: FleetSpec,
    private readonly socketOverride: string | undefined,
  ) {}

  /** Judge `observation` at `nowMs`: every agent, or only those in `only` (the others keep their rows in `previous`). */
  judge(observation: FleetObservation, nowMs: number, previous: FleetStatus | null, only?: Set<string>): FleetStatus {
    const judged = new Set<string>();
    const status = buildFleetStatus(
      this.fleet,
      observation,
      { nowMs, ...(this.socketOverride !== undefined ? { socketOverride: this.socketOverride } : {}) },
      (agent, index) => {
        const row = only && previous?.agents[index];
        if (row && row.name === agent.name && !only.has(agent.name)) return row;
        judged.add(agent.name);
        return undefined;
      },
    );
    for (const agent of this.fleet.agents)
      if (judged.has(agent.name)) {
        const facts = factsFor(agent, this.socketOverride ?? agent.socket, observation);
        this.clockChanges.set(agent.name, nextClockChangeMs(agent, facts, nowMs));
      }
    return status;
  }

  /** The agents whose verdict the clock may have changed by `nowMs`, with `also`. */
  due(nowMs: number, also: Iterable<string> = []): Set<string> {
    const due = new Set(also);
    for (const [name, at] of this.clockChanges) if (at <= nowMs) due.add(name);
    return due;
  }
}
