// `fleet ps` in a real terminal (issue 15 item 1, issue 13 class 8). The operator's
// terminal is a pane of a second private tmux server, so the CLI's stdout is a TTY of a
// known width; the fleet is a private tmux server with stub agents, one of them with a
// 57-character name, and an unmanaged session named in East Asian wide characters. What the pane shows is read
// back with capture-pane -J (a wrapped line comes back as one long line, so a table that
// wrapped would be caught).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import stringWidth from "string-width";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import { BIN, readText, ROOT, sq, waitUntil } from "./agent-support.js";
import { Fleet } from "./send-support.js";

const LONG = "review-queue-worker-with-a-really-long-descriptive-name-7";
/** An unmanaged session with East Asian wide characters (agent names are ASCII; session names need not be). */
const WIDE = "漢字エージェントの作業セッション";
const ESSENTIAL = ["NAME", "PANE", "HEARTBEAT", "CONDITIONS"];

let fleet: Fleet;
let terminal: TmuxServer;
let runs = 0;

beforeAll(async () => {
  fleet = await Fleet.start("ps-width");
  fleet.writeRoster([
    { name: "coder-1", runtime: "stub" },
    { name: LONG, runtime: "stub" },
    { name: "missing-1", runtime: "claude" },
  ]);
  await fleet.startStub("coder-1");
  // Wide enough that the stub's banner (which names its heartbeat path) does not wrap.
  await fleet.startStub(LONG, 400);
  await fleet.tmux.newSession(WIDE, ["sleep", "600"]);
  terminal = await startTmuxServer("ps-term");
  expect((await terminal.tmux("set-option", "-g", "status", "off")).ok).toBe(true);
  expect((await terminal.tmux("set-option", "-g", "remain-on-exit", "on")).ok).toBe(true);
}, 60_000);

afterAll(async () => {
  await terminal?.kill();
  await fleet?.stop();
});

/** Run `mosaic ARGS` in a WIDTH-column pane of the operator's terminal; its exit status and screen. */
async function inTerminal(
  args: string[],
  width: number,
  env: Record<string, string> = {},
  capture: string[] = [],
): Promise<{ status: number; screen: string }> {
  runs += 1;
  const session = `run${runs}`;
  const statusFile = join(fleet.base, `${session}.status`);
  const vars = { TMUX_TMPDIR: fleet.tmux.tmpdir, MOSAIC_HOME: fleet.home, NO_COLOR: "1", ...env };
  const entries = Object.entries(vars);
  const assignments = [
    ...entries.filter(([, v]) => v === "").map(([k]) => `-u ${k}`),
    ...entries.filter(([, v]) => v !== "").map(([k, v]) => `${k}=${sq(v)}`),
  ].join(" ");
  const command = [process.execPath, BIN, ...args].map(sq).join(" ");
  const script = `cd ${sq(ROOT)} && env ${assignments} ${command}; echo $? > ${sq(statusFile)}`;
  await terminal.newSession(session, ["sh", "-c", script], { width, height: 40 });
  const done = await waitUntil(() => /^\d+\n$/.test(readText(statusFile) ?? ""), 20_000);
  // From the start of history: a pane made at one size and resized can push its first lines up.
  const screen = (await terminal.tmux("capture-pane", "-p", "-J", "-S", "-", ...capture, "-t", `=${session}:`)).stdout;
  expect(done, `still running; screen:\n${screen}`).toBe(true);
  return { status: Number(readFileSync(statusFile, "utf8")), screen: screen.replace(/\s+$/, "") };
}

function expectFits(screen: string, width: number): void {
  const lines = screen.split("\n");
  for (const line of lines)
    expect(stringWidth(line), `${JSON.stringify(line)} in\n${screen}`).toBeLessThanOrEqual(width);
  const header = lines.find((line) => line.startsWith("NAME")) ?? "";
  for (const column of ESSENTIAL) expect(header.split(/\s+/), screen).toContain(column);
}

describe("fleet ps on a terminal", () => {
  it("COLUMNS=80 in a 200-column pane: no line wider than 80, essentials kept, the long name cut with …", async () => {
    const { status, screen } = await inTerminal(["fleet", "ps", "-f", fleet.roster], 200, { COLUMNS: "80" });
    expect(status, screen).toBe(0);
    expectFits(screen, 80);
    // One tenant and one host: said once above the table, not on every row.
    expect(screen).toMatch(/^TENANT: \S+ {3}HOST: \S+$/m);
    expect(screen).not.toMatch(/^NAME\s.*\bTENANT\b/m);
    expect(screen).toMatch(/^coder-1 +alive +healthy/m);
    expect(screen).toMatch(/^unmanaged: session "漢字/m);
    expect(screen).toMatch(/^missing-1 +missing/m);
    const long = screen.split("\n").find((line) => line.startsWith(LONG.slice(0, 20)));
    expect(long, screen).toBeDefined();
  }, 60_000);

  it("the terminal's own width when COLUMNS is not set (a 60-column pane), names cut last", async () => {
    const { status, screen } = await inTerminal(["fleet", "ps", "-f", fleet.roster], 60, { COLUMNS: "" });
    expect(status, screen).toBe(0);
    expectFits(screen, 60);
    const long = screen.split("\n").find((line) => line.startsWith(LONG.slice(0, 12)));
    expect(long, screen).toMatch(/…/);
  }, 60_000);

  it("a mistyped socket: every row reads ?all in its own colour, a footer says why, and ps still exits 0", async () => {
    const { status, screen } = await inTerminal(
      ["fleet", "ps", "-f", fleet.roster, "--socket", "no-such-socket"],
      80,
      { NO_COLOR: "", COLUMNS: "" },
      ["-e"],
    );
    expect(status, screen).toBe(0);
    // eslint-disable-next-line no-control-regex -- the test strips escape sequences
    const visible = screen.replace(/\u001b\[[0-9;]*m/g, "");
    expectFits(visible, 80);
    for (const name of ["coder-1", "missing-1"]) expect(visible).toMatch(new RegExp(`^${name} .*\\?`, "m"));
    expect(visible).not.toMatch(/^coder-1 .* -$/m);
    expect(visible).toMatch(/^3 agents not fully observed/m);
    expect(visible).toMatch(/TmuxUnavailable: /);
    // Unknown in magenta (SGR 35), distinct from a problem's red (31) and a warning's yellow (33).
    // eslint-disable-next-line no-control-regex -- the test looks for an escape sequence
    expect(screen).toMatch(/\u001b\[35m\?/);
  }, 60_000);

  it("fleet diff and fleet report are not compliant when nothing could be observed", async () => {
    const diff = await fleet.cli(["fleet", "diff", "-f", fleet.roster, "--socket", "no-such-socket"]);
    expect(diff.code, diff.stdout).toBe(1);
    expect(diff.stdout).toMatch(/^ {4}\? PaneDead=Unknown TmuxUnavailable/m);
    expect(diff.stdout).toMatch(/3 not fully observed \(not compliant\)\./);
    const report = await fleet.cli([
      "fleet",
      "report",
      "--format",
      "markdown",
      "-f",
      fleet.roster,
      "--socket",
      "no-such-socket",
    ]);
    expect(report.code, report.stderr).toBe(1);
    expect(report.stdout).toMatch(/^# Fleet .*: UNKNOWN$/m);
    expect(report.stdout).toMatch(/_\?PaneDead_/);
  }, 60_000);

  it("not a terminal: the full columns whatever COLUMNS says, nothing cut", async () => {
    const run = await fleet.cli(["fleet", "ps", "-f", fleet.roster], { COLUMNS: "40" });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^NAME\s+TENANT\s+HOST\s+RUNTIME\s+UNIT\s+PANE\s+PID\s+IDLE\s+HEARTBEAT\s+CONDITIONS$/m);
    expect(run.stdout).toContain(LONG);
    expect(run.stdout).not.toContain("…");
  }, 60_000);

  it("--watch fits the terminal and redraws at the new width when it is resized", async () => {
    runs += 1;
    const session = `watch${runs}`;
    const statusFile = join(fleet.base, `${session}.status`);
    const command = [process.execPath, BIN, "fleet", "ps", "--watch", "-f", fleet.roster].map(sq).join(" ");
    const vars = `TMUX_TMPDIR=${sq(fleet.tmux.tmpdir)} MOSAIC_HOME=${sq(fleet.home)} NO_COLOR=1`;
    await terminal.newSession(
      session,
      ["sh", "-c", `cd ${sq(ROOT)} && env -u COLUMNS ${vars} ${command}; echo $? > ${sq(statusFile)}`],
      {
        width: 70,
        height: 30,
      },
    );
    const screen = async () => (await terminal.tmux("capture-pane", "-p", "-J", "-t", `=${session}:`)).stdout;
    const drawnWithin = async (width: number) => {
      const text = await screen();
      const lines = text.split("\n");
      return (
        lines.some((line) => /^NAME\s+PANE\s+HEARTBEAT\s+CONDITIONS$/.test(line.trimEnd())) &&
        lines.some((line) => line.startsWith("coder-1")) &&
        lines.every((line) => stringWidth(line.trimEnd()) <= width)
      );
    };
    expect(await waitUntil(() => drawnWithin(70), 20_000), await screen()).toBe(true);
    expect((await terminal.tmux("resize-window", "-t", `=${session}:`, "-x", "48", "-y", "30")).ok).toBe(true);
    expect(await waitUntil(() => drawnWithin(48), 10_000), await screen()).toBe(true);
    expect(await screen()).toMatch(/\(resized; Ctrl-C/);
    // (How Ctrl-C leaves is the watch's own test; here the session just goes.)
    expect((await terminal.tmux("kill-session", "-t", `=${session}`)).ok).toBe(true);
  }, 60_000);

  it("-o wide on a terminal is never cut", async () => {
    const { screen } = await inTerminal(["fleet", "ps", "-f", fleet.roster, "-o", "wide"], 320, { COLUMNS: "80" });
    expect(screen).toMatch(/^NAME\s+TENANT\s+HOST\s.*\sUNIT-NAME\s+RESTARTS$/m);
    expect(screen).toContain(`mosaic-agent@${LONG}.service`);
  }, 60_000);
});
