import type { AgentStatus, ConditionType, FixStep, FleetStatus } from "./types.js";
import { findCondition, isTrue } from "./verdict.js";

// The remediation plan, terraform-plan style: argv steps a human could paste, the
// harmless ones (enable, start) before anything that restarts or kills, at most one
// restart per agent.

function conditionMessage(agent: AgentStatus, type: ConditionType): string {
  return findCondition(agent, type)?.message ?? "";
}

type Prefix = (tenant: string) => string[];

/** Steps for one agent, harmless first. */
function stepsFor(agent: AgentStatus, prefix: Prefix): FixStep[] {
  // Root fixing a tenant's fleet runs systemctl as that tenant, against its own manager.
  const systemctl = (a: AgentStatus, ...args: string[]) => [
    ...prefix(a.tenant_id),
    "systemctl",
    "--user",
    ...args,
    a.unit.name,
  ];
  const who = { agent: agent.name, tenant_id: agent.tenant_id, host: agent.host };
  const steps: FixStep[] = [];
  const unitMissing = agent.unit.load === "not-found";
  if (unitMissing && (isTrue(agent, "UnitDown") || isTrue(agent, "BootDisabled"))) {
    // Nothing systemctl can do until the unit file exists; say so instead of guessing.
    steps.push({
      ...who,
      condition: isTrue(agent, "UnitDown") ? "UnitDown" : "BootDisabled",
      argv: systemctl(agent, "cat"),
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
      argv: ["loginctl", "enable-linger", agent.tenant_id],
      disruptive: false,
      why: `${conditionMessage(agent, "BootDisabled")}; enabling linger starts ${agent.tenant_id}'s user manager at boot, without a login`,
    });
  } else if (isTrue(agent, "BootDisabled")) {
    steps.push({
      ...who,
      condition: "BootDisabled",
      argv: systemctl(agent, "enable"),
      disruptive: false,
      why: `${conditionMessage(agent, "BootDisabled")}; enabling makes it start at boot without touching the running agent`,
    });
  }
  if (isTrue(agent, "UnitDown")) {
    const enableToo = agent.lifecycle === "core" && agent.unit.enabled !== "enabled";
    steps.push({
      ...who,
      condition: "UnitDown",
      argv: enableToo ? systemctl(agent, "enable", "--now") : systemctl(agent, "start"),
      disruptive: false,
      why: `${conditionMessage(agent, "UnitDown")}; start${enableToo ? " it and enable it at boot" : " it"}`,
    });
    return steps; // Starting the unit also recreates the pane.
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
        argv: systemctl(agent, "status"),
        disruptive: false,
        why: `${conditionMessage(agent, restartFor)}; systemd was not observed, so ${agent.unit.name} may not exist: if it does, \`systemctl --user restart ${agent.unit.name}\` fixes it; if the agent runs without systemd, restart it in its pane`,
      });
      return steps;
    }
    steps.push({ ...who, condition: restartFor, argv: systemctl(agent, "restart"), disruptive: true, why });
  }
  return steps;
}

/** The whole fleet's plan: every non-disruptive step first, then the disruptive ones. */
export function fixPlan(status: FleetStatus): FixStep[] {
  const delegated = new Map(
    (status.tenants ?? []).filter((t) => t.delegated && t.uid !== undefined).map((t) => [t.tenant_id, t.uid as number]),
  );
  const prefix: Prefix = (tenant) => {
    const uid = delegated.get(tenant);
    return uid === undefined ? [] : ["runuser", "-u", tenant, "--", "env", `XDG_RUNTIME_DIR=/run/user/${uid}`];
  };
  // One linger step per tenant and host, however many of its agents need it.
  const seen = new Set<string>();
  const steps = status.agents
    .flatMap((agent) => stepsFor(agent, prefix))
    .filter((step) => {
      if (step.argv[0] !== "loginctl") return true;
      const key = `${step.host}\0${step.argv.join(" ")}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  return [...steps.filter((s) => !s.disruptive), ...steps.filter((s) => s.disruptive)];
}
