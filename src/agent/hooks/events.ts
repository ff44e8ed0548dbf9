import type { AgentStatusWord } from "../../heartbeat/index.js";

// What a runtime's hook event means for the agent's heartbeat (docs/heartbeat.md,
// "Runtime adapters"): pure functions from a payload, already JSON-parsed and
// untrusted, to the state to write — or null for an event that changes nothing.
// Nothing here reads or writes files.

export interface HookUpdate {
  status: AgentStatusWord;
  /** The reason shown with the status (a permission asked for, why the session ended). */
  note?: string;
  /** The submitted prompt, acknowledged as ack=sha256(prompt)[:12] like the stub does. */
  prompt?: string;
}

type Payload = Record<string, unknown>;

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const isPayload = (value: unknown): value is Payload =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The lifecycle events Claude Code's and Codex's command hooks share (the payload on
 * stdin, named by `hook_event_name`, same fields); undefined for any other event.
 */
function sharedHookUpdate(event: string | undefined, payload: Payload): HookUpdate | null | undefined {
  switch (event) {
    case "SessionStart":
      return { status: "idle", note: `session ${str(payload["source"]) ?? "started"}` };
    case "UserPromptSubmit": {
      const prompt = str(payload["prompt"]);
      return prompt === undefined ? { status: "working" } : { status: "working", prompt };
    }
    case "PreToolUse": {
      const tool = str(payload["tool_name"]);
      return tool ? { status: "working", note: `tool ${tool}` } : { status: "working" };
    }
    case "PostToolUse":
      return { status: "working" };
    case "Stop":
      return { status: "idle" };
    case undefined:
      return null;
    default:
      return undefined;
  }
}

/** Claude Code command hooks: the shared events, and its own. */
export function claudeCodeUpdate(payload: unknown): HookUpdate | null {
  if (!isPayload(payload)) return null;
  const event = str(payload["hook_event_name"]);
  const shared = sharedHookUpdate(event, payload);
  if (shared !== undefined) return shared;
  switch (event) {
    case "SubagentStop":
    case "PreCompact":
      return { status: "working" };
    case "Notification":
      return claudeNotification(payload);
    case "SessionEnd":
      return { status: "exited", note: `session ended (${str(payload["reason"]) ?? "unknown reason"})` };
    case undefined:
    default:
      return null;
  }
}

/**
 * A notification is the runtime asking for the operator: a permission prompt (waiting)
 * — except `idle_prompt`, sent ~60 s after a turn ends, which means done and ready
 * (it also covers a turn that ended in an API error, where Stop never fires).
 */
function claudeNotification(payload: Payload): HookUpdate {
  const type = str(payload["notification_type"]);
  const message = str(payload["message"]);
  const withNote = (status: AgentStatusWord): HookUpdate => (message ? { status, note: message } : { status });
  if (type === "idle_prompt") return withNote("idle");
  return withNote("waiting");
}

/** Codex lifecycle hooks (hooks.json): the payload on stdin, like Claude Code's; only the shared events. */
export function codexHookUpdate(payload: unknown): HookUpdate | null {
  if (!isPayload(payload)) return null;
  return sharedHookUpdate(str(payload["hook_event_name"]), payload) ?? null;
}

/** Codex's `notify` program: one JSON argument, `type: agent-turn-complete` when a turn ends. */
export function codexNotifyUpdate(payload: unknown): HookUpdate | null {
  if (!isPayload(payload)) return null;
  switch (str(payload["type"])) {
    case "agent-turn-complete": {
      const last = str(payload["last-assistant-message"])?.split("\n")[0]?.trim();
      return last ? { status: "idle", note: `turn complete: ${last}` } : { status: "idle", note: "turn complete" };
    }
    case "approval-requested":
      return { status: "waiting", note: "approval requested" };
    case undefined:
    default:
      return null;
  }
}
