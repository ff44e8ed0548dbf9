// One meaning per flag: `-o` is the output format in every command that has it
// (`fleet report -o FORMAT` = --format, its --output stays the file); a flag that only
// shapes another (--interval → --watch, --probe-timeout → --probe) is a usage error
// alone, never silently ignored; `fleet validate -o json` gives the problems as data.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lines, problemLines, runCli, scratchDir } from "./run-cli.js";

let dir: string;
let cleanup: () => void;

beforeAll(() => {
  ({ dir, cleanup } = scratchDir("mf-flags-"));
  writeFileSync(join(dir, "empty.yaml"), "version: 1\nagents: []\n");
  writeFileSync(join(dir, "good.yaml"), "version: 1\nfleet: f\nagents:\n  - name: a\n    runtime: stub\n");
});
afterAll(() => cleanup?.());

/** Every command path of the CLI, read from the completion script's tables (generated from the tree). */
function commandPaths(): string[] {
  const text = runCli(["completion", "bash"]).stdout;
  const start = text.indexOf("__mosaic_options() {");
  const body = text.slice(start, text.indexOf("}\n", start));
  return [...body.matchAll(/^ {4}'([^']*)'\) echo '([^']*)' ;;$/gm)]
    .filter((m) => (m[2] ?? "").split(" ").includes("-o"))
    .map((m) => m[1] ?? "");
}

describe("-o is the output format everywhere", () => {
  it("every command with -o documents it as the format, with its choices", () => {
    const paths = commandPaths();
    expect(paths).toEqual(expect.arrayContaining(["fleet ps", "fleet report", "fleet validate", "agent send"]));
    for (const path of paths) {
      const help = runCli([...path.split(" "), "--help"]).stdout;
      expect(help, path).toMatch(/-o, --(output|format) <format>[\s\S]*?choices:/);
    }
  });

  it("fleet report -o FORMAT is --format; --output FILE still names the file", () => {
    const viaO = runCli(["fleet", "report", "-f", "empty.yaml", "-o", "json"], { cwd: dir });
    const viaFormat = runCli(["fleet", "report", "-f", "empty.yaml", "--format", "json"], { cwd: dir });
    expect(viaO.code).toBe(1); // zero agents is UNKNOWN
    const viaODoc = JSON.parse(viaO.stdout) as Record<string, unknown>;
    expect(viaODoc).toMatchObject({ summary: expect.anything() as unknown });
    expect(Object.keys(viaODoc)).toEqual(Object.keys(JSON.parse(viaFormat.stdout) as Record<string, unknown>));
    const toFile = runCli(["fleet", "report", "-f", "empty.yaml", "-o", "markdown", "--output", "r.md"], { cwd: dir });
    expect(toFile.stdout).toBe("");
    expect(toFile.stderr).toMatch(/markdown report written to .*r\.md/);
    const bad = runCli(["fleet", "report", "-f", "empty.yaml", "-o", "yaml"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
  });
});

describe("a flag that only shapes another is an error alone", () => {
  for (const [args, named] of [
    [["--interval", "2s"], /--interval only applies with --watch/],
    [["--probe-timeout", "1s"], /--probe-timeout only applies with --probe/],
    [["--probe", "-w"], /--probe does not apply with --watch/],
  ] as const) {
    it(`fleet ps ${args.join(" ")} → exit 2, one line, nothing observed`, () => {
      const result = runCli(["fleet", "ps", "-f", "good.yaml", ...args], { cwd: dir });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(lines(result.stderr)).toHaveLength(1);
      expect(result.stderr).toMatch(named);
    });
  }
});

describe("fleet validate -o json", () => {
  const bad = [
    "version: 1\nagents:\n  - name: a\n    runtme: stub\n",
    "version: 2\nagents: []\n",
    "version: 1\nagents:\n  - name: a\n    runtime: stub\n  - name: a\n    runtime: stub\n",
    "version: 1\nagents: [\n",
    'version: 1\ndefaults:\n  heartbeat:\n    interval: 0s\nagents:\n  - name: "a\\u001b]52;c;x\\u0007"\n    runtime: nope\n',
  ];
  for (const [index, text] of bad.entries()) {
    it(`bad roster #${index}: the same problems as the text form, as data; exit 2`, () => {
      const file = `bad-${index}.yaml`;
      writeFileSync(join(dir, file), text);
      const json = runCli(["fleet", "validate", "-f", file, "-o", "json"], { cwd: dir });
      const textRun = runCli(["fleet", "validate", "-f", file], { cwd: dir });
      expect(json.code).toBe(2);
      expect(json.stderr).toBe("");
      const doc = JSON.parse(json.stdout) as {
        valid: boolean;
        file: string;
        problems: { file: string; line: number; col: number; message: string; code: string }[];
      };
      expect(doc.valid).toBe(false);
      expect(doc.file).toBe(file);
      expect(doc.problems.length).toBeGreaterThan(0);
      const expected = problemLines(textRun.stderr, file).map(({ line, col, message }) => ({ line, col, message }));
      const fromJson = doc.problems.filter((p) => p.line > 0).map(({ line, col, message }) => ({ line, col, message }));
      expect(fromJson).toEqual(expected);
      for (const problem of doc.problems) {
        expect(problem.file).toBe(file);
        expect(typeof problem.code).toBe("string");
        // eslint-disable-next-line no-control-regex -- the test looks for control bytes
        expect(/[\u0000-\u001f]/.test(problem.message)).toBe(false);
      }
    });
  }

  it("a valid roster: valid true, no problems, exit 0; --json is the same", () => {
    for (const flag of [["-o", "json"], ["--json"]]) {
      const result = runCli(["fleet", "validate", "-f", "good.yaml", ...flag], { cwd: dir });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({
        file: "good.yaml",
        valid: true,
        fleet: "f",
        agents: 1,
        problems: [],
      });
    }
  });

  it("an unreadable roster is a problem in the document too", () => {
    const result = runCli(["fleet", "validate", "-f", "missing.yaml", "-o", "json"], { cwd: dir });
    expect(result.code).toBe(2);
    const doc = JSON.parse(result.stdout) as { valid: boolean; problems: { code: string }[] };
    expect(doc.valid).toBe(false);
    expect(doc.problems[0]?.code).toBe("FileUnreadable");
  });
});
