import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../src/cli/main.js";
import type { Io } from "../../src/cli/io.js";
import { safeText } from "../../src/terminal-text.js";
import { BIN, cleanEnv, runCli, scratchDir } from "./run-cli.js";

// The roster travels as {path, label} (src/spec/read.ts, RosterFile): the path is what
// is opened and keys the roster cache; the label (as typed, relative under the current
// directory, escaped) is only shown. These run the CLI in this process with its own
// working directory, which is not the process's: a label opened as a path would miss.

const VALID = "version: 1\nfleet: labels\nagents:\n  - {name: a, runtime: stub, tenant: t}\n";
const INVALID = "version: 1\nagents:\n  - {name: a, runtime: stubb}\n";
// eslint-disable-next-line no-control-regex -- finding raw control bytes is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

let scratch: { dir: string; cleanup: () => void };
beforeAll(() => {
  scratch = scratchDir("mosaic-roster-file-");
});
afterAll(() => scratch.cleanup());

async function mosaic(argv: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: { HOME: scratch.dir, XDG_CACHE_HOME: join(scratch.dir, "cache"), ...env },
    cwd,
    stdoutIsTTY: false,
    stdinIsTTY: false,
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

describe("the roster is opened by its path and shown by its label", () => {
  it("a relative -f is taken from the command's working directory, and shown as typed", async () => {
    const cwd = join(scratch.dir, "relative");
    mkdirSync(join(cwd, "sub"), { recursive: true });
    writeFileSync(join(cwd, "sub", "good.yaml"), VALID);
    writeFileSync(join(cwd, "sub", "bad.yaml"), INVALID);
    expect(process.cwd()).not.toBe(cwd);

    const good = await mosaic(["fleet", "validate", "-f", "sub/good.yaml"], cwd);
    expect(good).toEqual({ code: 0, stdout: 'sub/good.yaml: valid roster v1, fleet "labels", 1 agent\n', stderr: "" });

    const bad = await mosaic(["fleet", "validate", "-f", "sub/bad.yaml"], cwd);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^sub\/bad\.yaml:3:\d+: /);

    // The same through the cached loader every other command uses.
    const tenant = await mosaic(["fleet", "ps", "-f", "sub/good.yaml", "--tenant", "nobody"], cwd);
    expect(tenant).toMatchObject({
      code: 2,
      stderr: 'mosaic: no agents of tenant "nobody" in sub/good.yaml (tenants: t)\n',
    });
  });

  it("the roster cache is keyed by the file, not by how it was named: one entry, each run with its own label", async () => {
    const root = join(scratch.dir, "keyed");
    mkdirSync(join(root, "a", "b"), { recursive: true });
    writeFileSync(join(root, "a", "b", "roster.yaml"), VALID);
    const cache = join(root, "cache");
    const env = { XDG_CACHE_HOME: cache };
    const argv = (file: string) => ["__complete", "agents", "-f", file];

    expect(await mosaic(argv("b/roster.yaml"), join(root, "a"), env)).toEqual({ code: 0, stdout: "a\n", stderr: "" });
    expect(await mosaic(argv("a/b/roster.yaml"), root, env)).toEqual({ code: 0, stdout: "a\n", stderr: "" });
    expect(readdirSync(join(cache, "mosaic")).filter((f) => f.startsWith("roster-"))).toHaveLength(1);

    // A hit written from another directory still shows this run's label.
    const shown = await mosaic(["fleet", "ps", "-f", "roster.yaml", "--tenant", "x"], join(root, "a", "b"), env);
    expect(shown.stderr).toBe('mosaic: no agents of tenant "x" in roster.yaml (tenants: t)\n');
  });

  it("a path with spaces and control characters is opened; its label is escaped wherever it is shown", async () => {
    const name = "we ird\u001b]0;pwned\u0007\n\u009b31m dir";
    const cwd = join(scratch.dir, "hostile");
    mkdirSync(join(cwd, name), { recursive: true });
    writeFileSync(join(cwd, name, "roster.yaml"), VALID);
    writeFileSync(join(cwd, name, "bad.yaml"), INVALID);
    const label = safeText(`${name}/roster.yaml`);

    const good = await mosaic(["fleet", "validate", "-f", `${name}/roster.yaml`], cwd);
    expect(good.code).toBe(0);
    expect(good.stdout).toBe(`${label}: valid roster v1, fleet "labels", 1 agent\n`);

    const json = await mosaic(["fleet", "validate", "-o", "json", "-f", join(cwd, name, "bad.yaml")], cwd);
    expect(json.code).toBe(2);
    const document = JSON.parse(json.stdout) as { file: string; problems: { file: string }[] };
    expect(document.file).toBe(safeText(`${name}/bad.yaml`));
    expect(document.problems[0]?.file).toBe(document.file);

    const bad = await mosaic(["fleet", "validate", "-f", `${name}/bad.yaml`], cwd);
    expect(bad.stderr.startsWith(`${safeText(`${name}/bad.yaml`)}:3:`)).toBe(true);
    expect(bad.stderr.split("\n")).toHaveLength(2);

    const tenant = await mosaic(["fleet", "diff", "-f", `${name}/roster.yaml`, "--tenant", "no\u001bbody"], cwd);
    expect(tenant.code).toBe(2);
    expect(tenant.stderr).toBe(`mosaic: no agents of tenant "no\\x1bbody" in ${label} (tenants: t)\n`);
    for (const out of [good.stdout, bad.stderr, json.stdout, tenant.stderr]) expect(out).not.toMatch(RAW_CONTROL);
  });

  it("property: any file name is opened, and shown as one escaped line", async () => {
    const cwd = join(scratch.dir, "property");
    mkdirSync(cwd, { recursive: true });
    let n = 0;
    const segment = fc
      .string({
        unit: fc.constantFrom("a", " ", "\n", "\t", "\u001b", "\u0007", "\u009b", "\u202e", "é", "-", "\u0001"),
      })
      // (An all-blank -f is refused as empty, by design: docs/commands.md, Common options.)
      // (`-f -` is standard input, as for every Unix tool: a file named `-` is given as `./-`.)
      .filter((s) => s.trim() !== "" && s !== "." && s !== ".." && s !== "-");
    await fc.assert(
      fc.asyncProperty(segment, async (raw) => {
        n += 1;
        const dir = join(cwd, String(n));
        mkdirSync(dir);
        writeFileSync(join(dir, raw), VALID);
        const result = await mosaic(["fleet", "validate", "-f", raw], dir);
        expect(result.code).toBe(0);
        expect(result.stdout).toBe(`${safeText(raw)}: valid roster v1, fleet "labels", 1 agent\n`);
        expect(result.stdout).not.toMatch(RAW_CONTROL);
      }),
      { numRuns: 60 },
    );
  });
});

describe("-f - reads the roster from standard input, labelled <stdin>", () => {
  it("fleet validate -f -: valid, and an invalid one named <stdin>:LINE:COL", () => {
    const cwd = scratch.dir;
    const good = runCli(["fleet", "validate", "-f", "-"], { cwd, input: VALID });
    expect(good).toMatchObject({ code: 0, stdout: '<stdin>: valid roster v1, fleet "labels", 1 agent\n' });
    const bad = runCli(["fleet", "validate", "-f", "-"], { cwd, input: INVALID });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^<stdin>:3:\d+: /);
  });

  it("fleet ps -f - (the cached loader): read from stdin, labelled <stdin>, cached by its bytes (other bytes are never served the old entry)", () => {
    const cwd = join(scratch.dir, "stdin-ps");
    mkdirSync(cwd);
    const env = { XDG_CACHE_HOME: join(cwd, "cache") };
    const entries = () => {
      try {
        return readdirSync(join(cwd, "cache", "mosaic")).filter((f) => f.startsWith("roster-"));
      } catch {
        return [];
      }
    };
    const first = runCli(["fleet", "ps", "-f", "-", "--tenant", "x"], { cwd, env, input: VALID });
    expect(first).toMatchObject({ code: 2, stderr: 'mosaic: no agents of tenant "x" in <stdin> (tenants: t)\n' });
    // The same bytes again: from the entry (one entry, keyed by the bytes).
    const again = runCli(["fleet", "ps", "-f", "-", "--tenant", "x"], { cwd, env, input: VALID });
    expect(again).toMatchObject({ code: 2, stderr: 'mosaic: no agents of tenant "x" in <stdin> (tenants: t)\n' });
    expect(entries()).toHaveLength(1);
    // Other bytes: parsed afresh, never the old fleet.
    const other = runCli(["fleet", "ps", "-f", "-", "--tenant", "x"], {
      cwd,
      env,
      input: VALID.replace("tenant: t", "tenant: u"),
    });
    expect(other).toMatchObject({ code: 2, stderr: 'mosaic: no agents of tenant "x" in <stdin> (tenants: u)\n' });
    expect(entries()).toHaveLength(1);
  });

  it("a non-blocking stdin that stays empty is waited for, not spun on (CPU while waiting), then read whole", async () => {
    const fifo = join(scratch.dir, "stdin.fifo");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    // libuv makes an inherited stdin blocking again in the child; perl (perl-base, always
    // on Debian) sets O_NONBLOCK back on it and execs the CLI, as a caller holding a
    // non-blocking pipe would hand it over (a test runner's worker did).
    const nonblocking = "use Fcntl; fcntl(STDIN, F_SETFL, fcntl(STDIN, F_GETFL, 0) | O_NONBLOCK) or die; exec @ARGV";
    const child = spawn("perl", ["-e", nonblocking, process.execPath, BIN, "fleet", "validate", "-f", "-"], {
      cwd: scratch.dir,
      env: cleanEnv(scratch.dir),
      stdio: [reader, "pipe", "pipe"],
    });
    closeSync(reader);
    let stdout = "";
    child.stdout?.on("data", (d: Buffer) => void (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const waitMs = 3_000;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      // utime + stime (clock ticks, 100 per second) of the CLI so far: start-up, then waiting.
      const fields = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      const cpuMs = (Number(fields[11]) + Number(fields[12])) * 10;
      // A loop that reads again at once would burn most of a core for the whole wait.
      expect(cpuMs).toBeLessThan(waitMs * 0.3);
      writeSync(writer, VALID);
    } finally {
      closeSync(writer);
    }
    expect(await exited).toBe(0);
    expect(stdout).toBe('<stdin>: valid roster v1, fleet "labels", 1 agent\n');
  }, 30_000);

  it("a roster on stdin over the cap is refused in one sentence, exit 2", () => {
    const big = `${VALID}${"# padding\n".repeat(110_000)}`;
    const result = runCli(["fleet", "validate", "-f", "-"], { cwd: scratch.dir, input: big });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("<stdin>: is larger than 1048576 bytes\n");
  });
});
