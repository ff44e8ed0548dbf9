import type { Condition } from "../types.js";
import { hiddenCondition, type CheckContext } from "./check.js";

/** UnitDown: a core agent's unit is inactive or failed. */
export function unitDown(ctx: CheckContext): Condition {
  const hidden = hiddenCondition("UnitDown", ctx);
  if (hidden) return hidden;
  const { systemd } = ctx.facts;
  if (!systemd.ok) return { type: "UnitDown", status: "Unknown", reason: systemd.reason, message: systemd.message };
  const unit = systemd.unit;
  const core = ctx.agent.lifecycle === "core";
  switch (unit.active) {
    case "active":
    case "reloading":
    case "refreshing":
      return {
        type: "UnitDown",
        status: "False",
        reason: "UnitActive",
        message: `${unit.name} is ${unit.active} (${unit.sub})`,
      };
    case "activating":
      return {
        type: "UnitDown",
        status: "False",
        reason: "UnitActivating",
        message: `${unit.name} is activating (${unit.sub})`,
      };
    case "failed":
      return { type: "UnitDown", status: "True", reason: "UnitFailed", message: `${unit.name} failed (${unit.sub})` };
    default:
      if (!core)
        return {
          type: "UnitDown",
          status: "False",
          reason: "NotScheduled",
          message: `ephemeral ${unit.name} is ${unit.active}`,
        };
      if (unit.load === "not-found")
        return { type: "UnitDown", status: "True", reason: "UnitNotFound", message: `${unit.name} has no unit file` };
      return {
        type: "UnitDown",
        status: "True",
        reason: "UnitInactive",
        message: `${unit.name} is ${unit.active} (${unit.sub})`,
      };
  }
}
