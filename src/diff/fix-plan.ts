import type { AgentStatus, ConditionType, FixAction, FixStep, FleetStatus } from "./types.js";
import { findCondition, isTrue } from "./verdict.js";

// The remediation plan, terraform-plan style: argv steps a human could paste, the
// harmless ones (enable, start) before anything that restarts or kills, at most one
// restart per agent. Each step also carries its action as data (the command, the account
// it runs as, the unit or session it touches), which `fleet apply` checks against the
// roster and runs (docs/commands.md).

function conditionMessage(agent: AgentStatus, type: ConditionType): string {
  return findCondition(agent, type)?.message ?? "";
}

type Prefix = (agent: AgentStatus) => string[];

/** The `ssh DEST` part of a prefix (steps for another host), without any runuser. */
const sshPart = (prefix: string[]) => (prefix[0] === "ssh" ? prefix.slice(0, 2) : []);

/** A run started by a oneshot definition, while the unit file on disk now supervises (Type=exec…). */
export function legacyRun(agent: AgentStatus): boolean {
  const { unit } = agent;
  return (
    unit.active === "active" && unit.sub === "exited" && unit.file_type !== undefined && unit.file_type !== "oneshot"
  );
}

/** Steps for one agent, harmless first. */
function stepsFor(agent: AgentStatus, prefix: Prefix, delegated: boolean): FixStep[] {
  const runAs = delegated ? agent.tenant_id : null;
  const unitTarget = { unit: agent.unit.name };
  // Root fixing a tenant's fleet runs systemctl as that tenant, against its own manager.
  const systemctl = (kind: FixAction["kind"], ...args: string[]) => {
    const command = ["systemctl", "--user", ...args, agent.unit.name];
    const action: FixAction = { kind, command, run_as: runAs, target: unitTarget };
    return { argv: [...prefix(agent), ...command], action };
  };
  const who = { agent: agent.name, tenant_id: agent.tenant_id, host: agent.host };
  const steps: FixStep[] = [];
  const unitMissing = agent.unit.load === "not-found";
  if (unitMissing && (isTrue(agent, "UnitDown") || isTrue(agent, "BootDisabled"))) {
    // Nothing systemctl can do until the unit file exists; say so instead of guessing.
    steps.push({
      ...who,
      condition: isTrue(agent, "UnitDown") ? "UnitDown" : "BootDisabled",
      ...systemctl("advice", "cat"),
      disruptive: false,
      why: `${agent.unit.name} has no unit file: install contrib/systemd/ units into ~/.config/systemd/user/ and run systemctl --user daemon-reload`,
    });
    return steps;
  }
  const lingerOff = agent.conditions.some(
    (c) => c.type === "BootDisabled" && c.status === "True" && c.reason === "LingerDisabled",
  );
  if (lingerOff) {
    steps.push({
      ...who,
      condition: "BootDisabled",
      // Root's step on that host: over ssh for another host, never as the tenant.
      argv: [...sshPart(prefix(agent)), "loginctl", "enable-linger", agent.tenant_id],
      disruptive: false,
      why: `${conditionMessage(agent, "BootDisabled")}; enabling linger starts ${agent.tenant_id}'s user manager at boot, without a login`,
    });
  } else if (isTrue(agent, "BootDisabled")) {
    steps.push({
      ...who,
      condition: "BootDisabled",
      ...systemctl("enable", "enable"),
      disruptive: false,
      why: `${conditionMessage(agent, "BootDisabled")}; enabling makes it start at boot without touching the running agent`,
    });
  }
  if (isTrue(agent, "UnitDown")) {
    const enableToo = agent.lifecycle === "core" && agent.unit.enabled !== "enabled";
    steps.push({
      ...who,
      condition: "UnitDown",
      ...(enableToo ? systemctl("enable-now", "enable", "--now") : systemctl("start", "start")),
      disruptive: false,
      why: `${conditionMessage(agent, "UnitDown")}; start${enableToo ? " it and enable it at boot" : " it"}`,
    });
    return steps; // Starting the unit also recreates the pane.
  }
  if (legacyRun(agent)) {
    // The agent still runs as the old oneshot unit started it: its session was made by
    // that run, which the supervised `mosaic agent run` never takes over. Kill it, then
    // restart the unit under its current (supervised) definition. This restart also
    // remedies Drift/Stale/PaneDead, so no second one is planned.
    const command = ["tmux", "-L", agent.socket, "kill-session", "-t", `=${agent.name}`];
    steps.push({
      ...who,
      condition: "LegacyUnit",
      argv: [...prefix(agent), ...command],
      action: {
        kind: "kill-session",
        command,
        run_as: runAs,
        target: { session: agent.name, socket: agent.socket },
      },
      disruptive: true,
      why: `${agent.unit.name} runs as a oneshot started it (active/exited) but its unit file is now Type=${agent.unit.file_type}: end the old run's session so the supervised unit can start its own`,
    });
    steps.push({
      ...who,
      condition: "LegacyUnit",
      ...systemctl("restart", "restart"),
      disruptive: true,
      why: `start ${agent.name} under the supervised unit (systemd restarts it when it dies)`,
    });
    return steps;
  }
  const restartFor: ConditionType | undefined = (["PaneDead", "Drift", "Stale"] as const).find((type) =>
    isTrue(agent, type),
  );
  if (restartFor) {
    const why =
      restartFor === "PaneDead"
        ? `${conditionMessage(agent, "PaneDead")}; ${agent.unit.active === "active" ? "the unit is still active, so " : ""}restart the unit to recreate the pane`
        : restartFor === "Drift"
          ? `${conditionMessage(agent, "Drift")}; restart so the unit starts the roster's runtime (check its MOSAIC_AGENT_COMMAND first)`
          : `${conditionMessage(agent, "Stale")}; the agent looks wedged: restart it`;
    if (agent.unit.load === "unknown") {
      // systemd was not observed (no user manager reachable): whether the unit exists is
      // unknown, so the plan does not restart it blindly. It checks first, and says both ways out.
      steps.push({
        ...who,
        condition: restartFor,
        ...systemctl("advice", "status"),
        disruptive: false,
        why: `${conditionMessage(agent, restartFor)}; systemd was not observed, so ${agent.unit.name} may not exist: if it does, \`systemctl --user restart ${agent.unit.name}\` fixes it; if the agent runs without systemd, restart it in its pane`,
      });
      return steps;
    }
    steps.push({ ...who, condition: restartFor, ...systemctl("restart", "restart"), disruptive: true, why });
  }
  return steps;
}

/** The whole fleet's plan: every non-disruptive step first, then the disruptive ones. */
export function fixPlan(status: FleetStatus, sshDestinations: ReadonlyMap<string, string> = new Map()): FixStep[] {
  const key = (host: string, tenant: string) => `${host}\u0000${tenant}`;
  const delegated = new Map(
    (status.tenants ?? [])
      .filter((t) => t.delegated && t.uid !== undefined)
      .map((t) => [key(t.host, t.tenant_id), t.uid as number]),
  );
  // Another host's step runs there, over the operator's ssh: `ssh DEST systemctl --user …`.
  const prefix: Prefix = (agent) => {
    const uid = delegated.get(key(agent.host, agent.tenant_id));
    const destination = sshDestinations.get(agent.host);
    return [
      ...(destination === undefined ? [] : ["ssh", destination]),
      ...(uid === undefined ? [] : ["runuser", "-u", agent.tenant_id, "--", "env", `XDG_RUNTIME_DIR=/run/user/${uid}`]),
    ];
  };
  // One linger step per tenant and host, however many of its agents need it.
  const seen = new Set<string>();
  const steps = status.agents
    .flatMap((agent) => stepsFor(agent, prefix, delegated.has(key(agent.host, agent.tenant_id))))
    .filter((step) => {
      if (step.argv[sshPart(step.argv).length] !== "loginctl") return true;
      const key = `${step.host}\0${step.argv.join(" ")}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  return [...steps.filter((s) => !s.disruptive), ...steps.filter((s) => s.disruptive)];
}
