import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { reportInput } from "../../src/report/formats.js";
import { labelValue, render } from "../../src/report/prometheus.js";
import {
  agent,
  emptyStatus,
  expectGolden,
  findTool,
  fixtureStatus,
  hostileStatus,
  RAW_CONTROL,
  warnMissingTool,
} from "./format-fixture.js";
import { skipIfOutsideCi } from "../helpers/skip.js";

const promtool = findTool("promtool");
if (!promtool)
  warnMissingTool("promtool", "apt-get install -y prometheus  (only promtool is used; the server is not started)");

interface Sample {
  name: string;
  labels: Map<string, string>;
  value: number;
}

/**
 * A strict reader of the text exposition format (0.0.4) as node_exporter's textfile
 * collector needs it: HELP and TYPE once per family before its samples, families not
 * interleaved, valid names, escaped label values, no duplicate series, no timestamps.
 */
function parseExposition(text: string): { samples: Sample[]; help: Map<string, string>; types: Map<string, string> } {
  expect(text.endsWith("\n")).toBe(true);
  expect(text).not.toMatch(RAW_CONTROL);
  const help = new Map<string, string>();
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  const finished = new Set<string>();
  let current: string | null = null;
  const enter = (name: string): void => {
    if (current === name) return;
    if (current !== null) finished.add(current);
    if (finished.has(name)) throw new Error(`family ${name} is interleaved with another`);
    current = name;
  };
  for (const line of text.slice(0, -1).split("\n")) {
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (comment) {
      const [, kind, name, rest] = comment as unknown as [string, string, string, string];
      enter(name);
      const map = kind === "HELP" ? help : types;
      if (map.has(name)) throw new Error(`second ${kind} for ${name}`);
      if (kind === "TYPE" && !["counter", "gauge", "histogram", "summary", "untyped"].includes(rest))
        throw new Error(`bad TYPE ${rest}`);
      if (kind === "HELP" && /\\(?![\\n])/.test(rest)) throw new Error(`bad escape in HELP: ${line}`);
      if (kind === "TYPE" && samples.some((s) => s.name === name)) throw new Error(`TYPE after samples for ${name}`);
      map.set(name, rest);
      continue;
    }
    if (line.startsWith("#") || line.trim() === "") throw new Error(`unexpected line: ${JSON.stringify(line)}`);
    const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{/.exec(line);
    if (!head) throw new Error(`sample without labels or with a bad name: ${line}`);
    const name = head[1]!;
    enter(name);
    if (!help.has(name) || !types.has(name)) throw new Error(`sample before HELP/TYPE: ${line}`);
    const labels = new Map<string, string>();
    let i = head[0].length;
    while (line[i] !== "}") {
      const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(i));
      if (!label) throw new Error(`bad label at ${i}: ${line}`);
      i += label[0].length;
      let value = "";
      for (;;) {
        const c = line[i];
        if (c === undefined) throw new Error(`unterminated label value: ${line}`);
        i += 1;
        if (c === '"') break;
        if (c === "\\") {
          const next = line[i];
          i += 1;
          if (next === "n") value += "\n";
          else if (next === "\\" || next === '"') value += next;
          else throw new Error(`bad escape \\${next}: ${line}`);
        } else value += c;
      }
      if (labels.has(label[1]!)) throw new Error(`duplicate label ${label[1]}: ${line}`);
      labels.set(label[1]!, value);
      if (line[i] === ",") i += 1;
      else if (line[i] !== "}") throw new Error(`expected , or } at ${i}: ${line}`);
    }
    const rest = line.slice(i + 1);
    const valueMatch = /^ (-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|NaN|[+-]Inf)$/.exec(rest);
    if (!valueMatch) throw new Error(`bad value or a timestamp (textfile collector rejects them): ${line}`);
    const key = `${name}{${[...labels]
      .sort()
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(",")}}`;
    if (seen.has(key)) throw new Error(`duplicate series ${key}`);
    seen.add(key);
    samples.push({ name, labels, value: Number(valueMatch[1]!.replace("Inf", "Infinity")) });
  }
  for (const name of types.keys()) if (!help.has(name)) throw new Error(`no HELP for ${name}`);
  return { samples, help, types };
}

function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels.get(k) === v))?.value;
}

const STATUSES = [fixtureStatus(), emptyStatus(), hostileStatus()];

describe("prometheus report", () => {
  it("matches the golden file", () => {
    expectGolden("report.prom", render(reportInput(fixtureStatus())));
  });

  it("passes a strict exposition-format reader for the fixture, an empty fleet and hostile names", () => {
    for (const status of STATUSES) parseExposition(render(reportInput(status)));
  });

  it("has a one-hot state set per agent × condition (no -1), and the reason in its own series", () => {
    const { samples, help } = parseExposition(render(reportInput(fixtureStatus())));
    const conditions = samples.filter((s) => s.name === "mosaic_agent_condition");
    expect(conditions).toHaveLength(56 * 3); // 7 agents × 8 conditions × 3 states
    // Exactly one status is 1 for every agent × condition; values are only 0 or 1.
    const ones = new Map<string, number>();
    for (const c of conditions) {
      expect([0, 1]).toContain(c.value);
      const key = `${c.labels.get("agent")}/${c.labels.get("condition")}`;
      ones.set(key, (ones.get(key) ?? 0) + c.value);
      expect(c.labels.has("reason")).toBe(false);
    }
    expect([...ones.values()].every((n) => n === 1)).toBe(true);
    const base = { fleet: "mosaic-factory", tenant_id: "jarvis" };
    const drift = { ...base, agent: "canary-pi", host: "W-jarvis", condition: "Drift" };
    expect(value(samples, "mosaic_agent_condition", { ...drift, status: "true" })).toBe(1);
    expect(value(samples, "mosaic_agent_condition", { ...drift, status: "false" })).toBe(0);
    expect(value(samples, "mosaic_agent_condition_reason", { ...drift, reason: "RuntimeMismatch" })).toBe(1);
    const remote = { ...base, agent: "worker-remote", host: "W-other", condition: "Stale" };
    expect(value(samples, "mosaic_agent_condition", { ...remote, status: "unknown" })).toBe(1);
    expect(value(samples, "mosaic_agent_condition", { ...remote, status: "true" })).toBe(0);
    expect(value(samples, "mosaic_agent_condition_reason", { ...remote, reason: "RemoteHost" })).toBe(1);
    expect(help.get("mosaic_agent_condition")).toMatch(/state set/);
  });

  it("puts tenant_id and host on every series; build and agent info", () => {
    const { samples } = parseExposition(render(reportInput(fixtureStatus())));
    for (const s of samples.filter(() => true)) {
      expect(s.labels.has("tenant_id"), `${s.name} tenant_id`).toBe(true);
      expect(s.labels.has("host"), `${s.name} host`).toBe(true);
    }
    expect(samples.find((s) => s.name === "mosaic_build_info")?.labels.get("version")).toBeTruthy();
    expect(
      value(samples, "mosaic_agent_info", {
        agent: "canary-pi",
        runtime: "pi",
        unit: "mosaic-agent@canary-pi.service",
      }),
    ).toBe(1);
  });

  it("reports heartbeat age only where there is one, pane liveness, and the summary", () => {
    const { samples } = parseExposition(render(reportInput(fixtureStatus())));
    expect(
      samples
        .filter((s) => s.name === "mosaic_agent_heartbeat_age_seconds")
        .map((s) => [s.labels.get("agent"), s.value]),
    ).toEqual([
      ["canary-pi", 3.1],
      ["asks-operator", 2],
      ["stuck-worker", 4],
      ["died-early", 60],
    ]);
    const asks = { agent: "asks-operator", condition: "AwaitingInput" };
    expect(value(samples, "mosaic_agent_condition", { ...asks, status: "true" })).toBe(1);
    expect(value(samples, "mosaic_agent_condition_reason", { ...asks, reason: "WaitingForOperator" })).toBe(1);
    const stuck = { agent: "stuck-worker", condition: "NoProgress" };
    expect(value(samples, "mosaic_agent_condition_reason", { ...stuck, reason: "NoActivity" })).toBe(1);
    expect(value(samples, "mosaic_agent_pane_state", { agent: "worker-remote", state: "unknown" })).toBe(1);
    expect(value(samples, "mosaic_agent_pane_state", { agent: "worker-remote", state: "alive" })).toBe(0);
    expect(value(samples, "mosaic_agent_pane_state", { agent: "canary-pi", state: "alive" })).toBe(1);
    const fleet = { fleet: "mosaic-factory", host: "W-jarvis" };
    expect(value(samples, "mosaic_fleet_agents", fleet)).toBe(7);
    expect(value(samples, "mosaic_fleet_agents_compliant", fleet)).toBe(1);
    expect(value(samples, "mosaic_fleet_agents_noncompliant", fleet)).toBe(4);
    expect(value(samples, "mosaic_fleet_agents_unknown", fleet)).toBe(2);
    expect(value(samples, "mosaic_fleet_unmanaged_sessions", fleet)).toBe(1);
    expect(value(samples, "mosaic_fleet_compliant", fleet)).toBe(0);
    expect(value(samples, "mosaic_fleet_verdict", { ...fleet, verdict: "NONCOMPLIANT" })).toBe(1);
    expect(value(samples, "mosaic_fleet_report_timestamp_seconds", fleet)).toBe(
      Date.parse("2026-06-20T12:00:00.000Z") / 1000,
    );
  });

  it("says UNKNOWN for a roster with no agents: not compliant", () => {
    const { samples } = parseExposition(render(reportInput(emptyStatus())));
    const fleet = { fleet: "mosaic-factory", host: "W-jarvis" };
    expect(value(samples, "mosaic_fleet_compliant", fleet)).toBe(0);
    expect(value(samples, "mosaic_fleet_verdict", { ...fleet, verdict: "UNKNOWN" })).toBe(1);
    expect(value(samples, "mosaic_fleet_verdict", { ...fleet, verdict: "COMPLIANT" })).toBe(0);
    expect(value(samples, "mosaic_fleet_agents", fleet)).toBe(0);
  });

  it("escapes label values: backslash, double quote, newline, and terminal escapes", () => {
    expect(labelValue('a\\b"c')).toBe('a\\\\b\\"c');
    expect(labelValue("a\nb\x1b]0;t\x07")).toBe("a\\\\x0ab\\\\x1b]0;t\\\\x07");
    const weird = { ...fixtureStatus(), fleet: 'f"le\\et', agents: [agent('x"y', { host: "h\\n" })], unmanaged: [] };
    const { samples } = parseExposition(render(reportInput(weird)));
    expect(
      value(samples, "mosaic_agent_pane_state", { fleet: 'f"le\\et', agent: 'x"y', host: "h\\n", state: "alive" }),
    ).toBe(1);
  });

  describe.skipIf(skipIfOutsideCi(!promtool, "promtool is not installed"))("promtool check metrics", () => {
    it("accepts every report without a lint problem", () => {
      for (const status of STATUSES) {
        const text = render(reportInput(status));
        const result = spawnSync(promtool!, ["check", "metrics"], { input: text, encoding: "utf8" });
        expect(`${result.stdout}${result.stderr}`).toBe("");
        expect(result.status).toBe(0);
      }
    });

    it("is the kind of checker that would catch a mistake (a gauge named _total)", () => {
      const result = spawnSync(promtool!, ["check", "metrics"], {
        input: "# HELP x_total y\n# TYPE x_total gauge\nx_total 1\n",
        encoding: "utf8",
      });
      expect(result.status).not.toBe(0);
    });
  });

  it("has no raw terminal escapes from hostile names", () => {
    expect(render(reportInput(hostileStatus()))).not.toMatch(RAW_CONTROL);
  });
});
