import { randomBytes } from "node:crypto";
import { ensurePrivateRunDir, readHeartbeat, sendLockPath, type HeartbeatObservation } from "../heartbeat/index.js";
import { answered, acquireLock } from "../system/index.js";
import { ackId } from "./ack.js";
import { describeExit } from "./exit-status.js";
import { findPane, foregroundWaitingForInput, readCursor, tmux, type CursorLine, type PaneClient } from "./pane.js";
import { draftOf, linesMatching, screenRulesFor, summarise, viewScreen } from "./screen.js";

// `agent send`: type a message literally into an agent's pane, then submit it, one
// sender at a time per agent — never into a dialog or over someone's draft. With
// `verify`, success needs proof: the agent's heartbeat acknowledging this message's id
// (the stub, or a runtime's hook adapter: docs/heartbeat.md), or — for a line-mode
// program without one — the screen showing the line left the input line, new output,
// and the program back waiting for input. A full-screen program always reads its
// terminal and redraws, so its screen is no proof: "delivered, not verified". An error
// printed in reply is never acceptance.

type SendOutcome =
  | { kind: "pane-gone"; message: string }
  | { kind: "refused"; message: string }
  | { kind: "delivered"; verified: boolean | null; evidence: Record<string, unknown>; message: string };

interface SendRequest {
  client: PaneClient;
  agent: string;
  /** The roster's runtime for the agent: which screen rules apply (src/spec/runtimes.ts). */
  runtime?: string | null;
  message: string;
  verify: boolean;
  timeoutMs: number;
  /** Where the agent's heartbeat lives, when the roster expects one. */
  heartbeatPath: string | null;
  runDir: string;
}

/** Looks at a screen before refusing it as a dialog or a draft, and the gap between them. */
const LOOKS = 3;
const LOOK_GAP_MS = 150;

/** How long a full-screen program without acknowledgements is watched for an error in reply. */
const SETTLE_MS = 3_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function ackState(hb: HeartbeatObservation): { ack: string | null; acks: number | null } {
  if (hb.state !== "present") return { ack: null, acks: null };
  const acks = hb.record.fields["acks"];
  return { ack: hb.record.ack ?? null, acks: acks !== undefined && /^\d+$/.test(acks) ? Number(acks) : null };
}

/**
 * Serialise senders per agent with a lock in the run directory: flock, so a sender
 * killed mid-send (even by SIGKILL) never blocks the next one.
 */
async function withAgentLock<T>(
  runDir: string,
  agent: string,
  timeoutMs: number,
  body: () => Promise<T>,
): Promise<T | { busy: string }> {
  ensurePrivateRunDir(runDir);
  const taken = await acquireLock(sendLockPath(runDir, agent), timeoutMs, `agent send ${agent}`);
  if (!taken.ok) return { busy: taken.busy ? `held by ${taken.holder ?? "another sender"}` : taken.message };
  try {
    return await body();
  } finally {
    taken.lock.release();
  }
}

/**
 * Whether any of the message (even a part still being echoed) sits in the input line —
 * across the rows a long draft wraps over. What follows the prompt must be empty, or
 * something that is not a piece of the message.
 */
function draftStillTyped(cursor: { screen: string[]; y: number }, message: string): boolean {
  const compact = (text: string) => text.replace(/\s+/g, "");
  const width = Math.max(1, ...cursor.screen.map((line) => line.length));
  const rows = Math.ceil(message.length / width) + 1;
  const input = compact(draftOf(cursor.screen.slice(Math.max(0, cursor.y - rows + 1), cursor.y + 1).join("")));
  if (input === "") return false;
  const wanted = compact(message);
  return wanted.startsWith(input) || input.endsWith(wanted) || wanted.includes(input);
}

/**
 * The rows the typed line occupies when echoed: the input line as it was (the prompt)
 * plus the message, cut at the pane's width. A screen row that is one of them, or the
 * start of one (an echo still arriving), is the echo, not the agent's output.
 */
function echoRows(promptLine: string, cursorX: number, message: string, width: number): string[] {
  // Typing starts at the cursor (capture-pane trims the prompt's trailing spaces).
  const full = `${promptLine.padEnd(cursorX).slice(0, cursorX)}${message}`;
  const rows: string[] = [];
  for (let start = 0; start < full.length; start += width) rows.push(full.slice(start, start + width).trimEnd());
  return rows;
}

function isEchoRow(line: string, rows: readonly string[]): boolean {
  const text = line.trimEnd();
  return text !== "" && rows.some((row) => row.startsWith(text));
}

/** Deliver, submit and (optionally) verify one message. */
export async function sendMessage(request: SendRequest): Promise<SendOutcome> {
  const started = Date.now();
  const result = await withAgentLock(request.runDir, request.agent, request.timeoutMs, () => deliver(request, started));
  if ("busy" in result)
    return {
      kind: "refused",
      message: `another send to ${request.agent} kept its lock for the whole timeout (${result.busy})`,
    };
  return result;
}

/** Lines that appeared since `before` and are not the typed line's echo. */
function newLines(before: CursorLine, after: CursorLine, message: string, width: number): string[] {
  const echo = echoRows(before.screen[before.y] ?? "", before.x, message, width);
  const seen = new Set(before.screen);
  return after.screen.filter((line) => line.trim() !== "" && !seen.has(line) && !isEchoRow(line, echo));
}

/** A new line that reads as an error in reply (and is not the message quoted back). */
function errorReply(lines: readonly string[], message: string, runtime: string | null): string | null {
  const candidates = lines.filter((line) => !line.includes(message.trim()));
  const hit = linesMatching(candidates, screenRulesFor(runtime).error)[0];
  return hit === undefined ? null : summarise([(candidates[hit] as string).trim()], 160);
}

/** A full-screen program: on the alternate screen, or drawing its own cursor with the terminal's hidden. */
function fullScreen(cursor: CursorLine): boolean {
  return cursor.alternateScreen || !cursor.cursorShown;
}

async function deliver(request: SendRequest, started: number): Promise<SendOutcome> {
  const { client, agent, message } = request;
  const runtime = request.runtime ?? null;
  const pane = await findPane(client, agent);
  if (!pane) return { kind: "pane-gone", message: `no tmux session "${agent}"` };
  if (pane.dead)
    return {
      kind: "pane-gone",
      message: `pane ${pane.paneId} of ${agent} is dead (its process exited${describeExit(pane.deadStatus)})`,
    };
  if (pane.inMode)
    return {
      kind: "refused",
      message: `pane ${pane.paneId} of ${agent} is in a mode (copy mode?); not typing into it`,
    };
  if (pane.inputOff) return { kind: "refused", message: `pane ${pane.paneId} of ${agent} has input disabled` };
  if (pane.synchronized)
    return {
      kind: "refused",
      message: `synchronize-panes is on for ${agent}'s window; typing would reach other panes`,
    };

  // Nothing is typed into a dialog (the text would answer it, and Enter would choose) or
  // over a draft. A full-screen program redrawing can park its cursor on a transcript
  // row for a moment: only what holds on a second and third look counts.
  let before: CursorLine | null = null;
  let view: ReturnType<typeof viewScreen> = { kind: "input", draft: "", marked: false };
  for (let look = 0; look < LOOKS; look += 1) {
    if (look > 0) await sleep(LOOK_GAP_MS);
    before = await readCursor(client, pane.paneId);
    if (!before) return { kind: "pane-gone", message: `cannot read pane ${pane.paneId} of ${agent}` };
    view = viewScreen(before.rows, before.y, screenRulesFor(runtime));
    if (view.kind === "input" && view.draft === "") break;
  }
  if (!before) return { kind: "pane-gone", message: `cannot read pane ${pane.paneId} of ${agent}` };
  if (view.kind === "dialog") {
    return {
      kind: "refused",
      message: `${agent} is blocked on a dialog, not at its input line; nothing was typed (it shows: "${summarise(view.shows)}")`,
    };
  }
  if (view.draft !== "") {
    return {
      kind: "refused",
      message: `someone's draft is in ${agent}'s input line ("${summarise([view.draft], 40)}"); not typing over it`,
    };
  }
  const hbBefore = request.heartbeatPath ? ackState(readHeartbeat(request.heartbeatPath)) : { ack: null, acks: null };

  // The text goes through a paste buffer fed on stdin: it never meets tmux's argument
  // or key-name parsing, so `Enter`, `C-c`, `-X cancel` or `a; kill-server` stay text.
  // Bracketed (-p) when the program asked for it: then it knows a paste from typing, and
  // the Enter that follows submits — codex takes an Enter right after unbracketed fast
  // input for part of a paste and puts a newline in its box instead.
  const buffer = `mosaic-send-${process.pid}-${randomBytes(4).toString("hex")}`;
  const typed = answered(
    await tmux(
      client,
      ["load-buffer", "-b", buffer, "-", ";", "paste-buffer", "-d", "-p", "-r", "-b", buffer, "-t", pane.paneId],
      message,
    ),
    `the tmux server at ${client.socketPath}`,
  );
  if (!typed.ok) return { kind: "pane-gone", message: `tmux refused to type into ${agent}: ${typed.message}` };
  const submitted = answered(
    await tmux(client, ["send-keys", "-t", pane.paneId, "Enter"]),
    `the tmux server at ${client.socketPath}`,
  );
  if (!submitted.ok) return { kind: "pane-gone", message: `tmux refused to submit to ${agent}: ${submitted.message}` };

  if (!request.verify) {
    return {
      kind: "delivered",
      verified: null,
      evidence: { method: "none", pane: pane.paneId },
      message: `delivered to ${agent} (${pane.paneId}) and submitted`,
    };
  }

  const id = ackId(message);
  const deadline = started + request.timeoutMs;
  const afterEnter = Date.now();
  // Without an acknowledgement, a full-screen program's screen proves nothing: look only
  // long enough to catch an error printed in reply, then say so.
  const screenOnlyDeadline =
    !request.heartbeatPath && fullScreen(before) ? Math.min(deadline, afterEnter + SETTLE_MS) : deadline;
  let screenEvidence: Record<string, unknown> = {};
  let error: string | null = null;
  let full = fullScreen(before);
  // Screen proof must hold on two looks in a row: a slow echo can look finished once.
  let acceptedOnce = false;
  while (Date.now() < screenOnlyDeadline) {
    if (request.heartbeatPath) {
      const now = ackState(readHeartbeat(request.heartbeatPath));
      const fresh = now.acks !== null && hbBefore.acks !== null ? now.acks > hbBefore.acks : now.ack !== hbBefore.ack;
      if (now.ack === id && fresh) {
        return {
          kind: "delivered",
          verified: true,
          evidence: {
            method: "heartbeat-ack",
            ack: id,
            acks: now.acks,
            ms: Date.now() - afterEnter,
            pane: pane.paneId,
          },
          message: `${agent} acknowledged the message (ack=${id})`,
        };
      }
    }
    const after = await readCursor(client, pane.paneId);
    if (after) {
      full = full || fullScreen(after);
      const width = Math.max(1, ...after.screen.map((l) => l.length), pane.width);
      const fresh = newLines(before, after, message, width);
      error = errorReply(fresh, message, runtime);
      // Without an acknowledgement path an error in reply settles it; with one, the ack
      // may still come (a hook fires as the prompt is submitted, the API error at once).
      if (error !== null && !request.heartbeatPath) break;
      const draftLeft = !draftStillTyped(after, message);
      const waiting = foregroundWaitingForInput(pane.pid, after.tty);
      screenEvidence = {
        draftLeftInputLine: draftLeft,
        newOutputLines: fresh.length,
        waitingForInput: waiting,
        fullScreen: full,
      };
      const accepted = !request.heartbeatPath && !full && draftLeft && fresh.length > 0 && waiting;
      if (accepted && !acceptedOnce) acceptedOnce = true;
      else if (accepted) {
        return {
          kind: "delivered",
          verified: true,
          evidence: { method: "screen", ...screenEvidence, ms: Date.now() - afterEnter, pane: pane.paneId },
          message: `${agent} took the message: it left the input line, output followed, and the program waits for input again`,
        };
      } else acceptedOnce = false;
    }
    await sleep(50);
  }
  const method = request.heartbeatPath ? "heartbeat-ack" : "screen";
  const evidence = {
    method,
    expectedAck: request.heartbeatPath ? id : undefined,
    ...screenEvidence,
    ...(error !== null ? { errorReply: error } : {}),
    pane: pane.paneId,
  };
  if (error !== null) {
    return {
      kind: "delivered",
      verified: false,
      evidence,
      message: `delivered to ${agent}, not accepted: it answered with an error ("${error}")`,
    };
  }
  if (!request.heartbeatPath && full) {
    return {
      kind: "delivered",
      verified: false,
      evidence,
      message: `delivered to ${agent}, not verified: it runs a full-screen program, whose screen cannot show a message was accepted; only an acknowledgement proves it (a hook adapter writing ack=<id> to its heartbeat, docs/heartbeat.md)`,
    };
  }
  const why = request.heartbeatPath
    ? `no ack=${id} in ${agent}'s heartbeat`
    : `the screen never showed the message accepted (${Object.entries(screenEvidence)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(", ")})`;
  return {
    kind: "delivered",
    verified: false,
    evidence,
    message: `not accepted within ${request.timeoutMs} ms: ${why}; it may be left as a draft, or the agent is wedged`,
  };
}
