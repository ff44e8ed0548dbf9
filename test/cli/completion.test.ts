// `mosaic completion bash|zsh|fish` in real shells: bash sources the script the CLI
// prints and its completion function is called as bash would call it (COMP_WORDS,
// COMP_CWORD), completing commands, flags, -o values and agent names from the roster in
// effect (-f, MOSAIC_ROSTER, MOSAIC_HOME). Every command and flag of commander's tree
// completes (so a new command cannot be forgotten). zsh and fish parse the script and
// run its engine.

import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Command, Option } from "@commander-js/extra-typings";
import { completionModel } from "../../src/cli/completion.js";
import { cliEnv } from "../helpers/env.js";
import { skipIfOutsideCi } from "../helpers/skip.js";
import { BIN, runCli, scratchDir } from "./run-cli.js";

const hasShell = (shell: string) => spawnSync("sh", ["-c", `command -v ${shell}`]).status === 0;

let dir: string;
let cleanup: () => void;
let script: string;

function roster(names: string[]): string {
  return `version: 1\nagents:\n${names.map((n) => `  - name: ${n}\n    runtime: stub\n`).join("")}`;
}

beforeAll(() => {
  ({ dir, cleanup } = scratchDir("mf-completion-"));
  mkdirSync(join(dir, "bin"));
  // `mosaic` on PATH, as after `npm install -g`: the script calls back into the program as typed.
  writeFileSync(
    join(dir, "bin", "mosaic"),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`,
  );
  chmodSync(join(dir, "bin", "mosaic"), 0o755);
  writeFileSync(join(dir, "flag.yaml"), roster(["from-flag-1", "from-flag-2"]));
  writeFileSync(join(dir, "env.yaml"), roster(["from-env"]));
  mkdirSync(join(dir, "home", "fleet"), { recursive: true });
  writeFileSync(join(dir, "home", "fleet", "roster.yaml"), roster(["from-home-a", "from-home-b"]));
  const printed = runCli(["completion", "bash"]);
  expect(printed.code, printed.stderr).toBe(0);
  script = join(dir, "mosaic.bash");
  writeFileSync(script, printed.stdout);
});

afterAll(() => cleanup?.());

/** Complete `words` (the last one is the word under the cursor) in a real bash; the candidates. */
function bashComplete(words: string[], env: Record<string, string | undefined> = {}): string[] {
  const program = [
    `source ${JSON.stringify(script)}`,
    `complete -p mosaic >/dev/null || { echo "mosaic has no completion" >&2; exit 9; }`,
    `COMP_WORDS=(mosaic "$@"); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))`,
    `COMP_LINE="\${COMP_WORDS[*]}"; COMP_POINT=\${#COMP_LINE}`,
    `$(complete -p mosaic | sed -E 's/.* -F ([^ ]+) .*/\\1/')`,
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join("\n");
  const result = spawnSync("bash", ["--norc", "--noprofile", "-c", program, "bash", ...words], {
    cwd: dir,
    env: cliEnv({ PATH: `${join(dir, "bin")}:${process.env["PATH"]}`, HOME: dir, ...env }),
    encoding: "utf8",
    timeout: 20_000,
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.split("\n").filter(Boolean).sort();
}

describe("bash completion", () => {
  it("completes `mosaic fleet p` to ps, and the top-level commands", () => {
    expect(bashComplete(["fleet", "p"])).toEqual(["ps"]);
    expect(bashComplete([""])).toEqual(expect.arrayContaining(["agent", "completion", "demo", "fleet"]));
    expect(bashComplete([""])).not.toContain("__complete");
  });

  it("completes agent names from the roster in effect: -f, then MOSAIC_ROSTER, then MOSAIC_HOME", () => {
    const home = join(dir, "home");
    expect(bashComplete(["agent", "send", "-f", "flag.yaml", ""], { MOSAIC_ROSTER: join(dir, "env.yaml") })).toEqual([
      "from-flag-1",
      "from-flag-2",
    ]);
    expect(bashComplete(["agent", "send", "--roster=flag.yaml", "from-flag-"])).toEqual(["from-flag-1", "from-flag-2"]);
    expect(bashComplete(["agent", "send", ""], { MOSAIC_ROSTER: join(dir, "env.yaml"), MOSAIC_HOME: home })).toEqual([
      "from-env",
    ]);
    expect(bashComplete(["agent", "watch", "from-home-"], { MOSAIC_HOME: home })).toEqual([
      "from-home-a",
      "from-home-b",
    ]);
    expect(bashComplete(["agent", "logs", "-f", ""], { MOSAIC_HOME: home })).toEqual(["from-home-a", "from-home-b"]);
    // The message slot after the name is free text: no names there.
    expect(bashComplete(["agent", "send", "from-home-a", ""], { MOSAIC_HOME: home })).toEqual([]);
  });

  it("--tenant narrows the agent names to that tenant's, and completes tenant names", () => {
    writeFileSync(
      join(dir, "tenants.yaml"),
      "version: 1\nagents:\n  - name: mine\n    runtime: stub\n    tenant: alice\n  - name: theirs\n    runtime: stub\n    tenant: bob\n",
    );
    expect(bashComplete(["agent", "send", "-f", "tenants.yaml", "--tenant", "bob", ""])).toEqual(["theirs"]);
    expect(bashComplete(["agent", "logs", "--roster", "tenants.yaml", "--tenant", "alice", ""])).toEqual(["mine"]);
    expect(bashComplete(["fleet", "ps", "-f", "tenants.yaml", "--tenant", ""])).toEqual(["alice", "bob"]);
  });

  it("an invalid or missing roster completes nothing and prints nothing", () => {
    writeFileSync(join(dir, "bad.yaml"), "version: 1\nagents: [");
    expect(bashComplete(["agent", "send", "-f", "bad.yaml", ""])).toEqual([]);
    expect(bashComplete(["agent", "send", "-f", "missing.yaml", ""])).toEqual([]);
  });

  it("completes -o values, report formats and file arguments", () => {
    expect(bashComplete(["fleet", "ps", "-o", ""])).toEqual(["json", "table", "wide", "yaml"]);
    expect(bashComplete(["fleet", "report", "-o", ""])).toEqual(["html", "json", "junit", "markdown", "prometheus"]);
    expect(bashComplete(["fleet", "report", "--format", "j"])).toEqual(["json", "junit"]);
    expect(bashComplete(["fleet", "validate", "-o", ""])).toEqual(["json", "text"]);
    expect(bashComplete(["fleet", "report", "--output", "fla"])).toEqual(["flag.yaml"]);
    expect(bashComplete(["completion", ""])).toEqual(["bash", "fish", "zsh"]);
  });

  it("every command and every flag of commander's tree completes (generated, never a hand list)", () => {
    // The real tree the CLI builds, read back from the tables of the script it prints.
    const tree = treeOfCli();
    for (const node of tree) {
      const words = node.path === "" ? [] : node.path.split(" ");
      if (node.subcommands.length > 0) {
        expect(bashComplete([...words, ""]), node.path).toEqual(expect.arrayContaining(node.subcommands));
      }
      expect(bashComplete([...words, "-"]), node.path).toEqual(expect.arrayContaining([...node.options.keys()]));
    }
  }, 120_000);
});

/** The completion model of the CLI as built, read back from `mosaic completion bash`'s tables. */
function treeOfCli(): { path: string; subcommands: string[]; options: Map<string, unknown> }[] {
  const text = runCli(["completion", "bash"]).stdout;
  const table = (fn: string) => {
    const body = text.slice(text.indexOf(`${fn}() {`), text.indexOf("}\n", text.indexOf(`${fn}() {`)));
    return new Map([...body.matchAll(/^ {4}'([^']*)'\) echo '([^']*)' ;;$/gm)].map((m) => [m[1] ?? "", m[2] ?? ""]));
  };
  const subs = table("__mosaic_subcommands");
  const opts = table("__mosaic_options");
  return [...subs.keys()].map((path) => ({
    path,
    subcommands: (subs.get(path) ?? "").split(" ").filter(Boolean),
    options: new Map(
      (opts.get(path) ?? "")
        .split(" ")
        .filter(Boolean)
        .map((flag) => [flag, null]),
    ),
  }));
}

describe("the model is read from commander's tree", () => {
  it("a command added to any tree appears with its flags, choices and agent-name argument", () => {
    const program = new Command("x");
    program
      .command("grp")
      .command("newverb")
      .argument("<name>")
      .option("-q, --quiet")
      .addOption(new Option("-o, --output <f>").choices(["a", "b"]));
    const model = completionModel(program);
    const node = model.find((n) => n.path === "grp newverb");
    expect(node?.args).toEqual([{ kind: "agents" }]);
    expect(node?.options.get("-q")).toBeNull();
    expect(node?.options.get("-o")).toEqual({ kind: "words", words: ["a", "b"] });
    expect(model.find((n) => n.path === "grp")?.subcommands).toContain("newverb");
  });
});

describe.skipIf(skipIfOutsideCi(!hasShell("zsh"), "zsh is not installed (apt-get install zsh)"))("zsh", () => {
  it("parses the script, registers _mosaic with compdef, and its engine completes", () => {
    const printed = runCli(["completion", "zsh"]);
    const file = join(dir, "_mosaic");
    writeFileSync(file, printed.stdout);
    expect(spawnSync("zsh", ["-n", file]).status).toBe(0);
    const result = spawnSync(
      "zsh",
      [
        "-f",
        "-c",
        `autoload -U compinit && compinit -u -d ${JSON.stringify(join(dir, ".zcompdump"))}; source ${JSON.stringify(file)}; ` +
          `whence -w _mosaic; __mosaic_candidates mosaic p fleet; __mosaic_candidates mosaic '' agent send -f flag.yaml`,
      ],
      { cwd: dir, env: cliEnv({ PATH: `${join(dir, "bin")}:${process.env["PATH"]}`, HOME: dir }), encoding: "utf8" },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/_mosaic: function/);
    expect(result.stdout).toMatch(/\bps\b/);
    expect(result.stdout).toMatch(/from-flag-1\s+from-flag-2/);
  });
});

describe.skipIf(skipIfOutsideCi(!hasShell("zsh"), "zsh is not installed (apt-get install zsh)"))(
  "zsh, interactive",
  () => {
    it("TAB in a real interactive zsh (zpty) completes `mosaic fleet p` and an agent name", () => {
      const file = join(dir, "_mosaic_zpty");
      writeFileSync(file, runCli(["completion", "zsh"]).stdout);
      // Each `zpty -r … PATTERN` waits until the terminal output so far matches; a miss hangs until the timeout.
      const script = [
        "zmodload zsh/zpty",
        "zpty z zsh -f -i",
        `zpty -w z "PS1='READY> '; autoload -U compinit; compinit -u -d ${join(dir, ".zcd")}; source ${file}"`,
        "zpty -r z out '*READY> *'",
        "zpty -w -n z $'mosaic fleet p\\t'",
        "zpty -r z out '*mosaic fleet ps*' && print FLEET-PS",
        "zpty -w -n z $'\\C-u'",
        "zpty -w -n z $'mosaic agent send -f env.yaml from-e\\t'",
        "zpty -r z out '*from-env*' && print AGENT",
        "zpty -d z",
      ].join("\n");
      const result = spawnSync("zsh", ["-f", "-c", script], {
        cwd: dir,
        env: cliEnv({ PATH: `${join(dir, "bin")}:${process.env["PATH"]}`, HOME: dir }),
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(result.stdout, result.stderr).toContain("FLEET-PS");
      expect(result.stdout, result.stderr).toContain("AGENT");
    }, 40_000);
  },
);

describe.skipIf(skipIfOutsideCi(!hasShell("fish"), "fish is not installed (apt-get install fish)"))("fish", () => {
  it("parses the script and completes commands and agent names (complete -C)", () => {
    const printed = runCli(["completion", "fish"]);
    const file = join(dir, "mosaic.fish");
    writeFileSync(file, printed.stdout);
    expect(spawnSync("fish", ["-n", file]).status).toBe(0);
    const result = spawnSync(
      "fish",
      ["-N", "-c", `source ${file}; complete -C 'mosaic fleet p'; complete -C 'mosaic agent send -f flag.yaml '`],
      { cwd: dir, env: cliEnv({ PATH: `${join(dir, "bin")}:${process.env["PATH"]}`, HOME: dir }), encoding: "utf8" },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.split("\n").filter(Boolean).sort()).toEqual(["from-flag-1", "from-flag-2", "ps"]);
  });
});
