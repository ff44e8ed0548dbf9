import { FUTURE_TOLERANCE_S, STALE_AFTER_INTERVALS } from "./heartbeat-health.js";
import { CRASH_LOOP_WINDOW_MS } from "./conditions/crash-loop.js";
import type { AgentSpec } from "../spec/index.js";
import type { AgentFacts } from "./types.js";

// When the clock alone can change an agent's verdict (`fleet ps --watch`, docs/commands.md,
// Watch). Held facts are judged again on the clock only for the agents whose verdict a
// clock can change by now; every comparison of the clock in the judging is a comparison
// with a moment fixed by the facts, listed here one by one:
//   - heartbeat health (Stale, and AwaitingInput's and NoProgress's fresh heartbeat):
//     a timestamp from the future stops being one at ts − FUTURE_TOLERANCE_S, and a
//     heartbeat expires at ts + 3 × interval (docs/heartbeat.md);
//   - AwaitingInput: waiting turns True at min(since, ts) + attention.waiting_after;
//   - NoProgress: quiet turns True at max(pane activity, min(since, ts)) + progress_timeout;
//   - CrashLoop: a recent start stops being recent at its start + CRASH_LOOP_WINDOW_MS.
// Between two such moments the verdict (states, statuses, reasons) is the same at any
// clock; only ages and the numbers in messages move. A check that reads the clock in a
// way not listed here must add its moments (test/diff/clock-deadline.test.ts lists the
// files that read the clock and fails on a new one).

/** Slack around each moment for the floating-point arithmetic of the checks (ms). */
const SLACK_MS = 1;

/** The moments (ms) at which a clock comparison in the judging of these facts flips. */
export function clockMoments(agent: AgentSpec, facts: AgentFacts): number[] {
  const moments: number[] = [];
  const hb = facts.heartbeat;
  if (hb.state === "present") {
    const { ts, since } = hb.record;
    moments.push((ts - FUTURE_TOLERANCE_S) * 1000, (ts + STALE_AFTER_INTERVALS * agent.heartbeat.intervalS) * 1000);
    moments.push((Math.min(since ?? ts, ts) + agent.attention.waitingAfterS) * 1000);
    const pane = facts.tmux.ok ? facts.tmux.pane : null;
    if (pane !== null)
      moments.push((Math.max(pane.activity, Math.min(since ?? 0, ts)) + agent.attention.progressTimeoutS) * 1000);
  }
  const started = facts.systemd.ok ? facts.systemd.unit.restarts?.mainStartedAtMs : null;
  if (started !== null && started !== undefined) moments.push(started + CRASH_LOOP_WINDOW_MS);
  return moments;
}

/**
 * The earliest clock at which the verdict judged at `judgedAtMs` may differ: −Infinity
 * when a moment cannot be computed (judge again every time), Infinity when no clock can
 * change it (only new facts can).
 */
export function nextClockChangeMs(agent: AgentSpec, facts: AgentFacts, judgedAtMs: number): number {
  let next = Infinity;
  for (const moment of clockMoments(agent, facts)) {
    if (Number.isNaN(moment)) return -Infinity;
    if (moment + SLACK_MS >= judgedAtMs) next = Math.min(next, moment - SLACK_MS);
  }
  return next;
}
