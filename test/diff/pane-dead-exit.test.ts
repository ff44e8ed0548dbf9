// PaneDead says how the pane's process ended: a decoded exit status, or a zombie the
// tmux server never reaped. Hand-built facts.

import { describe, expect, it } from "vitest";
import { checkContext } from "../../src/diff/conditions/check.js";
import { paneDead } from "../../src/diff/conditions/pane-dead.js";
import { CATALOG, NOW_MS, agentSpec, facts, pane } from "./facts.js";

const check = (overrides: Parameters<typeof facts>[0]) =>
  paneDead(checkContext(agentSpec(), "s", facts(overrides), NOW_MS, CATALOG));

describe("PaneDead decodes how the process ended", () => {
  it("a dead pane with status 143 was killed by SIGTERM", () => {
    const cond = check({
      tmux: { ok: true, pane: pane("dogfood-coder", { dead: true, deadStatus: 143 }) },
      tree: null,
    });
    expect(cond).toMatchObject({ status: "True", reason: "ProcessExited" });
    expect(cond.message).toMatch(/status 143 \(SIGTERM\)/);
  });

  it("a dead pane with status 1 is just status 1", () => {
    const cond = check({ tmux: { ok: true, pane: pane("dogfood-coder", { dead: true, deadStatus: 1 }) }, tree: null });
    expect(cond.message).toMatch(/exited with status 1$/);
  });

  it("a live pane whose process is an unreaped zombie says so", () => {
    const cond = check({ tree: null, rootZombie: true });
    expect(cond).toMatchObject({ status: "True", reason: "ProcessExited" });
    expect(cond.message).toMatch(/zombie: the tmux server has not reaped it/);
  });

  it("a live pane whose process is simply gone does not claim a zombie", () => {
    const cond = check({ tree: null });
    expect(cond.message).toMatch(/is not running$/);
  });
});
