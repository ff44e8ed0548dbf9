import { parseDuration } from "../spec/index.js";
import { STATUS_RE } from "../heartbeat/index.js";

// `mosaic agent stub --status SCRIPT`: the stub plays a sequence of heartbeat states, so
// the demo and the tests can show an agent waiting for its operator or one stuck at
// work. SCRIPT is comma-separated steps `STATUS[:DURATION][:note=TEXT]`; each step
// holds for its duration, the last one for good. `working:5s,waiting:note=Allow Bash?`
// works for 5 s, then waits for the operator. A note runs to the end of its step, so
// it may hold `:` but not `,`.

export interface StatusStep {
  status: string;
  /** Seconds this step lasts; null: until the end (the last step). */
  forS: number | null;
  note?: string;
}

const MAX_STEPS = 64;

/** Parse a status script, or say in one sentence what is wrong with it. */
export function parseStatusScript(text: string): StatusStep[] | { error: string } {
  const parts = text.split(",");
  if (parts.length > MAX_STEPS) return { error: `more than ${MAX_STEPS} steps` };
  const steps: StatusStep[] = [];
  for (const [i, part] of parts.entries()) {
    const noteAt = part.indexOf(":note=");
    const head = noteAt === -1 ? part : part.slice(0, noteAt);
    const note = noteAt === -1 ? undefined : part.slice(noteAt + ":note=".length);
    const [status = "", duration, ...extra] = head.split(":");
    if (!STATUS_RE.test(status)) return { error: `step ${i + 1}: "${status}" is not a status word` };
    if (extra.length > 0) return { error: `step ${i + 1}: expected STATUS[:DURATION][:note=TEXT]` };
    let forS: number | null = null;
    if (duration !== undefined && duration !== "") {
      forS = parseDuration(duration);
      if (forS === null) return { error: `step ${i + 1}: "${duration}" is not a duration such as 5s or 2m` };
    }
    steps.push({ status, forS: i === parts.length - 1 ? null : (forS ?? 0), ...(note ? { note } : {}) });
  }
  return steps;
}

/** Play the steps through `apply`; returns a function that stops the script. */
export function playStatusScript(steps: readonly StatusStep[], apply: (step: StatusStep) => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const play = (i: number) => {
    const step = steps[i];
    if (step === undefined) return;
    apply(step);
    if (step.forS !== null) timer = setTimeout(() => play(i + 1), Math.min(2 ** 31 - 1, step.forS * 1000));
  };
  play(0);
  return () => clearTimeout(timer);
}
