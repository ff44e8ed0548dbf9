import { CONDITION_TYPES } from "../diff/index.js";
import { unobservedLines } from "./condition-set.js";
import { verdictSentence, type ReportInput } from "./input.js";
import { safeText } from "./style.js";

// `fleet report --format junit`: CI systems already show JUnit results, so each agent ×
// condition is a test case: True is a failure, Unknown an error (it was not checked,
// which is not a pass, nor a skip that CI would show as neutral), False passes. A roster
// with no agents gets one erroring case so CI never shows an empty suite as green.

/**
 * XML text or attribute value: control characters shown escaped (they are invalid in
 * XML 1.0 and could be terminal escapes), then lone surrogates and U+FFFE/U+FFFF, which
 * XML forbids, removed, then the five markup characters as entities.
 */
export function xmlText(text: string): string {
  return safeText(text)
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|[\ufffe\uffff]/g, "")
    .replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] ?? c);
}

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${typeof value === "number" ? value : xmlText(value)}"`)
    .join("");
}

interface TestCase {
  classname: string;
  name: string;
  outcome: { kind: "failure" | "error"; type: string; message: string; detail: string } | null;
}

function testCases(input: ReportInput): TestCase[] {
  const { status } = input;
  const cases: TestCase[] = [];
  for (const agent of status.agents) {
    for (const c of agent.conditions) {
      const detail = `${c.type}=${c.status} reason=${c.reason} tenant_id=${agent.tenant_id} host=${agent.host}\n${c.message}`;
      cases.push({
        classname: `${status.fleet}.${agent.name}`,
        name: `${agent.name} ${c.type}`,
        outcome:
          c.status === "True"
            ? { kind: "failure", type: c.reason, message: `${c.reason}: ${c.message}`, detail }
            : c.status === "Unknown"
              ? { kind: "error", type: c.reason, message: `${c.reason}: ${c.message}`, detail }
              : null,
      });
    }
  }
  // A session the roster does not list fails its own test case, so CI shows it.
  for (const session of status.unmanaged) {
    cases.push({
      classname: `${status.fleet}.unmanaged`,
      name: `unmanaged session ${session.session}`,
      outcome: {
        kind: "failure",
        type: "Unmanaged",
        message: `session ${session.session} on socket ${session.socket} (${session.tenant_id}@${session.host}) is not in the roster`,
        detail: "a renamed or removed agent may still be running: add it to the roster or stop it",
      },
    });
  }
  if (status.agents.length === 0) {
    cases.push({
      classname: status.fleet,
      name: "fleet has agents",
      outcome: {
        kind: "error",
        type: "UNKNOWN",
        message: verdictSentence(input.summary),
        detail: `no agent, so none of ${CONDITION_TYPES.join(", ")} was checked`,
      },
    });
  }
  return cases;
}

function testCaseXml(tc: TestCase): string {
  const open = `    <testcase${attrs({ classname: tc.classname, name: tc.name, time: 0 })}`;
  if (tc.outcome === null) return `${open}/>`;
  const { kind, type, message, detail } = tc.outcome;
  // Each line escaped on its own so the detail keeps its line breaks.
  const body = detail.split("\n").map(xmlText).join("\n");
  return `${open}>\n      <${kind}${attrs({ message, type })}>${body}</${kind}>\n    </testcase>`;
}

/** A JUnit XML document with one test suite for the fleet. */
export function render(input: ReportInput): string {
  const { status, summary } = input;
  const cases = testCases(input);
  const failures = cases.filter((c) => c.outcome?.kind === "failure").length;
  const errors = cases.filter((c) => c.outcome?.kind === "error").length;
  const counts = { tests: cases.length, failures, errors };
  const properties = {
    verdict: summary.verdict,
    host: status.host,
    roster: status.roster,
    agents: String(summary.agents),
    compliant: String(summary.compliant),
    noncompliant: String(summary.nonCompliant),
    unknown: String(summary.unknown),
    unmanaged: String(summary.unmanaged),
  };
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites${attrs({ name: `mosaic fleet report ${status.fleet}`, ...counts, time: 0 })}>`,
    `  <testsuite${attrs({ name: status.fleet, ...counts, skipped: 0, time: 0, timestamp: status.observedAt, hostname: status.host })}>`,
    "    <properties>",
    ...Object.entries(properties).map(([name, value]) => `      <property${attrs({ name, value })}/>`),
    "    </properties>",
    ...cases.map(testCaseXml),
  ];
  const notes = [
    verdictSentence(summary),
    ...unobservedLines(status.agents),
    ...status.unmanaged.map((s) => `unmanaged session ${s.session} on socket ${s.socket} (${s.tenant_id}@${s.host})`),
  ];
  notes.push(...status.sources.map((s) => `warning: ${s.source}: ${s.message} (${s.reason})`));
  out.push(`    <system-out>${notes.map(xmlText).join("\n")}</system-out>`, "  </testsuite>", "</testsuites>", "");
  return out.join("\n");
}
