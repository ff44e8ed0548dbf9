// `mosaic fleet report` end to end, as cron runs it: the real CLI (bin/mosaic) against a
// private tmux server whose agent runs the wrong runtime, every format read back with a
// real parser; zero agents and no tmux server are never "compliant"; `--output` is
// atomic and fails cleanly; `--history` feeds the HTML chart; cron's bare environment.
// (The renderers alone are unit-tested in test/report/format-*.test.ts.)

import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execa } from "execa";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import type { AgentStatus, FleetStatus } from "../../src/diff/types.js";
import {
  BIN,
  DOGFOOD,
  HOST,
  ROOT,
  USER,
  agentOf,
  cliEnv,
  conditionOf,
  localDefaults,
  mosaic,
  scratch,
  type CliRun,
  type Scratch,
} from "./fleet-support.js";
import {
  REPORT_FORMATS,
  chromiumDom,
  domRows,
  findAll,
  markdownTables,
  parseDom,
  parseJunit,
  parsePrometheus,
  plain,
  promtoolCheck,
  textOf,
  warnMissing,
  writeTemp,
  type ReportFormat,
} from "./report-support.js";
import { skipOutsideCi } from "../helpers/skip.js";

type ReportDoc = FleetStatus & {
  summary: {
    agents: number;
    compliant: number;
    nonCompliant: number;
    unknown: number;
    unmanaged: number;
    verdict: string;
  };
};

/** An argument that carries terminal escapes (OSC 52 clipboard write, a title change, CSI). */
const HOSTILE_ARG = "\u001b]52;c;cHduZWQ=\u0007\u001b]0;pwned\u0007\u001b[31mred";

let fleet: TmuxServer | undefined;
let s: Scratch;
let noManager = "";
let driftRoster = "";

function env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return cliEnv({ TMUX_TMPDIR: fleet?.tmpdir, MOSAIC_HOME: s.home, HOME: s.dir, XDG_RUNTIME_DIR: noManager, ...extra });
}

function report(
  format: string, // a ReportFormat, or not: bad names are tested too
  roster: string,
  extra: string[] = [],
  runEnv: NodeJS.ProcessEnv = env(),
): Promise<CliRun> {
  return mosaic(["fleet", "report", "--format", format, "-f", roster, ...extra], runEnv, 30_000);
}

/** Only the usual whitespace controls: a report must never carry a terminal escape. */
function expectNoControlBytes(text: string, what: string): void {
  // eslint-disable-next-line no-control-regex
  const bad = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.exec(text);
  expect(
    bad,
    `${what} contains control byte ${bad ? JSON.stringify(bad[0]) : ""} near ${bad ? JSON.stringify(text.slice(Math.max(0, bad.index - 40), bad.index + 40)) : ""}`,
  ).toBeNull();
}

beforeAll(async () => {
  s = scratch("mf-report-");
  noManager = join(s.dir, "no-manager");
  mkdirSync(noManager, { mode: 0o700 });
  fleet = await startTmuxServer("report-drift");
  // The legacy dogfood agent where the roster says pi: Drift True (RuntimeMismatch).
  await fleet.newSession("drifty", ["python3", DOGFOOD]);
  // The same, with terminal escapes in its argv: they reach runtime.command.
  await fleet.newSession("escapey", ["python3", DOGFOOD, HOSTILE_ARG]);
  driftRoster = s.roster("drift.yaml", {
    version: 1,
    fleet: "report-e2e",
    defaults: localDefaults(fleet.socket, { heartbeat: false }),
    agents: [
      { name: "drifty", runtime: "pi" },
      { name: "escapey", runtime: "pi" },
    ],
  });
});

afterAll(async () => {
  await fleet?.kill();
  s?.cleanup();
});

/** Assert the drifted agent's Drift failure in one format's output, parsed for real. */
async function expectDriftIn(
  format: ReportFormat,
  text: string,
  ctx: { skip: (note?: string) => never },
): Promise<void> {
  switch (format) {
    case "json": {
      const doc = JSON.parse(text) as ReportDoc;
      expect(doc.kind).toBe("FleetStatus");
      expect(doc.apiVersion).toBe("mosaic.fleet/v1");
      expect(doc.fleet).toBe("report-e2e");
      expect(doc.summary.verdict).toBe("NONCOMPLIANT");
      const drifty: AgentStatus = agentOf(doc, "drifty");
      expect(conditionOf(drifty, "Drift")).toMatchObject({ status: "True", reason: "RuntimeMismatch" });
      expect(conditionOf(drifty, "Drift").message).toMatch(/pi/);
      expect(conditionOf(drifty, "Drift").message).toMatch(/dogfood-agent\.py/);
      expect(drifty.runtime).toMatchObject({ desired: "pi", actual: "stub" });
      expect(drifty.tenant_id).toBe(USER);
      expect(drifty.host).toBe(HOST);
      expect(conditionOf(agentOf(doc, "escapey"), "Drift")).toMatchObject({
        status: "True",
        reason: "RuntimeMismatch",
      });
      return;
    }
    case "junit": {
      const doc = parseJunit(text);
      expect(doc.suites).toHaveLength(1);
      const suite = doc.suites[0]!;
      expect(suite.properties["verdict"]).toBe("NONCOMPLIANT");
      const drift = suite.cases.find((c) => c.name === "drifty Drift");
      expect(drift, JSON.stringify(suite.cases.map((c) => c.name))).toBeDefined();
      expect(drift!.failure).toMatchObject({ type: "RuntimeMismatch" });
      expect(drift!.failure!.message).toMatch(/RuntimeMismatch: .*pi/);
      expect(suite.failures).toBeGreaterThanOrEqual(2);
      expect(suite.failures).toBe(suite.cases.filter((c) => c.failure).length);
      expect(doc.failures).toBe(suite.failures);
      return;
    }
    case "prometheus": {
      const tool = await promtoolCheck(text);
      if (tool === null)
        warnMissing("promtool", "the prometheus report is checked by the strict built-in exposition reader only");
      else expect(tool.code, tool.output).toBe(0);
      const { samples, types } = parsePrometheus(text);
      const drift = samples.filter(
        (x) =>
          x.name === "mosaic_agent_condition" &&
          x.labels["agent"] === "drifty" &&
          x.labels["condition"] === "Drift" &&
          x.value === 1,
      );
      expect(drift).toHaveLength(1);
      expect(drift[0]).toMatchObject({
        labels: { status: "true", fleet: "report-e2e", tenant_id: USER, host: HOST },
      });
      const reason = samples.find(
        (x) =>
          x.name === "mosaic_agent_condition_reason" &&
          x.labels["agent"] === "drifty" &&
          x.labels["condition"] === "Drift",
      );
      expect(reason?.labels["reason"]).toBe("RuntimeMismatch");
      expect(types.get("mosaic_agent_condition")).toBe("gauge");
      const compliant = samples.find((x) => x.name === "mosaic_fleet_compliant");
      expect(compliant?.value).toBe(0);
      expect(
        samples.find((x) => x.name === "mosaic_fleet_verdict" && x.labels["verdict"] === "NONCOMPLIANT")?.value,
      ).toBe(1);
      return;
    }
    case "markdown": {
      expect(text.split("\n")[0]).toMatch(/^# .*: NONCOMPLIANT$/);
      const tables = markdownTables(text);
      const conditionRows = tables.flat().filter((row) => row["condition"] !== undefined);
      const drift = conditionRows.find((row) => row["agent"] === "drifty" && row["condition"] === "Drift");
      expect(drift, JSON.stringify(conditionRows)).toBeDefined();
      expect(plain(drift!["status"] ?? "")).toBe("True");
      expect(drift!["reason"]).toBe("RuntimeMismatch");
      expect(drift!["message"]).toMatch(/dogfood-agent\.py/);
      return;
    }
    case "html": {
      const file = writeTemp(s.dir, "drift.html", text);
      const dom = await chromiumDom(file);
      if (dom === null) {
        warnMissing("/usr/bin/chromium", "the HTML report is NOT parsed by a browser; this test is skipped");
        return skipOutsideCi(ctx, "headless Chromium is not installed");
      }
      const root = parseDom(dom);
      const title = findAll(root, "title").map(textOf)[0] ?? "";
      expect(title).toMatch(/NONCOMPLIANT/);
      const rows = domRows(root);
      const drift = rows.find((r) => r.cells[0] === "drifty" && r.cells[1] === "Drift");
      expect(drift, JSON.stringify(rows)).toBeDefined();
      expect(drift!.className).toBe("status-True");
      expect(drift!.cells[2]).toBe("True");
      expect(drift!.cells[3]).toBe("RuntimeMismatch");
      expect(drift!.cells[4]).toMatch(/dogfood-agent\.py/);
      // The hostile argv reached the browser as visible text, not as a live escape.
      expectNoControlBytes(dom, "Chromium's DOM");
      return;
    }
  }
}

describe("fleet report against a drifted fleet", () => {
  for (const format of REPORT_FORMATS) {
    it(`--format ${format}: exit 1, and the drifted agent's Drift failure is in the parsed output`, async (ctx) => {
      const run = await report(format, driftRoster);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toBe("");
      expect(run.stdout.length).toBeGreaterThan(0);
      // The pane's argv carried OSC 52 and title escapes: escaped before any report.
      expectNoControlBytes(run.stdout, `the ${format} report`);
      await expectDriftIn(format, run.stdout, ctx);
    });
  }

  it("an unknown --format is a usage error (exit 2), nothing on stdout", async () => {
    const run = await report("csv", driftRoster);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/csv/);
  });
});

// --- nothing observed is never compliant -----------------------------------------------

/** The verdict as each format states it. */
async function verdictOf(format: ReportFormat, text: string): Promise<string> {
  switch (format) {
    case "json":
      return (JSON.parse(text) as ReportDoc).summary.verdict;
    case "junit": {
      const doc = parseJunit(text);
      // A CI system must not see a green suite.
      expect(doc.failures + doc.errors, text).toBeGreaterThan(0);
      return doc.suites[0]!.properties["verdict"] ?? "";
    }
    case "prometheus": {
      const { samples } = parsePrometheus(text);
      const tool = await promtoolCheck(text);
      if (tool !== null) expect(tool.code, tool.output).toBe(0);
      expect(samples.find((x) => x.name === "mosaic_fleet_compliant")?.value).toBe(0);
      const set = samples.filter((x) => x.name === "mosaic_fleet_verdict" && x.value === 1);
      expect(set).toHaveLength(1);
      return set[0]!.labels["verdict"] ?? "";
    }
    case "markdown":
      return /^# .*: ([A-Z]+)$/.exec(text.split("\n")[0] ?? "")?.[1] ?? "";
    case "html":
      return /<span class="badge badge-([A-Z]+)">/.exec(text)?.[1] ?? "";
  }
}

describe("nothing observed is never compliant", () => {
  for (const format of REPORT_FORMATS) {
    it(`zero agents (agents: []) --format ${format}: exit 1, says UNKNOWN`, async () => {
      const roster = s.roster("zero.yaml", { version: 1, defaults: localDefaults(fleet!.socket), agents: [] });
      const run = await report(format, roster);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toMatch(/UNKNOWN/);
      expect(await verdictOf(format, run.stdout)).toBe("UNKNOWN");
      expect(run.stdout).not.toMatch(/\bCOMPLIANT:/);
    });

    it(`no tmux server on the roster's socket --format ${format}: exit 1, UNKNOWN or NONCOMPLIANT, never COMPLIANT`, async () => {
      const roster = s.roster("noserver.yaml", {
        version: 1,
        defaults: localDefaults(`mf-report-nobody-${process.pid}`, { heartbeat: false }),
        agents: [{ name: "lonely", runtime: "shell" }],
      });
      const run = await report(format, roster);
      expect(run.code, run.stderr).toBe(1);
      expect(["UNKNOWN", "NONCOMPLIANT"]).toContain(await verdictOf(format, run.stdout));
      expect(run.stdout).toMatch(/TmuxUnavailable/);
      expect(run.stdout).not.toMatch(/\bCOMPLIANT:/);
    });
  }

  it("every agent on another host (unreadable here): exit 1, UNKNOWN with RemoteHost", async () => {
    const roster = s.roster("remote.yaml", {
      version: 1,
      defaults: localDefaults(fleet!.socket, { host: `not-${HOST}` }),
      agents: [{ name: "faraway", runtime: "shell" }],
    });
    const run = await report("json", roster);
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout) as ReportDoc;
    expect(doc.summary.verdict).toBe("UNKNOWN");
    expect(conditionOf(agentOf(doc, "faraway"), "PaneDead")).toMatchObject({ status: "Unknown", reason: "RemoteHost" });
  });
});

// --- --output and --history ---------------------------------------------------------------

/** A reader loop in its own process: reads FILE until STOP exists, counts bad reads. */
const READER = `
const { readFileSync, existsSync, writeFileSync } = require("node:fs");
const [file, stop, result] = process.argv.slice(1);
let reads = 0, bad = 0, missing = 0; const samples = [];
while (!existsSync(stop)) {
  let text;
  try { text = readFileSync(file, "utf8"); } catch { missing++; continue; }
  reads++;
  try {
    const doc = JSON.parse(text);
    if (doc.kind !== "FleetStatus" || !text.endsWith("}\\n")) throw new Error("incomplete");
  } catch (e) { bad++; if (samples.length < 3) samples.push(text.length + " bytes: " + text.slice(-60)); }
}
writeFileSync(result, JSON.stringify({ reads, bad, missing, samples }));
`;

interface ReaderResult {
  reads: number;
  bad: number;
  missing: number;
  samples: string[];
}

/** Run the reader against `file` while `writes` runs; return what it saw. */
async function readWhile(file: string, writes: () => Promise<void>): Promise<ReaderResult> {
  const stop = `${file}.stop`;
  const result = `${file}.reader.json`;
  rmSync(stop, { force: true });
  const reader = spawn(process.execPath, ["-e", READER, file, stop, result], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => reader.once("exit", () => resolve()));
  try {
    await writes();
  } finally {
    writeFileSync(stop, "");
    await exited;
  }
  const seen = JSON.parse(readFileSync(result, "utf8")) as ReaderResult;
  rmSync(stop, { force: true });
  rmSync(result, { force: true });
  return seen;
}

/** Whether `chattr +i` works here (ext4 and friends as root); false on tmpfs, overlay, … */
function chattr(flag: "+i" | "-i", path: string): boolean {
  const result = spawnSync("chattr", [flag, path], { stdio: "ignore" });
  return result.status === 0;
}

describe("--output", () => {
  it("is written atomically: a reader looping during repeated writes never sees an empty or partial file", async () => {
    const dir = join(s.dir, "atomic");
    mkdirSync(dir);
    const file = join(dir, "report.json");
    const runs: CliRun[] = [];
    const seen = await readWhile(file, async () => {
      // Sequential and concurrent writers, so renames race with each other and the reader.
      for (let round = 0; round < 3; round += 1) {
        runs.push(...(await Promise.all([0, 1, 2].map(() => report("json", driftRoster, ["--output", file])))));
      }
    });
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(
        new RegExp(`json report written to ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(NONCOMPLIANT\\)`),
      );
    }
    expect(seen.reads, JSON.stringify(seen)).toBeGreaterThan(50);
    expect(seen.bad, JSON.stringify(seen.samples)).toBe(0);
    expect((JSON.parse(readFileSync(file, "utf8")) as ReportDoc).summary.verdict).toBe("NONCOMPLIANT");
    // No temp files left behind next to the report.
    expect(readdirSync(dir).sort()).toEqual(["report.json"]);
    expect(statSync(file).mode & 0o777).toBe(0o644);
  }, 120_000);

  it("the reader loop above does catch a non-atomic writer (so the atomic test can fail)", async () => {
    const dir = join(s.dir, "torn");
    mkdirSync(dir);
    const file = join(dir, "report.json");
    const good = (await report("json", driftRoster)).stdout;
    writeFileSync(file, good);
    // Truncate, write half, pause, write the rest: what a plain writeFile can show a reader.
    const TORN = `
      const { openSync, writeSync, closeSync } = require("node:fs");
      const [file, text] = process.argv.slice(1);
      const half = Math.floor(text.length / 2);
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        const fd = openSync(file, "w");
        writeSync(fd, text.slice(0, half));
        const t = Date.now(); while (Date.now() - t < 2) {}
        writeSync(fd, text.slice(half));
        closeSync(fd);
      }`;
    const seen = await readWhile(file, async () => {
      await execa(process.execPath, ["-e", TORN, file, good]);
    });
    expect(seen.reads).toBeGreaterThan(50);
    expect(seen.bad).toBeGreaterThan(0);
  }, 30_000);

  it("into a missing directory: exit 2, one clear line, no file or directory created, nothing on stdout", async () => {
    const missingDir = join(s.dir, "no", "such", "dir");
    const target = join(missingDir, "report.json");
    const run = await report("json", driftRoster, ["--output", target]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    const lines = run.stderr.trim().split("\n");
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^mosaic: cannot write .*report\.json: directory .* does not exist$/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(join(s.dir, "no"))).toBe(false);
  });

  it("an empty --output or --history: exit 2, the one sentence that says so (not a write into the working directory)", async () => {
    for (const flag of ["--output", "--history"]) {
      const run = await report("json", driftRoster, [flag, ""]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe("mosaic: --output and --history need a file path\n");
    }
  });

  it("onto a directory: exit 2, one clear line, the directory untouched", async () => {
    const target = join(s.dir, "is-a-dir");
    mkdirSync(target);
    writeFileSync(join(target, "keep"), "keep");
    const run = await report("markdown", driftRoster, ["--output", target]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/is a directory/);
    expect(readdirSync(target)).toEqual(["keep"]);
    expect(readdirSync(s.dir).filter((n) => n.startsWith(".is-a-dir"))).toEqual([]);
  });

  // Root ignores mode bits (chmod 0555 does not stop it), so the read-only target is made
  // with the immutable attribute, which binds root too; where the file system has no
  // such attribute the test says so and skips (the cases above still run).
  it("into a read-only directory (chattr +i): exit 2, the existing report left intact byte for byte", async (ctx) => {
    const dir = join(s.dir, "readonly");
    mkdirSync(dir);
    const target = join(dir, "report.prom");
    const before = (await report("prometheus", driftRoster)).stdout;
    writeFileSync(target, before);
    chmodSync(dir, 0o555);
    if (!chattr("+i", dir)) {
      chmodSync(dir, 0o755);
      warnMissing(
        "chattr +i",
        `the file system under ${dir} has no immutable attribute; root cannot be denied a write here, so the read-only case is skipped`,
      );
      return skipOutsideCi(ctx, "no way to make a directory read-only for root here");
    }
    try {
      const run = await report("prometheus", driftRoster, ["--output", target]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr.trim().split("\n"), run.stderr).toHaveLength(1);
      expect(run.stderr).toMatch(
        /^mosaic: cannot write .*report\.prom: (permission denied|operation not permitted|read-only)/i,
      );
      expect(readFileSync(target, "utf8")).toBe(before);
      expect(readdirSync(dir)).toEqual(["report.prom"]);
    } finally {
      chattr("-i", dir);
      chmodSync(dir, 0o755);
    }
  });

  it("over an immutable report file (chattr +i): exit 2, the file intact, no temp file left beside it", async (ctx) => {
    const dir = join(s.dir, "immutable-file");
    mkdirSync(dir);
    const target = join(dir, "report.json");
    writeFileSync(target, '{"previous": true}\n');
    if (!chattr("+i", target)) {
      warnMissing("chattr +i", "no immutable attribute here; skipping the immutable-file case");
      return skipOutsideCi(ctx, "no immutable attribute here");
    }
    try {
      const run = await report("json", driftRoster, ["--output", target]);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split("\n"), run.stderr).toHaveLength(1);
      expect(run.stderr).toMatch(/^mosaic: cannot write .*report\.json: /);
      expect(readFileSync(target, "utf8")).toBe('{"previous": true}\n');
      expect(readdirSync(dir)).toEqual(["report.json"]);
    } finally {
      chattr("-i", target);
    }
  });

  it("--history appends one JSON line per run (3 runs → 3 lines), and the HTML report charts them in an <svg>", async (ctx) => {
    const dir = join(s.dir, "history");
    mkdirSync(dir);
    const history = join(dir, "h.jsonl");
    const html = join(dir, "report.html");
    for (let i = 0; i < 3; i += 1) {
      const run = await report("html", driftRoster, ["--output", html, "--history", history]);
      expect(run.code, run.stderr).toBe(1);
    }
    const lines = readFileSync(history, "utf8").split("\n");
    expect(lines.pop()).toBe(""); // ends with a newline
    expect(lines).toHaveLength(3);
    const entries = lines.map(
      (line) =>
        JSON.parse(line) as {
          observedAt: string;
          fleet: string;
          verdict: string;
          agents: number;
          nonCompliant: number;
        },
    );
    for (const entry of entries)
      expect(entry).toMatchObject({ fleet: "report-e2e", verdict: "NONCOMPLIANT", agents: 2, nonCompliant: 2 });
    expect(new Set(entries.map((e) => e.observedAt)).size).toBe(3);

    const text = readFileSync(html, "utf8");
    expect(text).toContain("<svg");
    // A failed run (unwritable output) records nothing.
    const failed = await report("html", driftRoster, [
      "--output",
      join(dir, "missing", "r.html"),
      "--history",
      history,
    ]);
    expect(failed.code).toBe(2);
    expect(readFileSync(history, "utf8").trim().split("\n")).toHaveLength(3);

    const dom = await chromiumDom(html);
    if (dom === null) {
      warnMissing("/usr/bin/chromium", "the history chart is NOT checked in a browser");
      return skipOutsideCi(ctx, "headless Chromium is not installed");
    }
    const svg = findAll(parseDom(dom), "svg");
    expect(svg).toHaveLength(1);
    const runs = findAll(svg[0]!, "g").filter((g) => (g.attrs["class"] ?? "").split(" ").includes("run"));
    expect(runs).toHaveLength(3);
    const tips = runs.map((g) => textOf(findAll(g, "title")[0]!));
    entries.forEach((entry, i) => expect(tips[i]).toContain(entry.observedAt));
  }, 60_000);
});

// --- cron ------------------------------------------------------------------------------

describe("cron's bare environment", () => {
  it("env -i PATH=/usr/bin:/bin HOME=… (no XDG_RUNTIME_DIR): non-zero, never COMPLIANT, units Unknown SystemdUnavailable", async () => {
    // A roster that would be compliant if anything could be seen: a shell agent, no heartbeat.
    const roster = s.roster("cron.yaml", {
      version: 1,
      defaults: localDefaults(`mf-report-cron-${process.pid}`, { heartbeat: false }),
      agents: [{ name: "cronjob", runtime: "shell" }],
    });
    const nodeDir = process.execPath.replace(/\/[^/]+$/, "");
    const path = ["/usr/bin", "/bin"].includes(nodeDir) ? "/usr/bin:/bin" : `${nodeDir}:/usr/bin:/bin`;
    const home = join(s.dir, "cron-home"); // a throwaway HOME: the real one is never read or written
    mkdirSync(home);
    const result = await execa(
      "env",
      ["-i", `PATH=${path}`, `HOME=${home}`, BIN, "fleet", "report", "--format", "json", "-f", roster],
      {
        cwd: ROOT,
        env: {},
        extendEnv: false,
        reject: false,
        timeout: 30_000,
      },
    );
    expect(result.exitCode, String(result.stderr)).not.toBe(0);
    expect(result.exitCode).toBe(1);
    const doc = JSON.parse(String(result.stdout)) as ReportDoc;
    expect(doc.summary.verdict).not.toBe("COMPLIANT");
    const agent = agentOf(doc, "cronjob");
    if (existsSync(`/run/user/${process.getuid?.() ?? 0}/systemd/private`)) {
      warnMissing("(nothing)", "/run/user/UID has a real user manager: the SystemdUnavailable assertion is skipped");
    } else {
      expect(conditionOf(agent, "UnitDown")).toMatchObject({ status: "Unknown", reason: "SystemdUnavailable" });
      expect(conditionOf(agent, "BootDisabled")).toMatchObject({ status: "Unknown", reason: "SystemdUnavailable" });
      expect(agent.unit).toMatchObject({ active: "unknown", enabled: "unknown" });
    }
    // A report creates nothing in HOME but its own caches (XDG: ~/.cache/mosaic): the
    // roster's, and the compiled code of this command (src/cli/boot.ts).
    const created = readdirSync(home, { recursive: true }).map(String).sort();
    expect(
      created.filter(
        (path) => !/^\.cache(\/mosaic(\/(roster-[0-9a-f]{16}\.json|code-fleet-report-[0-9a-f]{16}\.v8))?)?$/.test(path),
      ),
    ).toEqual([]);
  });
});
