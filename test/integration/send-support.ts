// Shared set-up for the send-* and watch-* tests: a private fleet tmux server (the
// helper's, with tmux's default options, as the holder unit starts it in production), a
// private MOSAIC_HOME, a roster that names only the socket and a 1 s heartbeat (tenant
// and host default to the invoking user and host), stub agents under a wrapper shell,
// and the real CLI (bin/mosaic → dist/). Not a test file: vitest never runs it alone.

import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { startTmuxServer, type StartTmuxServerOptions, type TmuxServer } from "../helpers/tmux.js";
import { assertBuilt, cliEnv, mosaic, readHb, stubPaneArgv, waitUntil, type CliRun } from "./agent-support.js";

interface RosterAgent {
  name: string;
  runtime: string;
  /** false: the roster expects no heartbeat (send --verify falls back to the screen). */
  heartbeat?: false;
}

/** `writeRoster` options: another file name (a second roster over the same sessions). */
export interface RosterFile {
  path?: string;
}

/** What an agent's heartbeat says about acknowledgements. */
interface AckState {
  ack: string | null;
  acks: number;
}

export const ackOf = (line: string): string => createHash("sha256").update(line, "utf8").digest("hex").slice(0, 12);

/** A python3 that starts fast (the pyenv shim on PATH runs bash first). */
export const PYTHON = ["/usr/bin/python3", "/usr/local/bin/python3"].find((p) => existsSync(p)) ?? "python3";

export class Fleet {
  readonly base: string;
  readonly home: string;
  readonly runDir: string;
  readonly roster: string;
  private constructor(readonly tmux: TmuxServer) {
    this.base = mkdtempSync(join(tmpdir(), "mf-send-"));
    this.home = join(this.base, "mosaic");
    this.runDir = join(this.home, "fleet", "run");
    mkdirSync(this.runDir, { recursive: true });
    chmodSync(this.runDir, 0o700);
    this.roster = join(this.base, "roster.yaml");
  }

  static async start(label: string, options: StartTmuxServerOptions = {}): Promise<Fleet> {
    assertBuilt();
    return new Fleet(await startTmuxServer(label, options));
  }

  get socket(): string {
    return this.tmux.socket;
  }

  /** The roster: only the socket and the heartbeat interval under defaults. */
  writeRoster(agents: RosterAgent[], file: RosterFile = {}): void {
    const lines = [
      "version: 1",
      "defaults:",
      `  socket: ${this.socket}`,
      "  heartbeat:",
      "    interval: 1s",
      "agents:",
    ];
    for (const agent of agents) {
      lines.push(`  - name: ${agent.name}`, `    runtime: ${agent.runtime}`);
      if (agent.heartbeat === false) lines.push("    heartbeat: false");
    }
    writeFileSync(file.path ?? this.roster, `${lines.join("\n")}\n`);
  }

  /** The environment the CLI runs with: our MOSAIC_HOME and the fleet's TMUX_TMPDIR, nothing of the caller's. */
  env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    return cliEnv({ HOME: this.base, MOSAIC_HOME: this.home, TMUX_TMPDIR: this.tmux.tmpdir, NO_COLOR: "1", ...extra });
  }

  /** `mosaic ARGS` with the fleet's environment. */
  cli(args: readonly string[], extra: Record<string, string | undefined> = {}, timeoutMs = 30_000): Promise<CliRun> {
    return mosaic(args, this.env(extra), timeoutMs);
  }

  /** `mosaic agent send -f ROSTER [options] NAME -- MESSAGE`. */
  send(name: string, message: string, options: string[] = []): Promise<CliRun> {
    return this.cli(["agent", "send", "-f", this.roster, ...options, name, "--", message]);
  }

  /** Start `mosaic agent stub` in session NAME (200×50) and wait for its heartbeat and prompt. */
  async startStub(name: string, width = 200, height = 50): Promise<void> {
    await this.tmux.newSession(name, stubPaneArgv(["--interval", "1s"]), {
      width,
      height,
      env: { MOSAIC_HOME: this.home },
    });
    const ready = await waitUntil(
      async () => readHb(this.hbPath(name)) !== null && (await this.cursorLine(name)) === `${name}>`,
      15_000,
    );
    expect(ready, `stub ${name} never came up: ${await this.capture(name)}`).toBe(true);
  }

  hbPath(name: string): string {
    return join(this.runDir, `${name}.hb`);
  }

  acks(name: string): AckState {
    const hb = readHb(this.hbPath(name));
    const count = hb?.fields["acks"];
    return { ack: hb?.ack ?? null, acks: count === undefined ? 0 : Number(count) };
  }

  /** Wait until the stub acknowledged `message` (its ack equals sha256(message)[:12]). */
  async waitForAck(name: string, message: string, timeoutMs = 5_000): Promise<boolean> {
    const id = ackOf(message);
    return waitUntil(
      async () => (await this.capture(name)).includes(`ack=${id} received ${JSON.stringify(message)}`),
      timeoutMs,
    );
  }

  /** The pane's visible text, wrapped lines joined. */
  async capture(name: string, extra: string[] = []): Promise<string> {
    const shown = await this.tmux.tmux("capture-pane", "-p", "-J", ...extra, "-t", `=${name}:`);
    expect(shown.ok, shown.message).toBe(true);
    return shown.stdout;
  }

  /** The whole pane, history included, wrapped lines joined, trailing blank lines dropped. */
  async text(name: string): Promise<string> {
    return (await this.capture(name, ["-S", "-"])).replace(/\s+$/, "");
  }

  /** The text on the cursor's line, trimmed. */
  async cursorLine(name: string): Promise<string> {
    const shown = await this.tmux.tmux("display-message", "-p", "-t", `=${name}:`, "#{cursor_y}");
    const y = Number(shown.stdout.trim());
    const screen = (await this.capture(name)).split("\n");
    return (screen[y] ?? "").trim();
  }

  /** One tmux format for the agent's first pane. */
  async format(name: string, format: string): Promise<string> {
    const shown = await this.tmux.tmux("display-message", "-p", "-t", `=${name}:`, format);
    expect(shown.ok, shown.message).toBe(true);
    return shown.stdout.trim();
  }

  async sessions(): Promise<string[]> {
    const listed = await this.tmux.tmux("list-sessions", "-F", "#{session_name}");
    return listed.stdout.split("\n").filter(Boolean).sort();
  }

  async stop(): Promise<void> {
    await this.tmux.kill();
    // A program that just lost its pane may still be writing its files (its HOME here).
    rmSync(this.base, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

/** The one-line error contract: a single non-empty line, `mosaic: …`, no stack trace. */
export function expectOneLineError(run: CliRun, pattern: RegExp): void {
  const lines = run.stderr.split("\n").filter((line) => line.trim() !== "");
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^mosaic: /);
  expect(lines[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}
