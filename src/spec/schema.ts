import { z } from "zod";
import { DURATION_RE, parseDelay } from "./duration.js";

// Roster v1 as a zod schema: the single source of the roster's types and of its JSON
// Schema (`mosaic fleet schema`). Objects are strict: a typo must not pass silently.

import {
  AGENT_NAME_RE,
  HOST_RE,
  REMOTE_COMMAND_RE,
  RUNTIME_NAME_RE,
  SOCKET_RE,
  SSH_DESTINATION_RE,
  TENANT_RE,
  UNIT_RE,
} from "./names.js";

export { AGENT_NAME_RE, HOST_RE, RUNTIME_NAME_RE, SOCKET_RE, TENANT_RE, UNIT_RE };

const DURATION_MESSAGE = 'must be a positive duration such as "15s", "2m" or a whole number of seconds';
/**
 * Exactly one of text in DURATION_RE's grammar or whole seconds from 1 up. In the JSON
 * Schema it becomes if string / then the text form / else the number form
 * (json-schema.ts), so an editor explains what is wrong with the value as written.
 */
export const DurationSchema = z
  .xor(
    [
      z.string().regex(DURATION_RE, DURATION_MESSAGE).meta({
        description:
          'a positive number of at most 15 digits with a unit ms, s, m or h ("500ms", "1.5s", "15s", "2m", "1h"; a fraction needs a unit), or whole seconds ("90"); not zero',
      }),
      z.int().min(1, DURATION_MESSAGE).meta({ description: "whole seconds, at least 1" }),
    ],
    { error: DURATION_MESSAGE },
  )
  .meta({
    description: 'A positive duration: "15s", "2m", "1h", "500ms" or whole seconds (30); zero is refused',
    examples: ["15s", "2m", 30],
  });

const DELAY_MESSAGE = 'must be a duration such as "0s", "90s", "30m" or a whole number of seconds';
const delay = z
  .union([z.int().nonnegative(DELAY_MESSAGE), z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)?$/, DELAY_MESSAGE)], {
    error: DELAY_MESSAGE,
  })
  .refine((v) => parseDelay(v) !== null, { message: DELAY_MESSAGE })
  .meta({ description: 'A duration, zero allowed: "0s", "90s", "30m" or whole seconds', examples: ["0s", "30m"] });

const attention = z
  .strictObject({
    waiting_after: delay
      .optional()
      .meta({ description: "AwaitingInput turns True once the agent has been waiting this long (default 0s)" }),
    progress_timeout: DurationSchema.optional().meta({
      description: "NoProgress turns True after this long working with no pane activity or status change (default 30m)",
    }),
  })
  .meta({ description: "when an agent's own state (heartbeat status) needs the operator's attention" });

const heartbeat = z
  .union([
    z.boolean(),
    z.strictObject({
      interval: DurationSchema.optional(),
    }),
  ])
  .meta({ description: "false: this agent writes no heartbeat; else its heartbeat settings" });

const overridable = {
  tenant: z
    .string()
    .regex(TENANT_RE, "must be a Linux user name (lowercase, digits, _ or -)")
    .optional()
    .meta({ description: "tenant_id: the Linux user that owns these agents (default: the invoking user)" }),
  host: z
    .string()
    .regex(HOST_RE, "must be a host name")
    .optional()
    .meta({ description: "host the agent runs on (default: this machine's hostname)" }),
  socket: z
    .string()
    .regex(SOCKET_RE, "must be a tmux socket name (letters, digits, _ . -)")
    .optional()
    .meta({ description: "tmux -L socket name" }),
  unit: z
    .string()
    .regex(UNIT_RE, 'must be a systemd unit name such as "mosaic-agent@{name}.service"')
    .optional()
    .meta({ description: "systemd user unit; {name} is replaced by the agent name" }),
  lifecycle: z
    .enum(["core", "ephemeral"])
    .optional()
    .meta({ description: "core = always on; ephemeral = may be absent" }),
  boot: z.enum(["enabled", "any"]).optional().meta({ description: "expected UnitFileState for core agents" }),
  heartbeat: heartbeat.optional(),
  attention: attention.optional(),
};

const AgentSchema = z.strictObject({
  name: z
    .string()
    .regex(AGENT_NAME_RE, "must match ^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$ (no . : / globs, spaces or shell characters)")
    .meta({ description: "the agent's tmux session name" }),
  runtime: z
    .string()
    .regex(RUNTIME_NAME_RE, "must be a runtime name (lowercase letters, digits, _ or -)")
    .meta({ description: "built in (claude, codex, pi, opencode, stub, shell) or declared under runtimes:" }),
  ...overridable,
});

const DefaultsSchema = z.strictObject(overridable);

const RuntimeSchema = z.strictObject({
  match: z
    .array(
      z
        .string()
        .min(1)
        .regex(/^[^\s]+$/, "must be a program name or a path tail, without spaces")
        // A regex, not a refine, so the JSON Schema says it too (test/spec/schema-agreement.test.ts).
        .regex(/[^/*]/, "must name something besides / and *"),
    )
    .min(1)
    .meta({
      description:
        "program names (basename of argv[0], or of the script under an interpreter) or path tails (with a /, `*` = one segment) that identify this runtime",
    }),
  description: z.string().optional(),
});

// How to reach a host (docs/roster.md, Hosts): over the operator's own ssh (port and
// identity from ~/.ssh/config, as with ansible), or this machine under another name.
const HostSchema = z
  .strictObject({
    ssh: z
      .string()
      .regex(SSH_DESTINATION_RE, 'must be an ssh destination "[user@]address" (no options, no spaces)')
      .optional()
      .meta({ description: "[user@]address to reach the host with the system's ssh; port and key from ~/.ssh/config" }),
    local: z
      .literal(true, { error: "must be true (omit it for a host reached over ssh)" })
      .optional()
      .meta({ description: "true: this host is this machine (observed here, no ssh)" }),
    mosaic: z
      .string()
      .regex(
        REMOTE_COMMAND_RE,
        "must be a program named mosaic, optionally after its interpreter, in plain path characters: mosaic, /usr/local/bin/mosaic or /usr/bin/node /srv/mosaic/bin/mosaic",
      )
      .optional()
      .meta({ description: "the mosaic command on the remote host (default: mosaic)" }),
  })
  .refine((host) => (host.ssh === undefined) !== (host.local === undefined), {
    message: 'a host needs exactly one of ssh: "[user@]address" or local: true',
  });

export const RosterSchema = z
  .strictObject({
    version: z
      .literal(1, { error: "unsupported roster version; this mosaic reads version: 1" })
      .meta({ description: "roster format version; only 1 exists" }),
    // Counted in characters (code points), as JSON Schema's minLength/maxLength count
    // them, not in UTF-16 units as zod's .max() would: 100 emoji are 100 characters.
    fleet: z
      .string()
      .refine((name) => name !== "" && [...name].length <= 128, "must be 1 to 128 characters")
      .optional()
      .meta({ description: "fleet name (default: the socket name)", minLength: 1, maxLength: 128 }),
    defaults: DefaultsSchema.optional(),
    runtimes: z.record(z.string().regex(RUNTIME_NAME_RE, "must be a runtime name"), RuntimeSchema).optional(),
    hosts: z.record(z.string().regex(HOST_RE, "must be a host name"), HostSchema).optional().meta({
      description: "how to reach each host agents name: ssh or local (default: only this machine is observed)",
    }),
    agents: z.array(AgentSchema),
  })
  .meta({
    title: "mosaic fleet roster v1",
    description: "The desired state of a fleet of AI agents in tmux panes under systemd user units.",
  });

export type RosterDocument = z.infer<typeof RosterSchema>;
export type AgentEntry = z.infer<typeof AgentSchema>;

/** Keys each object accepts, for did-you-mean hints on unknown keys. */
export const KNOWN_KEYS = {
  roster: Object.keys(RosterSchema.shape),
  defaults: Object.keys(DefaultsSchema.shape),
  agent: Object.keys(AgentSchema.shape),
  runtime: Object.keys(RuntimeSchema.shape),
  host: ["ssh", "local", "mosaic"],
  heartbeat: ["interval"],
  attention: ["waiting_after", "progress_timeout"],
} as const;
