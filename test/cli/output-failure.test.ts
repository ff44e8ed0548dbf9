// Output that cannot be written is said, never a stack trace (docs/commands.md, Exit
// codes: 74), and a watch ends. Fault injection: every command's stdout is /dev/full (ENOSPC on every
// write, a device Node writes asynchronously) or a file on it; the command exits 74 with
// exactly one sentence on stderr. A reader that leaves (EPIPE) stays quiet with the
// command's own code, and a command that writes nothing to stdout is not failed by it.

import { closeSync, openSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, cleanEnv, scratchDir } from "./run-cli.js";

const FAILED = "mosaic: cannot write to standard output (ENOSPC); the output is incomplete\n";

let scratch: { dir: string; cleanup: () => void };
let roster: string;
beforeAll(() => {
  scratch = scratchDir("mosaic-output-failure-");
  roster = join(scratch.dir, "roster.yaml");
  writeFileSync(roster, "version: 1\nfleet: full\nagents:\n  - {name: a, runtime: stub, socket: mf-none-socket}\n");
});
afterAll(() => scratch.cleanup());

/** Run the CLI with stdout on /dev/full. */
function toFullDisk(args: readonly string[]) {
  const fd = openSync("/dev/full", "w");
  try {
    const result = spawnSync(process.execPath, [BIN, ...args], {
      cwd: scratch.dir,
      env: cleanEnv(scratch.dir, { TMUX_TMPDIR: scratch.dir, XDG_RUNTIME_DIR: undefined }),
      stdio: ["ignore", fd, "pipe"],
      encoding: "utf8",
      timeout: 20_000,
    });
    return { code: result.status, stderr: result.stderr ?? "" };
  } finally {
    closeSync(fd);
  }
}

const COMMANDS: readonly (readonly string[])[] = [
  ["--help"],
  ["--version"],
  ["help", "fleet", "ps"],
  ["fleet", "ps", "--help"],
  ["agent", "send", "--help"],
  ["fleet", "schema"],
  ["completion", "bash"],
  ["completion", "zsh"],
  ["completion", "fish"],
  ["fleet", "validate", "-f", "ROSTER"],
  ["fleet", "validate", "-f", "ROSTER", "-o", "json"],
  ["fleet", "ps", "-f", "ROSTER", "-o", "json"],
  ["fleet", "ps", "-f", "ROSTER", "-o", "yaml"],
  ["fleet", "ps", "-f", "ROSTER", "-o", "wide"],
  // A watch runs until Ctrl-C: output that cannot be written ends it (a hang times out here).
  ["fleet", "ps", "-f", "ROSTER", "--watch", "-o", "json"],
  ["fleet", "diff", "-f", "ROSTER", "-o", "json"],
  ["fleet", "report", "-f", "ROSTER", "--format", "markdown"],
  ["fleet", "report", "-f", "ROSTER", "--format", "prometheus"],
];

describe("stdout on a full disk: exit 74 and one sentence, never a stack trace", () => {
  it.each(COMMANDS.map((c) => [c.join(" ")]))("%s", (line) => {
    const args = line.split(" ").map((a) => (a === "ROSTER" ? roster : a));
    const run = toFullDisk(args);
    expect(run.code, run.stderr).toBe(74);
    // The command's own words may come first (e.g. an Unknown footer); the last line is ours.
    expect(run.stderr.endsWith(FAILED), run.stderr).toBe(true);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.stderr.split(FAILED)).toHaveLength(2);
  });

  it("a command that prints nothing on stdout keeps its own code (only stderr was written)", () => {
    const run = toFullDisk(["fleet", "validate", "-f", join(scratch.dir, "missing.yaml")]);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toContain("cannot write");
  });

  it("a reader that leaves (EPIPE) is not a failure: quiet, the command's own code", () => {
    const result = spawnSync(
      "bash",
      ["-c", `"${process.execPath}" "${BIN}" fleet schema | head -c 1 >/dev/null; exit \${PIPESTATUS[0]}`],
      {
        cwd: scratch.dir,
        env: cleanEnv(scratch.dir),
        encoding: "utf8",
        timeout: 20_000,
      },
    );
    expect(result.status).toBe(0);
    expect(result.stderr).toBe("");
  });
});
