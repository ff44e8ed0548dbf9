import { ownSession } from "../system/index.js";
import { AGENT_NAME_RE } from "../spec/index.js";

// Which agent a runtime is: the argument, else MOSAIC_AGENT_NAME, else the tmux session
// it runs in (the unit → tmux hand-off is known to lose MOSAIC_AGENT_NAME).

interface AgentIdentity {
  name: string;
  source: "argument" | "MOSAIC_AGENT_NAME" | "tmux session";
}

/** Resolve the agent name, or explain why none could be found. */
export async function resolveAgentName(
  arg: string | undefined,
  env: NodeJS.ProcessEnv,
  tmuxTimeoutMs = 2_000,
): Promise<AgentIdentity | { error: string }> {
  const check = (name: string, source: AgentIdentity["source"]): AgentIdentity | { error: string } =>
    AGENT_NAME_RE.test(name)
      ? { name, source }
      : { error: `invalid agent name "${name}" (from ${source}): use letters, digits, _ and -` };
  if (arg !== undefined && arg !== "") return check(arg, "argument");
  const fromEnv = env["MOSAIC_AGENT_NAME"];
  if (fromEnv) return check(fromEnv, "MOSAIC_AGENT_NAME");
  const session = await ownSession(env, tmuxTimeoutMs);
  if (session !== null) return check(session, "tmux session");
  return { error: "no agent name: pass NAME, set MOSAIC_AGENT_NAME, or run inside the agent's tmux session" };
}
