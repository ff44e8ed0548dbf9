import { z } from "zod";
import { AGENT_NAME_RE, SOCKET_RE } from "../spec/index.js";

// What the operator's side asks another host's mosaic to do for `agent send/logs/watch/
// attach` (docs/commands.md, Many hosts): one JSON request — the verb, the agent's name,
// its resolved roster entry, the message and options — as one base64url word,
// `mosaic agent over-ssh --request=WORD`. ssh joins argv into one string for the remote
// login shell, so the word must be inert there whatever the message holds: base64url is
// `A-Z a-z 0-9 - _` only. It travels in argv (not stdin) because `watch` and `attach` give
// the remote its stdin as their terminal.

export const REQUEST_OPTION = "--request";
/** Far above a one-agent roster and a 4 095-byte message; below any ARG_MAX. */
export const MAX_REQUEST_CHARS = 64 * 1024;

const AgentVerb = z.enum(["send", "logs", "watch", "attach"]);
/** The agent commands that can run on the agent's own host. */
export type AgentVerb = z.infer<typeof AgentVerb>;

const Request = z.strictObject({
  v: z.literal(1),
  verb: AgentVerb,
  name: z.string().regex(AGENT_NAME_RE),
  /** A roster document (JSON) holding the agent, as resolved on the operator's side. */
  roster: z.string().max(MAX_REQUEST_CHARS),
  socket: z.string().regex(SOCKET_RE).optional(),
  message: z
    .string()
    .max(16 * 1024)
    .optional(),
  verify: z.boolean().optional(),
  timeout: z.string().max(32).optional(),
  output: z.enum(["text", "json"]).optional(),
  lines: z.string().max(32).optional(),
  follow: z.boolean().optional(),
});
/** One request to another host's mosaic. */
export type AgentRequest = z.infer<typeof Request>;

/** The request as one shell-inert word: `--request=BASE64URL`. */
export function encodeRequest(request: AgentRequest): string {
  return `${REQUEST_OPTION}=${Buffer.from(JSON.stringify(request), "utf8").toString("base64url")}`;
}

/** The request a word carries, or one sentence saying why it is not one. */
export function decodeRequest(word: string): { ok: true; request: AgentRequest } | { ok: false; message: string } {
  if (word.length > MAX_REQUEST_CHARS * 2 || !/^[A-Za-z0-9_-]+$/.test(word))
    return { ok: false, message: "the request is not base64url" };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(word, "base64url").toString("utf8"));
  } catch {
    return { ok: false, message: "the request is not JSON" };
  }
  const parsed = Request.safeParse(json);
  if (!parsed.success) return { ok: false, message: "the request is not one this mosaic understands" };
  return { ok: true, request: parsed.data };
}
