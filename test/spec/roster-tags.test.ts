// Truthful type errors (README "Roster v1"): every typed roster field × a YAML value of
// every tag kind. A value YAML would turn into something other than plain data
// (`!!binary` bytes, a `!!timestamp` date, `!!set`, `!!omap`, `!!pairs`, a custom or
// unknown tag) is never accepted and is named for what it is — never "the string
// {…Buffer…}", never an empty mapping silently taken as `{}`. Plain tags (`!!int`,
// `!!str`, …) are described by the value they give.

import { describe, expect, it } from "vitest";
import { parseRoster } from "../../src/spec/load.js";

const FACTS = { user: "me", hostname: "h" };

/** Each typed field, as a roster with VALUE in its place. */
const FIELDS: Record<string, (value: string) => string> = {
  version: (v) => `version: ${v}\nagents: []\n`,
  fleet: (v) => `version: 1\nfleet: ${v}\nagents: []\n`,
  defaults: (v) => `version: 1\ndefaults: ${v}\nagents: []\n`,
  runtimes: (v) => `version: 1\nruntimes: ${v}\nagents: []\n`,
  "runtimes.r": (v) => `version: 1\nruntimes:\n  r: ${v}\nagents: []\n`,
  "runtimes.r.match": (v) => `version: 1\nruntimes:\n  r:\n    match: ${v}\nagents: []\n`,
  "runtimes.r.match[0]": (v) => `version: 1\nruntimes:\n  r:\n    match:\n      - ${v}\nagents: []\n`,
  "runtimes.r.description": (v) => `version: 1\nruntimes:\n  r:\n    match: [r]\n    description: ${v}\nagents: []\n`,
  agents: (v) => `version: 1\nagents: ${v}\n`,
  "agents[0]": (v) => `version: 1\nagents:\n  - ${v}\n`,
  ...Object.fromEntries(
    ["name", "runtime", "tenant", "host", "socket", "unit", "lifecycle", "boot", "heartbeat"].map((field) => [
      `agents[0].${field}`,
      (v: string) =>
        `version: 1\nagents:\n  - ${field === "name" ? "runtime: pi" : "name: a"}\n    ${field === "runtime" ? "" : field === "name" ? "" : "runtime: pi\n    "}${field}: ${v}\n`.replace(
          /\n {4}\n/,
          "\n",
        ),
    ]),
  ),
  "agents[0].heartbeat.interval": (v) =>
    `version: 1\nagents:\n  - name: a\n    runtime: pi\n    heartbeat:\n      interval: ${v}\n`,
  ...Object.fromEntries(
    ["tenant", "host", "socket", "unit", "lifecycle", "boot", "heartbeat"].map((field) => [
      `defaults.${field}`,
      (v: string) => `version: 1\ndefaults:\n  ${field}: ${v}\nagents: []\n`,
    ]),
  ),
};

/** Values that are not plain data, and the words the message must use for them. */
const FOREIGN: [string, string, string][] = [
  ["!!binary", "!!binary R0lGODlhDAAMAIQAAP", "binary data (!!binary)"],
  ["!!binary block", "!!binary |\n            R0lGODlhDAAMAIQAAP", "binary data (!!binary)"],
  ["!!timestamp", "!!timestamp 2001-12-14t21:59:43.10-05:00", "a timestamp (!!timestamp)"],
  ["!!timestamp date", "!!timestamp 2002-12-14", "a timestamp (!!timestamp)"],
  ["!!set", "!!set {a, b}", "a set (!!set)"],
  ["!!set empty", "!!set {}", "a set (!!set)"],
  ["!!omap", "!!omap [a: 1, b: 2]", "an ordered mapping (!!omap)"],
  ["!!pairs", "!!pairs [a: 1, a: 2]", "a list of pairs (!!pairs)"],
  ["custom tag", "!foo bar", "a value with the tag !foo"],
  ["custom tag on a mapping", "!foo {a: 1}", "a value with the tag !foo"],
  ["verbatim unknown tag", "!<tag:example.com,2000:x> bar", "a value with the tag !<tag:example.com,2000:x>"],
  ["local tag", "!local 1", "a value with the tag !local"],
];

/** Plain-data tags: whatever the verdict, the words must match the value they give. */
const PLAIN: [string, string, RegExp | null][] = [
  ["!!int", "!!int 7", /the number 7|\(got 7\)/],
  ["!!float", "!!float 1.5", /the number 1\.5|\(got 1\.5\)/],
  ["!!bool", "!!bool true", /the boolean true|\(got true\)/],
  ["!!null", "!!null ''", /null|\(got ''\)/],
  ["!!map", "!!map {a: 1}", /a mapping|unknown key "a"|required key|\(got a mapping\)|must be/],
  ["!!seq", "!!seq [x]", /a list|\(got a list\)|must be/],
  ["!!str", "!!str 7", null],
];

/** Wording that would mean the message described something other than what was written. */
const UNTRUE = [
  /Buffer/,
  /"type":/,
  /\[object /,
  /the string \{/,
  /undefined/,
  /unsupported value/,
  /: Invalid input$/,
];

function problemsFor(text: string): { ok: boolean; messages: string } {
  const result = parseRoster("r.yaml", text, FACTS);
  return { ok: result.ok, messages: result.ok ? "" : result.problems.map((p) => p.message).join("\n") };
}

describe("roster type errors say what the value is, for every field × YAML tag", () => {
  for (const [field, roster] of Object.entries(FIELDS)) {
    describe(field, () => {
      it.each(FOREIGN)("%s is refused and named", (_name, value, words) => {
        const { ok, messages } = problemsFor(roster(value));
        expect(ok, `${field}: ${value} was accepted`).toBe(false);
        expect(messages).toContain(words);
        for (const untrue of UNTRUE) expect(messages).not.toMatch(untrue);
      });
      it.each(PLAIN)("%s is described by the value it gives", (_name, value, words) => {
        const { ok, messages } = problemsFor(roster(value));
        for (const untrue of UNTRUE) expect(messages).not.toMatch(untrue);
        if (!ok && words !== null) expect(messages).toMatch(words);
      });
    });
  }

  it("a well-formed roster with plain explicit tags is still accepted", () => {
    const text = [
      "version: !!int 1",
      "fleet: !!str f",
      "defaults: !!map {heartbeat: !!bool false}",
      "agents: !!seq",
      "  - {name: !!str 007, runtime: !!str pi}",
      "",
    ].join("\n");
    const result = parseRoster("r.yaml", text, FACTS);
    expect(result.ok ? "" : result.problems.map((p) => p.message).join("\n")).toBe("");
    if (result.ok) expect(result.fleet.agents.map((a) => a.name)).toEqual(["007"]);
  });
});
