// Text that reaches the operator's terminal from the fleet — session names, process
// argv, condition messages built from them — may hold terminal escape sequences (OSC 52
// writes the clipboard, OSC 0 sets the title). Every human format must show them
// escaped, never let a raw ESC/BEL through (docs/threat-model.md "Reports").

import { describe, expect, it } from "vitest";
import { fixPlan } from "../../src/diff/fix-plan.js";
import { rosterDiff } from "../../src/diff/roster-diff.js";
import { buildFleetStatus } from "../../src/diff/status.js";
import type { FleetStatus } from "../../src/diff/types.js";
import { renderDiff } from "../../src/report/diff-text.js";
import { renderFixPlan } from "../../src/report/fix-plan.js";
import { renderYaml } from "../../src/report/status-formats.js";
import { painter, safeText } from "../../src/report/style.js";
import { renderTable } from "../../src/report/table.js";
import { NOW_MS, agentSpec, chain, world } from "../diff/facts.js";
import { sampleFixPlan, sampleStatus } from "./sample-status.js";

const OSC52 = "\u001b]52;c;cm0gLXJmIH4K\u0007"; // "rm -rf ~" into the clipboard
const TITLE = "\u001b]0;owned\u001b\\";
const CSI = "\u001b[2J\u001b[31m";
const plain = painter(false);

/** Every C0/C1 control byte except the newline that separates lines. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function hostile(): FleetStatus {
  const status = sampleStatus();
  const canary = status.agents.find((a) => a.name === "canary-pi");
  if (!canary) throw new Error("sample has no canary-pi");
  canary.runtime.command = `python3 evil.py ${OSC52}${TITLE}`;
  canary.pane.command = `python3${CSI}`;
  const drift = canary.conditions.find((c) => c.type === "Drift");
  if (drift) drift.message = `roster runtime pi, pane runs stub (python3 evil.py ${OSC52})`;
  // Not a legal roster name, but a renderer must not rely on the roster's validation.
  status.agents[0] = { ...status.agents[0]!, name: `bad${CSI}name` };
  status.unmanaged = [{ session: `scratch${OSC52}`, socket: "mosaic-factory", tenant_id: "jarvis", host: "W-jarvis" }];
  return status;
}

describe("escape sequences never reach the terminal raw", () => {
  it("safeText shows control bytes as \\xNN", () => {
    expect(safeText(`a${OSC52}b`)).toBe("a\\x1b]52;c;cm0gLXJmIH4K\\x07b");
    expect(safeText("tab\there\r\n")).toBe("tab\\x09here\\x0d\\x0a");
    expect(safeText("\u009b31m")).toBe("\\x9b31m"); // C1 CSI
  });

  it("the table: a session name with OSC 52 is escaped", () => {
    const text = renderTable(hostile(), plain);
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).toContain('session "scratch\\x1b]52;c;cm0gLXJmIH4K\\x07"');
    expect(text).toContain("bad\\x1b[2J\\x1b[31mname");
  });

  it("the wide table: a command with OSC 52 and a title change is escaped", () => {
    const text = renderTable(hostile(), plain, { kind: "wide" });
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).toContain("python3 evil.py \\x1b]52;c;");
  });

  it("fleet diff text: messages and commands are escaped", () => {
    const status = hostile();
    const text = renderDiff(status, rosterDiff(status), plain);
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).toContain("\\x1b]52;c;");
  });

  it("-o yaml: control characters are quoted escapes", async () => {
    expect(await renderYaml(hostile())).not.toMatch(RAW_CONTROL);
  });

  it("the fix plan text: a step's why (built from the pane's argv) is escaped", () => {
    const steps = sampleFixPlan();
    const drift = steps.find((s) => s.condition === "Drift");
    if (!drift) throw new Error("no drift step");
    drift.why = `roster runtime pi, pane runs stub (python3 evil.py ${OSC52}); restart`;
    const text = renderFixPlan(steps, plain);
    expect(text).not.toMatch(RAW_CONTROL);
  });

  it("end to end (pure): a pane process whose argv carries OSC 52 → status → fix plan → text, nothing raw", () => {
    const canary = agentSpec({ name: "canary-pi", runtime: "pi" });
    const { fleet, observation } = world([canary], { "canary-pi": { tree: chain(["python3", "/x/evil.py", OSC52]) } });
    const status = buildFleetStatus(fleet, observation, { nowMs: NOW_MS });
    status.fixPlan = fixPlan(status);
    expect(status.fixPlan.some((s) => s.why.includes("\u001b"))).toBe(true); // the data keeps the truth
    expect(renderTable(status, plain, { kind: "wide" })).not.toMatch(RAW_CONTROL);
    expect(renderDiff(status, rosterDiff(status), plain)).not.toMatch(RAW_CONTROL);
    expect(renderFixPlan(status.fixPlan, plain)).not.toMatch(RAW_CONTROL);
  });
});
