import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRoster } from "../../src/spec/load.js";
import {
  type CliResult,
  expectNoCrash,
  lines,
  positions,
  problemLines,
  runCli,
  scratchDir,
  strayStderrLines,
  validateText,
} from "../cli/run-cli.js";

// docs/threat-model.md "Roster", as the operator sees it: `mosaic fleet validate -f FILE`
// exits 2, prints one `FILE:LINE:COL: message` per problem on stderr, nothing on
// stdout, and never a stack trace.

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = scratchDir("mosaic-adversarial-"));
});
afterAll(() => cleanup());

/** Each test writes its own file so the tests stay independent. */
let counter = 0;
function validate(
  text: string | Buffer,
  options: Parameters<typeof validateText>[3] = {},
): { result: CliResult; file: string } {
  counter += 1;
  const file = `r${counter}.yaml`;
  return { result: validateText(dir, text, file, options), file };
}

/** Exit 2, exactly these positions (in order), one line per problem, no crash. */
function expectInvalid(result: CliResult, file: string, expected: string[]): void {
  expect(expectNoCrash(result), result.stderr).toEqual([]);
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe("");
  expect(positions(result.stderr, file), result.stderr).toEqual(expected);
  expect(strayStderrLines(result.stderr, file), result.stderr).toEqual([]);
}

function messageAt(result: CliResult, file: string, at: string): string {
  const found = problemLines(result.stderr, file).find((p) => `${p.line}:${p.col}` === at);
  expect(found, `no problem at ${at} in:\n${result.stderr}`).toBeDefined();
  return found?.message ?? "";
}

const FACTS = { user: "me", hostname: "h" };

describe("duplicate keys and agents", () => {
  it("a duplicate key points at the second key", () => {
    const { result, file } = validate("version: 1\nagents:\n  - name: a\n    runtime: pi\n    runtime: stub\n");
    expectInvalid(result, file, ["5:5"]);
    expect(messageAt(result, file, "5:5")).toMatch(/duplicate key/i);
  });

  it("a duplicate top-level key points at the second key", () => {
    const { result, file } = validate("version: 1\nversion: 1\nagents: []\n");
    expectInvalid(result, file, ["2:1"]);
  });

  it("a duplicate agent name (same tenant and host) names both lines", () => {
    const { result, file } = validate(
      "version: 1\nagents:\n  - name: a\n    runtime: pi\n  - name: b\n    runtime: pi\n  - name: a\n    runtime: stub\n",
    );
    expectInvalid(result, file, ["7:11"]);
    const message = messageAt(result, file, "7:11");
    expect(message).toContain('"a"');
    expect(message).toMatch(/\bline 3\b/);
  });

  it("the same name under different tenants or hosts is fine", () => {
    const { result } = validate(
      [
        "version: 1",
        "defaults:",
        "  tenant: alice",
        "agents:",
        "  - name: a",
        "    runtime: pi",
        "  - name: a",
        "    runtime: pi",
        "    tenant: bob",
        "  - name: a",
        "    runtime: pi",
        "    host: other-host",
        "",
      ].join("\n"),
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("an agent that only differs by spelling out the default tenant/host is still a duplicate", () => {
    // Resolved, all three are (me, h, "a"): the same tmux session and the same unit.
    const roster = [
      "version: 1",
      "agents:",
      "  - name: a",
      "    runtime: pi",
      "  - name: a",
      "    runtime: pi",
      "    tenant: me",
      "  - name: a",
      "    runtime: pi",
      "    host: h",
      "",
    ].join("\n");
    const result = parseRoster("r.yaml", roster, FACTS);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const dupes = result.problems.filter((p) => p.code === "DuplicateAgent");
    expect(dupes.map((p) => `${p.line}:${p.col}`)).toEqual(["5:11", "8:11"]);
  });

  it("a duplicate that comes in through an alias is reported where the alias is, naming the first", () => {
    const { result, file } = validate(
      "version: 1\nagents:\n  - name: a\n    runtime: pi\n  - &x\n    name: b\n    runtime: pi\n  - *x\n",
    );
    expect(result.code).toBe(2);
    const [problem] = problemLines(result.stderr, file);
    expect(problem, result.stderr).toBeDefined();
    // The second "b" is the `*x` on line 8; the first is at 6:11. A message at 6:11
    // saying "also at line 6:11" names one line twice and hides the duplicate.
    expect(problem?.line, result.stderr).toBe(8);
    expect(problem?.message).toMatch(/\bline 6\b/);
  });
});

describe("agent names", () => {
  const bad: Array<[string, string]> = [
    ["glob *", '"a*"'],
    ["glob *, unquoted", "a*"],
    ["bracket [", '"a["'],
    ["colon :", '"a:b"'],
    ["dot .", "a.b"],
    ["slash /", "a/b"],
    ["dot-dot ..", '".."'],
    ["space", '"a b"'],
    ["NUL (YAML escape)", '"a\\0b"'],
    ["newline (YAML escape)", '"a\\n"'],
    ["65 characters", "x".repeat(65)],
    ["empty", '""'],
    ["leading dash", '"-a"'],
  ];
  for (const [label, written] of bad) {
    it(`rejects a name with ${label} at its line:col`, () => {
      const { result, file } = validate(`version: 1\nagents:\n  - name: ${written}\n    runtime: pi\n`);
      expectInvalid(result, file, ["3:11"]);
      expect(messageAt(result, file, "3:11")).toMatch(/name/);
      // The raw NUL byte never reaches the terminal.
      expect(result.stderr).not.toContain("\0");
    });
  }

  it("accepts a 64-character name and a quoted 007", () => {
    const { result } = validate(
      `version: 1\nagents:\n  - name: ${"x".repeat(64)}\n    runtime: pi\n  - name: "007"\n    runtime: pi\n`,
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  const typed: Array<[string, string]> = [
    ["007", "007"],
    ["~", "~"],
    ["1e3", "1e3"],
    ["true", "true"],
  ];
  for (const [written, shown] of typed) {
    it(`name: ${written} is a type error, never coerced to a name`, () => {
      const { result, file } = validate(`version: 1\nagents:\n  - name: ${written}\n    runtime: pi\n`);
      expectInvalid(result, file, ["3:11"]);
      const message = messageAt(result, file, "3:11");
      expect(message).toMatch(/string/);
      // Quotes the value as written, not as YAML coerced it (7, null, 1000).
      expect(message).toContain(shown);
    });
  }
});

describe("durations", () => {
  for (const written of ["-5", "10x", "0", "1.5", "15 s", "true"]) {
    it(`interval: ${written} is a type error with a position`, () => {
      const { result, file } = validate(
        `version: 1\nagents:\n  - name: a\n    runtime: pi\n    heartbeat:\n      interval: ${written}\n`,
      );
      expectInvalid(result, file, ["6:17"]);
      expect(messageAt(result, file, "6:17")).toMatch(/interval/);
    });
  }

  it("a bad default interval points into defaults", () => {
    const { result, file } = validate("version: 1\ndefaults:\n  heartbeat:\n    interval: 10x\nagents: []\n");
    expectInvalid(result, file, ["4:15"]);
  });
});

describe("unknown keys and values", () => {
  it("runtme: is an unknown key with did-you-mean runtime", () => {
    const { result, file } = validate("version: 1\nagents:\n  - name: a\n    runtme: pi\n");
    expect(result.code).toBe(2);
    expect(expectNoCrash(result)).toEqual([]);
    expect(messageAt(result, file, "4:5")).toMatch(/unknown key "runtme".*did you mean "runtime"/);
    expect(strayStderrLines(result.stderr, file)).toEqual([]);
  });

  it("a top-level typo (agnets) suggests agents", () => {
    const { result, file } = validate("version: 1\nagnets: []\n");
    expect(result.code).toBe(2);
    expect(messageAt(result, file, "2:1")).toMatch(/unknown key "agnets".*did you mean "agents"/);
  });

  it("__proto__ is an unknown key (agent and top level), and pollutes nothing", () => {
    const { result, file } = validate(
      "version: 1\n__proto__:\n  polluted: 1\nagents:\n  - name: a\n    runtime: pi\n    __proto__: {polluted: 1}\n",
    );
    expectInvalid(result, file, ["2:1", "7:5"]);
    expect(messageAt(result, file, "2:1")).toMatch(/unknown key "__proto__"/);
    expect(messageAt(result, file, "7:5")).toMatch(/unknown key "__proto__"/);
    parseRoster("r.yaml", "version: 1\n__proto__:\n  polluted: 1\nagents: []\n", FACTS);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("an unknown runtime is an error at its position, with a hint when close", () => {
    const { result, file } = validate(
      "version: 1\nagents:\n  - name: a\n    runtime: gemini\n  - name: b\n    runtime: claud\n",
    );
    expectInvalid(result, file, ["4:14", "6:14"]);
    expect(messageAt(result, file, "4:14")).toMatch(/unknown runtime "gemini"/);
    expect(messageAt(result, file, "6:14")).toMatch(/did you mean "claude"/);
  });

  it("the same runtime declared under runtimes: is valid", () => {
    const { result } = validate(
      'version: 1\nruntimes:\n  gemini:\n    match: ["gemini"]\nagents:\n  - name: a\n    runtime: gemini\n',
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("one malformed runtimes: entry does not make the other declared runtimes unknown", () => {
    const { result, file } = validate(
      'version: 1\nruntimes:\n  gemini:\n    match: ["gemini"]\n  aider:\n    match: aider\nagents:\n  - name: a\n    runtime: gemini\n',
    );
    // Only the real mistake (match must be a list) at 6:12; gemini IS declared.
    expectInvalid(result, file, ["6:12"]);
  });

  it("version: 2 is rejected at the value", () => {
    const { result, file } = validate("version: 2\nagents: []\n");
    expectInvalid(result, file, ["1:10"]);
    expect(messageAt(result, file, "1:10")).toMatch(/version/);
  });

  it("a missing agents: is reported", () => {
    const { result, file } = validate("version: 1\nfleet: x\n");
    expectInvalid(result, file, ["1:1"]);
    expect(messageAt(result, file, "1:1")).toMatch(/agents/);
  });

  it("several problems are ALL reported, one line each, in file order", () => {
    const { result, file } = validate(
      [
        "version: 1",
        "agents:",
        "  - name: a.b",
        "    runtime: pi",
        "  - name: c",
        "    runtme: pi",
        "    runtime: pi",
        "  - name: d",
        "    runtime: pi",
        "    lifecycle: sometimes",
        "",
      ].join("\n"),
    );
    expectInvalid(result, file, ["3:11", "6:5", "10:16"]);
    expect(lines(result.stderr)).toContain("mosaic: roster is invalid (3 problems)");
  });

  it("a non-mapping roster is a clear error", () => {
    const { result, file } = validate("- a\n- b\n");
    expectInvalid(result, file, ["1:1"]);
  });
});

describe("resource exhaustion", () => {
  it("an alias bomb (billion laughs, 10 levels x 10) is rejected fast with bounded memory", () => {
    const rows = ["version: 1", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i <= 9; i += 1)
      rows.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(",")}]`,
      );
    rows.push("agents: []", "");
    // A 96 MB heap: expanding the bomb (10^10 strings) would die, not exit 2.
    const { result, file } = validate(rows.join("\n"), { nodeFlags: ["--max-old-space-size=96"], timeoutMs: 20_000 });
    expect(expectNoCrash(result), result.stderr).toEqual([]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.signal, "hang guard: killed at the CLI timeout").toBeNull();
    expect(problemLines(result.stderr, file).length).toBeGreaterThanOrEqual(1);
    expect(strayStderrLines(result.stderr, file)).toEqual([]);
  });

  it("an alias bomb hidden inside an agent is rejected too", () => {
    const rows = [
      "version: 1",
      "agents:",
      "  - name: a",
      "    runtime: pi",
      '    x0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ];
    for (let i = 1; i <= 9; i += 1)
      rows.push(
        `    x${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(",")}]`,
      );
    rows.push("");
    const { result } = validate(rows.join("\n"), { nodeFlags: ["--max-old-space-size=96"] });
    expect(expectNoCrash(result), result.stderr).toEqual([]);
    expect(result.code).toBe(2);
    expect(result.signal, "hang guard: killed at the CLI timeout").toBeNull();
  });

  it("the alias-bomb guard does not refuse a plain roster that reuses one small anchor 101 times", () => {
    // 101 agents sharing `heartbeat: *hb` expand to 101 tiny mappings: not a bomb.
    const rows = ["version: 1", "defaults:", "  heartbeat: &hb {interval: 5s}", "agents:"];
    for (let i = 0; i < 101; i += 1) rows.push(`  - {name: a${i}, runtime: pi, heartbeat: *hb}`);
    const { result } = validate(`${rows.join("\n")}\n`);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("errors amplified through an alias (within the alias limit) are still reported fast", () => {
    // 20 000 invalid list items (200 KB), aliased once: every item is an error twice.
    // The report is capped at 50 problems, so the work must be too.
    const items = Array(20_000).fill("a b").join(", ");
    const text = `version: 1\nruntimes:\n  r0:\n    match: &m [${items}]\n  r1:\n    match: *m\nagents: []\n`;
    const { result, file } = validate(text, { nodeFlags: ["--max-old-space-size=512"], timeoutMs: 20_000 });
    expect(expectNoCrash(result), `${result.ms} ms\n${result.stderr.slice(0, 500)}`).toEqual([]);
    expect(result.code).toBe(2);
    expect(result.signal, "hang guard: killed at the CLI timeout").toBeNull();
    expect(problemLines(result.stderr, file).length).toBeGreaterThan(0);
  });

  it("`[` repeated 10 000 times is a parse error, not a crash", () => {
    const { result, file } = validate(`version: 1\nagents: ${"[".repeat(10_000)}\n`);
    expect(expectNoCrash(result), result.stderr).toEqual([]);
    expect(result.code).toBe(2);
    expect(result.signal, "hang guard: killed at the CLI timeout").toBeNull();
    const found = problemLines(result.stderr, file);
    expect(found.length).toBeGreaterThanOrEqual(1);
    expect(found.every((p) => p.line === 2)).toBe(true);
    expect(strayStderrLines(result.stderr, file)).toEqual([]);
  });

  it("deep `{a: ` nesting is a parse error, not a crash", () => {
    const { result, file } = validate(`version: 1\nagents: ${"{a: ".repeat(20_000)}\n`);
    expect(expectNoCrash(result), result.stderr).toEqual([]);
    expect(result.code).toBe(2);
    expect(result.signal, "hang guard: killed at the CLI timeout").toBeNull();
    expect(problemLines(result.stderr, file).length).toBeGreaterThanOrEqual(1);
    expect(strayStderrLines(result.stderr, file)).toEqual([]);
  });

  it("deep block nesting is an error, not a crash", () => {
    const rows = ["version: 1", "agents:", "  - name: a", "    runtime: pi", "    tenant:"];
    for (let i = 0; i < 1_000; i += 1) rows.push(`${" ".repeat(i + 5)}a:`);
    const { result, file } = validate(`${rows.join("\n")}\n`);
    expect(expectNoCrash(result), result.stderr).toEqual([]);
    expect(result.code).toBe(2);
    expect(problemLines(result.stderr, file).length).toBeGreaterThanOrEqual(1);
  });

  it("a 10 MB file is a clear error naming the file and the limit", () => {
    const { result, file } = validate(Buffer.alloc(10 * 1024 * 1024, "#"));
    expect(expectNoCrash(result)).toEqual([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    const out = lines(result.stderr);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(new RegExp(`^${file}: .*bytes`));
  });
});

describe("YAML shapes", () => {
  it("multiple documents are an error at the second document", () => {
    const { result, file } = validate("version: 1\nagents: []\n---\nversion: 1\nagents: []\n");
    expectInvalid(result, file, ["3:1"]);
    expect(messageAt(result, file, "3:1")).toMatch(/document/);
  });

  it("a single document with explicit --- and ... markers is fine", () => {
    const { result } = validate("---\nversion: 1\nagents: []\n...\n");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("tabs as indentation are an error at the tab", () => {
    const { result, file } = validate("version: 1\nagents:\n\t- name: a\n\t  runtime: pi\n");
    expectInvalid(result, file, ["3:1"]);
    expect(messageAt(result, file, "3:1")).toMatch(/tab/i);
  });

  it("a valid roster with a BOM passes", () => {
    const { result } = validate(
      Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from("version: 1\nagents:\n  - name: a\n    runtime: pi\n"),
      ]),
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("positions after a BOM are the ones an editor shows", () => {
    const { result, file } = validate(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("version: 2\nagents: []\n")]),
    );
    expectInvalid(result, file, ["1:10"]);
  });

  it("CRLF line endings are fine and positions still count lines", () => {
    const { result, file } = validate("version: 1\r\nagents:\r\n  - name: a\r\n    runtime: pi\r\n    runtme: x\r\n");
    expectInvalid(result, file, ["5:5"]);
  });

  it("a valid << merge passes and the merged values apply, local keys winning", () => {
    const text = [
      "version: 1",
      "agents:",
      "  - &base",
      "    name: a",
      "    runtime: pi",
      "    lifecycle: ephemeral",
      "    boot: any",
      "  - <<: *base",
      "    name: b",
      "  - <<: *base",
      "    name: c",
      "    runtime: stub",
      "",
    ].join("\n");
    const { result } = validate(text);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const parsed = parseRoster("r.yaml", text, FACTS);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const [a, b, c] = parsed.fleet.agents;
    expect(b).toMatchObject({ name: "b", lifecycle: "ephemeral", boot: "any", unit: "mosaic-agent@b.service" });
    expect(b?.runtime.name).toBe("pi");
    expect(c).toMatchObject({ name: "c", lifecycle: "ephemeral" });
    expect(c?.runtime.name).toBe("stub");
    expect(a?.name).toBe("a");
  });

  it("a << merge of a list of mappings applies", () => {
    const text = "version: 1\nagents:\n  - {<<: [{runtime: pi}, {lifecycle: ephemeral}], name: a}\n";
    const parsed = parseRoster("r.yaml", text, FACTS);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.fleet.agents[0]).toMatchObject({ name: "a", lifecycle: "ephemeral" });
  });

  it("an unknown key inside a merged mapping points at its real line in the anchor", () => {
    const { result, file } = validate(
      "version: 1\nagents:\n  - &base\n    name: a\n    runtime: pi\n    bogus: 1\n  - <<: *base\n    name: b\n",
    );
    expect(result.code).toBe(2);
    const found = problemLines(result.stderr, file);
    expect(found.length).toBeGreaterThanOrEqual(1);
    // agents[1] has the key only through the merge: the position is the anchor's line 6.
    const merged = found.find((p) => p.message.includes("agents[1]"));
    expect(merged, result.stderr).toBeDefined();
    expect(`${merged?.line}:${merged?.col}`).toBe("6:5");
    expect(found.every((p) => p.line === 6)).toBe(true);
  });

  it("an unknown key in a merged nested mapping points into the anchor", () => {
    const { result, file } = validate(
      "version: 1\ndefaults:\n  heartbeat: &hb\n    interval: 5s\n    intervl: 3\nagents:\n  - name: b\n    runtime: pi\n    heartbeat:\n      <<: *hb\n",
    );
    expect(result.code).toBe(2);
    const merged = problemLines(result.stderr, file).find((p) => p.message.includes("agents[0].heartbeat"));
    expect(merged, result.stderr).toBeDefined();
    expect(`${merged?.line}:${merged?.col}`).toBe("5:5");
    expect(merged?.message).toMatch(/did you mean "interval"/);
  });

  it("a schema error inside an alias points inside the anchored node", () => {
    const { result, file } = validate(
      "version: 1\ndefaults:\n  heartbeat: &hb\n    interval: 10x\nagents:\n  - name: b\n    runtime: pi\n    heartbeat: *hb\n",
    );
    expect(result.code).toBe(2);
    const found = problemLines(result.stderr, file);
    const viaAlias = found.find((p) => p.message.includes("agents[0]"));
    expect(viaAlias, result.stderr).toBeDefined();
    expect(`${viaAlias?.line}:${viaAlias?.col}`).toBe("4:15");
    expect(strayStderrLines(result.stderr, file)).toEqual([]);
  });

  it("a schema error in an aliased scalar points at the anchored scalar", () => {
    const { result, file } = validate(
      "version: 1\nagents:\n  - name: a\n    runtime: pi\n    tenant: &t Bad\n  - name: b\n    runtime: pi\n    tenant: *t\n",
    );
    expect(result.code).toBe(2);
    const found = problemLines(result.stderr, file);
    expect(found.map((p) => `${p.line}:${p.col}`)).toContain("5:16");
    expect(found.every((p) => p.line === 5)).toBe(true);
  });
});

describe("files that are not rosters", () => {
  it("an empty file is a clear error", () => {
    const { result, file } = validate("");
    expectInvalid(result, file, ["1:1"]);
    expect(messageAt(result, file, "1:1")).toMatch(/empty/);
  });

  it("a comment-only file is a clear error", () => {
    const { result, file } = validate("# nothing here\n");
    expectInvalid(result, file, ["1:1"]);
  });

  it("a directory is a clear error", () => {
    mkdirSync(join(dir, "a-dir"));
    const result = runCli(["fleet", "validate", "-f", "a-dir"], { cwd: dir });
    expect(expectNoCrash(result)).toEqual([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/^a-dir: .*directory/);
  });

  it("a missing path is a clear error naming it", () => {
    const result = runCli(["fleet", "validate", "-f", "nope/missing.yaml"], { cwd: dir });
    expect(expectNoCrash(result)).toEqual([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/^nope\/missing\.yaml: .*no such file/);
  });

  it("a path outside the working directory is shown as given (absolute)", () => {
    const other = scratchDir("mosaic-cwd-");
    try {
      validateText(dir, "version: 2\nagents: []\n", "abs.yaml");
      const result = runCli(["fleet", "validate", "-f", join(dir, "abs.yaml")], { cwd: other.dir });
      expect(result.code).toBe(2);
      expect(positions(result.stderr, join(dir, "abs.yaml"))).toEqual(["1:10"]);
    } finally {
      other.cleanup();
    }
  });
});
