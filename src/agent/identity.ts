import { runCommand } from "../system/run.js";
import { AGENT_NAME_RE } from "../spec/names.js";

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
  if (env["TMUX"] && env["TMUX_PANE"]) {
    // Inside a pane, $TMUX is the server this pane belongs to: the right one to ask.
    const result = await runCommand(["tmux", "display-message", "-p", "-t", env["TMUX_PANE"], "#{session_name}"], {
      env,
      timeoutMs: tmuxTimeoutMs,
    });
    const session = result.stdout.trim();
    if (result.ok && session) return check(session, "tmux session");
  }
  return { error: "no agent name: pass NAME, set MOSAIC_AGENT_NAME, or run inside the agent's tmux session" };
}
