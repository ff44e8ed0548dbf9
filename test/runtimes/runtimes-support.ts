// The real runtimes in the loop: the pinned claude-code, codex, opencode and pi that
// scripts/install-runtimes.sh keeps in a cache outside the clone, each run OFFLINE in a
// pane of a private tmux server started in a network namespace of its own (`unshare
// -n`: not even loopback is up, so nothing can reach out), with a private HOME and
// telemetry and updates switched off. Each test file starts its runtime once and reuses
// it across cases. Not a test file.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { skipIfOutsideCi } from "../helpers/skip.js";
import { startTmuxServer, type TmuxServer } from "../helpers/tmux.js";
import { BIN, ROOT, pidsWithEnv, signal, waitUntil } from "../integration/agent-support.js";
import { Fleet } from "../integration/send-support.js";
import type { AgentStatus } from "../../src/diff/types.js";

/** The cache directory of the pinned runtimes, or null when they are not installed. */
function findRuntimes(): string | null {
  const fromEnv = process.env["MOSAIC_RUNTIMES_DIR"];
  if (fromEnv) return fromEnv;
  const check = spawnSync(join(ROOT, "scripts", "install-runtimes.sh"), ["--check"], { encoding: "utf8" });
  return check.status === 0 ? check.stdout.trim().split("\n").pop() || null : null;
}

/** A network namespace of our own: `unshare -n` as root, else with a user namespace. */
function findLauncher(): string[] | null {
  for (const launcher of [
    ["unshare", "-n"],
    ["unshare", "-rn"],
  ]) {
    const probe = spawnSync(launcher[0] as string, [...launcher.slice(1), "true"], { stdio: "ignore" });
    if (probe.status === 0) return launcher;
  }
  return null;
}

export const RUNTIMES = findRuntimes();
export const LAUNCHER = findLauncher();
/** For describe.skipIf: the runtimes and a network namespace are required in CI. */
export const MISSING = skipIfOutsideCi(
  RUNTIMES === null || LAUNCHER === null,
  RUNTIMES === null
    ? "the real runtimes are not installed (scripts/install-runtimes.sh)"
    : "cannot make a network namespace (unshare -n) to run them offline",
);

/** Where each runtime's program is, inside the cache. */
export function runtimePath(...parts: string[]): string {
  return join(RUNTIMES ?? "/nonexistent", ...parts);
}

export const CLAUDE_BIN = () => runtimePath("claude", "node_modules", ".bin", "claude");
export const CLAUDE_EXE = () =>
  runtimePath("claude", "node_modules", "@anthropic-ai", "claude-code", "bin", "claude.exe");
export const CLAUDE_OLD_CLI = () => runtimePath("claude-old", "node_modules", "@anthropic-ai", "claude-code", "cli.js");
export const CODEX_BIN = () => runtimePath("codex", "node_modules", ".bin", "codex");
export const OPENCODE_BIN = () => runtimePath("opencode", "node_modules", ".bin", "opencode");
export const PI_CLI = () => runtimePath("pi", "node_modules", "@mariozechner", "pi-coding-agent", "dist", "cli.js");

/** No telemetry, no update checks, no colour surprises: what every runtime pane gets. */
export const QUIET_ENV: Record<string, string> = {
  TERM: "xterm-256color",
  DISABLE_AUTOUPDATER: "1",
  DISABLE_TELEMETRY: "1",
  DISABLE_ERROR_REPORTING: "1",
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
  DO_NOT_TRACK: "1",
  OPENCODE_DISABLE_AUTOUPDATE: "1",
  OPENCODE_DISABLE_SHARE: "1",
  CODEX_DISABLE_UPDATE_CHECK: "1",
  PI_SKIP_VERSION_CHECK: "1",
  NO_UPDATE_NOTIFIER: "1",
};

/** A dummy Anthropic key: Claude Code starts with it and fails at its first request. */
export const CLAUDE_KEY = "sk-ant-mosaic-offline-test-key";

/** A fleet whose tmux server (so every pane) has no network at all. */
export async function offlineFleet(label: string): Promise<Fleet> {
  return Fleet.start(label, { launcher: LAUNCHER ?? [] });
}

/** A private HOME under the fleet's directory, with a work directory the runtime starts in. */
export function makeHome(fleet: Fleet, name: string): { home: string; work: string } {
  const home = join(fleet.base, `home-${name}`);
  const work = join(home, "work");
  mkdirSync(work, { recursive: true });
  return { home, work };
}

/** Claude Code's config: onboarding done, the dummy key approved; the folder trusted or not; hooks. */
export function claudeHome(
  fleet: Fleet,
  name: string,
  opts: { trusted?: boolean; approveKey?: boolean; hookAgent?: string } = {},
): { home: string; work: string } {
  const where = makeHome(fleet, name);
  const config: Record<string, unknown> = {
    hasCompletedOnboarding: true,
    lastOnboardingVersion: "2.1.197",
    customApiKeyResponses: { approved: opts.approveKey === false ? [] : [CLAUDE_KEY.slice(-20)], rejected: [] },
  };
  if (opts.trusted) config["projects"] = { [where.work]: { hasTrustDialogAccepted: true } };
  writeFileSync(join(where.home, ".claude.json"), JSON.stringify(config));
  if (opts.hookAgent !== undefined) {
    // The adapter, configured as Claude Code's UserPromptSubmit command hook.
    mkdirSync(join(where.home, ".claude"), { recursive: true });
    const command = `${process.execPath} ${BIN} agent hook claude-code ${opts.hookAgent}`;
    writeFileSync(
      join(where.home, ".claude", "settings.json"),
      JSON.stringify({ hooks: { UserPromptSubmit: [{ hooks: [{ type: "command", command }] }] } }),
    );
  }
  return where;
}

/** The env of a Claude Code pane: its HOME, the dummy key and an API address nothing answers. */
export function claudeEnv(home: string, fleet: Fleet, agent: string): Record<string, string> {
  return {
    ...QUIET_ENV,
    HOME: home,
    ANTHROPIC_API_KEY: CLAUDE_KEY,
    ANTHROPIC_BASE_URL: "http://127.0.0.1:9",
    MOSAIC_HOME: fleet.home,
    MOSAIC_AGENT_NAME: agent,
  };
}

/** Marks every process a runtime test started (daemons that left the pane included). */
const MARK = "MOSAIC_RUNTIME_TEST";

/** Start a runtime in session NAME (120×40) with exactly `env` on top of the server's. */
export async function startRuntime(
  fleet: Fleet,
  name: string,
  argv: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<void> {
  const assignments = Object.entries({ ...env, [MARK]: fleet.base }).map(([key, value]) => `${key}=${value}`);
  await fleet.tmux.newSession(name, ["env", "-C", cwd, ...assignments, ...argv], { width: 120, height: 40 });
}

/**
 * Stop the fleet and everything its runtimes started: the tmux server first (its panes
 * get SIGHUP), then whatever outlived it — helper daemons that left the pane's session
 * (codex app-server) — with SIGTERM, then SIGKILL; then remove the homes.
 */
export async function stopRuntimeFleet(fleet: Fleet | undefined): Promise<void> {
  if (!fleet) return;
  await fleet.tmux.kill();
  for (const sig of ["SIGTERM", "SIGKILL"] as const) {
    if (await waitUntil(() => pidsWithEnv(MARK, fleet.base).length === 0, 5_000)) break;
    for (const pid of pidsWithEnv(MARK, fleet.base)) signal(pid, sig);
  }
  await fleet.stop();
}

/** Wait until the pane shows `pattern`; the screen, or a failed expectation showing it. */
export async function waitForScreen(fleet: Fleet, name: string, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  let screen = "";
  const seen = await waitUntil(async () => {
    screen = await fleet.capture(name);
    return pattern.test(screen);
  }, timeoutMs);
  expect(seen, `${name} never showed ${pattern}; screen:\n${screen}`).toBe(true);
  return screen;
}

/** Pane text and the pane's cursor, for "nothing changed" checks. */
export async function snapshot(fleet: Fleet, name: string): Promise<string> {
  return `${await fleet.format(name, "#{cursor_x},#{cursor_y} #{history_size}")}\n${await fleet.capture(name, ["-e"])}`;
}

/** `fleet ps -o json` with a roster file: each agent's row by name. */
export async function rows(fleet: Fleet, roster: string): Promise<Map<string, AgentStatus>> {
  const run = await fleet.cli(["fleet", "ps", "-f", roster, "-o", "json"]);
  const parsed = JSON.parse(run.stdout) as { agents: AgentStatus[] };
  return new Map(parsed.agents.map((agent) => [agent.name, agent]));
}

export function driftOf(agent: AgentStatus | undefined): { status: string; message: string } {
  const cond = agent?.conditions.find((c) => c.type === "Drift");
  return { status: cond?.status ?? "missing", message: cond?.message ?? "" };
}

/**
 * `agent watch NAME` in a 120×40 pane of a second private server (the operator's
 * terminal): resolves with what that terminal shows once it shows `pattern`.
 */
export async function watchShows(fleet: Fleet, name: string, pattern: RegExp): Promise<string> {
  const terminal: TmuxServer = await startTmuxServer(`term-${name}`);
  try {
    const command = [process.execPath, BIN, "agent", "watch", "-f", fleet.roster, name];
    await terminal.newSession(
      "op",
      ["env", `TMUX_TMPDIR=${fleet.tmux.tmpdir}`, `MOSAIC_HOME=${fleet.home}`, ...command],
      {
        width: 120,
        height: 41,
      },
    );
    let shown = "";
    const seen = await waitUntil(async () => {
      shown = (await terminal.tmux("capture-pane", "-p", "-t", "=op:")).stdout;
      return pattern.test(shown);
    }, 20_000);
    expect(seen, `agent watch ${name} never showed ${pattern}:\n${shown}`).toBe(true);
    return shown;
  } finally {
    await terminal.kill();
  }
}

/** Run a runtime's own command (e.g. `codex login`) offline, like its pane. */
export function runOffline(argv: string[], env: Record<string, string>, input?: string): string {
  return execFileSync(
    LAUNCHER?.[0] ?? "env",
    [...(LAUNCHER?.slice(1) ?? []), "env", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv],
    {
      encoding: "utf8",
      ...(input !== undefined ? { input } : {}),
      timeout: 30_000,
    },
  );
}
