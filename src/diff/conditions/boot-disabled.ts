import type { Condition } from "../types.js";
import { hiddenCondition, type CheckContext } from "./check.js";

const ACTIVE = new Set(["active", "reloading", "activating", "refreshing"]);

/** BootDisabled: the unit is active but will not start at boot, while the roster expects it to. */
export function bootDisabled(ctx: CheckContext): Condition {
  const { agent } = ctx;
  if (agent.lifecycle !== "core" || agent.boot !== "enabled") {
    const why = agent.lifecycle !== "core" ? "ephemeral agents are not started at boot" : "roster sets boot: any";
    return { type: "BootDisabled", status: "False", reason: "BootNotRequired", message: why };
  }
  const hidden = hiddenCondition("BootDisabled", ctx);
  if (hidden) return hidden;
  const { systemd } = ctx.facts;
  if (!systemd.ok) return { type: "BootDisabled", status: "Unknown", reason: systemd.reason, message: systemd.message };
  const unit = systemd.unit;
  if (unit.enabled === "enabled") {
    if (ctx.facts.tenant?.linger === false) {
      return {
        type: "BootDisabled",
        status: "True",
        reason: "LingerDisabled",
        message: `${unit.name} is enabled, but linger is off for ${agent.tenant}: its user manager, and so the unit, starts only at a login, not at boot`,
      };
    }
    return { type: "BootDisabled", status: "False", reason: "UnitEnabled", message: `${unit.name} is enabled` };
  }
  if (unit.load === "not-found") {
    return {
      type: "BootDisabled",
      status: "True",
      reason: "UnitNotFound",
      message: `${unit.name} has no unit file, so it cannot start at boot`,
    };
  }
  if (!ACTIVE.has(unit.active)) {
    return {
      type: "BootDisabled",
      status: "False",
      reason: "UnitNotActive",
      message: `${unit.name} is ${unit.active} (UnitFileState ${unit.enabled || "none"}); UnitDown covers it`,
    };
  }
  return {
    type: "BootDisabled",
    status: "True",
    reason: "UnitNotEnabled",
    message: `${unit.name} is ${unit.active} but ${unit.enabled || "not enabled"}: it will not come back after a reboot`,
  };
}
