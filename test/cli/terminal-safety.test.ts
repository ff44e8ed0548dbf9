// Terminal safety on every output path (docs/threat-model.md): a control-byte payload
// (C0 incl. ESC, BEL, CR; C1 incl. CSI U+009B; bidi overrides) is fed through EVERY
// command and EVERY option of the real CLI — enumerated from commander's own command
// tree, so a new command or option is covered without touching this test — and through
// every MOSAIC_* variable the source reads, unknown commands and options, excess
// arguments, a roster's fleet name and the roster's file name. stdout and stderr must
// never hold a raw C0/C1 byte or bidi control (NO_COLOR, not a terminal: mosaic writes
// no escape sequence of its own there).

import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CommandUnknownOpts as Command, Option } from "@commander-js/extra-typings";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/main.js";
import { cleanEnv, ROOT, scratchDir } from "./run-cli.js";

const BIN = join(ROOT, "bin", "mosaic");

/** ESC + CSI, BEL, CR, backspace, C1 CSI and NEL, a bidi override and isolate. */
const PAYLOAD = "\u001b[31mP\u0007\r\b\u009b2J\u0085\u202eQ\u2066";
/** Any raw byte a terminal could interpret; only the newline is allowed. */
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/** How the payload looks once escaped (its ESC), to prove it was echoed at all. */
const ECHOED = /\\x1b\[31mP/;

interface Run {
  label: string;
  argv: string[];
  env?: Record<string, string>;
  stdout: string;
  stderr: string;
  code: number | null;
}

let scratch: { dir: string; cleanup: () => void };
let baseEnv: NodeJS.ProcessEnv;
const runs: Run[] = [];

function run(label: string, argv: string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...argv], {
      cwd: scratch.dir,
      env: { ...baseEnv, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    // A watch keeps running: stop it (SIGTERM, its documented way out) and check what it printed.
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      const result = { label, argv, env, stdout, stderr, code };
      runs.push(result);
      resolve(result);
    });
  });
}

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

interface Leaf {
  path: string[];
  command: Command;
}

/** Every runnable command of the tree, with its path (`fleet ps`, `agent send`, `demo`). */
function leaves(command: Command, path: string[] = []): Leaf[] {
  if (command.commands.length === 0) return [{ path, command }];
  return command.commands.flatMap((sub) => leaves(sub, [...path, sub.name()]));
}

/** Valid positional arguments (optional ones too), so the option under test is what gets echoed. */
function validArgs(command: Command): string[] {
  return command.registeredArguments.map((a) => (a.name() === "message" ? "hello" : "a"));
}

/**
 * `demo` brings up (or takes down) the one demo fleet of this user, which a test must
 * not touch: only the cases commander refuses before the command runs.
 */
function mayRun(label: string): boolean {
  return !label.startsWith("demo") || / (--unknown|--x=value|-short|excess|--help)$/.test(label);
}

function flag(option: Option): string {
  return option.long ?? option.short ?? "";
}

/** Every MOSAIC_* variable the source reads (a new one is covered automatically). */
function mosaicVariables(): string[] {
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts"))
        for (const match of readFileSync(path, "utf8").matchAll(
          /(?<![A-Za-z_])MOSAIC_[A-Z]+(?:_[A-Z]+)*(?![A-Za-z_])/g,
        ))
          found.add(match[0]);
    }
  };
  walk(join(ROOT, "src"));
  return [...found].sort();
}

beforeAll(() => {
  scratch = scratchDir("mosaic-terminal-safety-");
  const socket = `safety-${process.pid}`;
  // The fleet name carries the payload (YAML escapes), so `fleet validate`'s success line echoes it.
  writeFileSync(
    join(scratch.dir, "roster.yaml"),
    `version: 1\nfleet: "\\e[31mP\\a\\r\\b\\x9b2J\\N\\u202eQ\\u2066"\ndefaults:\n  socket: ${socket}\nagents:\n  - name: a\n    runtime: pi\n`,
  );
  // And a roster whose file name is the payload.
  writeFileSync(join(scratch.dir, `${PAYLOAD}.yaml`), `version: 1\nagents: []\n`);
  baseEnv = cleanEnv(scratch.dir, {
    TMUX: undefined,
    TMUX_PANE: undefined,
    NO_COLOR: "1",
    TERM: "dumb",
    TMPDIR: scratch.dir,
    XDG_CACHE_HOME: join(scratch.dir, "cache"),
    MOSAIC_HOME: join(scratch.dir, "home"),
    MOSAIC_ROSTER: join(scratch.dir, "roster.yaml"),
    MOSAIC_TIMEOUT_MS: "1500",
  });
});

afterAll(() => scratch?.cleanup());

describe("no raw control byte reaches the terminal, on any command, option, argument or variable", () => {
  it("every command × every option × every argument × every MOSAIC_* variable, plus unknown ones", async () => {
    const program = buildProgram(
      { stdout: () => undefined, stderr: () => undefined, env: {}, cwd: ROOT, stdoutIsTTY: false, stdinIsTTY: false },
      () => undefined,
    );
    const cases: { label: string; argv: string[]; env?: Record<string, string>; timeoutMs?: number }[] = [];
    const all = leaves(program);
    expect(all.length).toBeGreaterThanOrEqual(11);
    for (const { path, command } of all) {
      const args = validArgs(command);
      const options = command.options.filter((o) => !o.negate && flag(o) !== "--version" && flag(o) !== "--help");
      const booleans = options.filter((o) => !o.required && !o.optional).map(flag);
      // Each positional argument as the payload.
      command.registeredArguments.forEach((_arg, index) => {
        const argv = [...path, ...args];
        argv[path.length + index] = PAYLOAD;
        cases.push({ label: `${path.join(" ")} <arg ${index}>`, argv });
      });
      // Each option that takes a value, alone and with every boolean flag of the command.
      for (const option of options.filter((o) => o.required || o.optional)) {
        for (const withFlags of [false, true]) {
          const argv = [...path, ...(withFlags ? booleans : []), flag(option), PAYLOAD, ...args];
          cases.push({
            label: `${path.join(" ")} ${flag(option)}${withFlags ? " +flags" : ""}`,
            argv,
            timeoutMs: 6_000,
          });
        }
      }
      // Unknown options (as a flag, with =value), an excess argument, and help.
      cases.push({ label: `${path.join(" ")} --unknown`, argv: [...path, `--${PAYLOAD}`, ...args] });
      cases.push({ label: `${path.join(" ")} --x=value`, argv: [...path, `--x=${PAYLOAD}`, ...args] });
      cases.push({ label: `${path.join(" ")} -short`, argv: [...path, `-${PAYLOAD}`, ...args] });
      cases.push({ label: `${path.join(" ")} excess`, argv: [...path, ...args, "extra", PAYLOAD] });
      cases.push({ label: `${path.join(" ")} --help`, argv: [...path, "--help"] });
      // Each variable as the payload.
      for (const variable of mosaicVariables()) {
        cases.push({
          label: `${path.join(" ")} ${variable}`,
          argv: [...path, ...args],
          env: { [variable]: PAYLOAD },
          timeoutMs: 6_000,
        });
      }
    }
    // Unknown commands at every level, and near misses that get a suggestion.
    for (const group of [[], ["fleet"], ["agent"], ["help"]]) {
      cases.push({ label: `${group.join(" ")} <unknown command>`.trim(), argv: [...group, PAYLOAD] });
      cases.push({ label: `${group.join(" ")} <near miss>`.trim(), argv: [...group, `fleet${PAYLOAD}`] });
    }
    // The roster's file name, found and missing.
    cases.push({ label: "validate -f <payload file>", argv: ["fleet", "validate", "-f", `${PAYLOAD}.yaml`] });
    cases.push({
      label: "validate -f <missing payload file>",
      argv: ["fleet", "validate", "-f", `no-${PAYLOAD}.yaml`],
    });
    cases.push({ label: "validate (payload fleet name)", argv: ["fleet", "validate"] });
    // --interval needs --watch (and --probe refuses --watch), so "+flags" stops at the flag
    // rules before the value is read: echo it through the combination that reads it.
    cases.push({ label: "fleet ps --watch --interval", argv: ["fleet", "ps", "--watch", "--interval", PAYLOAD] });

    await pool(
      cases.filter((c) => mayRun(c.label)),
      3,
      (c) => run(c.label, c.argv, c.env ?? {}, c.timeoutMs),
    );

    const leaks = runs
      .filter((r) => RAW.test(r.stdout) || RAW.test(r.stderr))
      .map((r) => `${r.label}: ${JSON.stringify((r.stderr + r.stdout).slice(0, 300))}`);
    expect(leaks).toEqual([]);

    // Not vacuous: the paths the payload must reach did echo it (escaped).
    const echoed = (label: string) => {
      const found = runs.filter((r) => r.label === label);
      expect(found.length, `no run labelled ${label}`).toBeGreaterThan(0);
      return found.some((r) => ECHOED.test(r.stdout + r.stderr));
    };
    const mustEcho = [
      "fleet validate --roster",
      "fleet ps --tenant",
      "fleet report --format",
      "agent send --timeout",
      "fleet ps --socket",
      "fleet ps --output",
      "fleet ps --watch --interval",
      "agent stub --interval",
      "fleet ps --unknown",
      "<unknown command>",
      "agent send <arg 0>",
      "fleet ps MOSAIC_FLEET_SOCKET",
      "fleet validate MOSAIC_ROSTER",
      "validate -f <payload file>",
      "validate -f <missing payload file>",
      "validate (payload fleet name)",
    ];
    expect(mustEcho.filter((label) => !echoed(label))).toEqual([]);
  }, 600_000);
});
