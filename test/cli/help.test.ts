// Help that teaches, walked over the real command tree (every command `--help` lists,
// recursively, so a new command without examples fails here): each has 2+ examples and
// its exit codes; `agent --help` describes every verb; a bare `mosaic` is the overview
// with exit 0; a mistyped command gets a did-you-mean.

import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BIN, expectNoCrash, runCli } from "./run-cli.js";

/** The subcommands a --help text lists (its Commands: section), without `help` itself. */
function listedCommands(help: string): string[] {
  const section = help.split(/^Commands:\n/m)[1]?.split(/\n\n/)[0] ?? "";
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1] ?? "").filter((name) => name !== "help");
}

function commandTree(): string[][] {
  const paths: string[][] = [];
  const walk = (path: string[]) => {
    paths.push(path);
    const help = runCli([...path, "--help"]);
    expect(help.code, path.join(" ")).toBe(0);
    for (const name of listedCommands(help.stdout)) walk([...path, name]);
  };
  walk([]);
  return paths;
}

describe("every command's --help teaches", () => {
  const tree = commandTree();

  it("the walk found every command group and verb", () => {
    const names = tree.map((p) => p.join(" "));
    for (const expected of ["fleet ps", "fleet report", "agent logs", "agent watch", "completion", "demo"]) {
      expect(names).toContain(expected);
    }
  });

  for (const path of tree) {
    it(`mosaic ${path.join(" ")} --help: 2+ examples and the exit codes`, () => {
      const help = runCli([...path, "--help"]).stdout;
      const examples = help.split(/^Examples:\n/m)[1]?.split(/\n\n/)[0] ?? "";
      const lines = examples.split("\n").filter((line) => /^ {2}\S/.test(line));
      expect(lines.length, help).toBeGreaterThanOrEqual(2);
      for (const line of lines) expect(line.trim().startsWith("mosaic ") || /mosaic /.test(line), line).toBe(true);
      const codes = help.split(/^Exit codes:\n/m)[1] ?? "";
      expect(codes, help).toMatch(/^ {2}0 {2}\S/m);
    });
  }

  it("agent --help describes every verb it holds", () => {
    const help = runCli(["agent", "--help"]).stdout;
    for (const verb of ["watch", "attach", "send", "logs", "stub", "heartbeat"]) {
      expect(help, verb).toMatch(new RegExp(`^ {2}${verb} .*\\S {2,}\\S`, "m"));
    }
    expect(runCli(["agent", "--help"]).stdout).toMatch(/watch, attach, send, logs/);
  });

  it("exit codes in help match the contract: logs/watch document 3 for a missing pane", () => {
    for (const verb of ["logs", "watch", "attach", "send"]) {
      expect(runCli(["agent", verb, "--help"]).stdout, verb).toMatch(/^ {2}3 {2}.*pane/m);
    }
  });
});

describe("the overview and mistakes", () => {
  it("a bare `mosaic` prints the overview on stdout and exits 0", () => {
    const result = runCli([]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^Usage: mosaic/);
    expect(result.stdout).toMatch(/Examples:/);
  });

  for (const [typed, meant] of [
    [["flet"], "fleet"],
    [["agnet"], "agent"],
    [["fleet", "sp"], "ps"],
    [["agent", "lgos"], "logs"],
    [["completon"], "completion"],
  ] as const) {
    it(`mosaic ${typed.join(" ")} → exit 2, "Did you mean ${meant}?"`, () => {
      const result = runCli([...typed]);
      expect(expectNoCrash(result)).toEqual([]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain(`Did you mean ${meant}?`);
    });
  }
});

describe("output into a closed pipe", () => {
  for (const args of [["agent", "--help"], ["completion", "bash"], []]) {
    it(`mosaic ${args.join(" ")} | (a reader that is gone): no stack trace, exit 0`, () => {
      // `true` exits without reading: every write after that gets EPIPE.
      const line = [process.execPath, BIN, ...args].map((w) => `'${w}'`).join(" ");
      const result = spawnSync("bash", ["-c", `set -o pipefail; ${line} | true`], {
        encoding: "utf8",
        timeout: 20_000,
      });
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
    });
  }
});
