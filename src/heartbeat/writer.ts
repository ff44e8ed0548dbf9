import { renameSync, unlinkSync, watch, writeFileSync, type FSWatcher } from "node:fs";
import { join } from "node:path";
import { formatHeartbeat, STATUS_RE } from "./grammar.js";
import { heartbeatPath, heartbeatTempName, probeFileName, probePath } from "./layout.js";
import { readProbe } from "./probe-file.js";
import { ensurePrivateRunDir } from "./run-dir.js";

// The one heartbeat writer every responder uses (docs/heartbeat.md): atomic rewrites (temp
// file in the same directory, then rename) so a reader never sees a torn line; a beat
// every interval; an immediate rewrite echoing a probe's nonce; `status=stopping` last.

export interface HeartbeatWriterOptions {
  runDir: string;
  name: string;
  intervalS: number;
  /** The pid the heartbeat vouches for; default: this process. */
  pid?: number;
  /** The seq of the line before the first one this writer writes (default 0: start at 1). */
  seqBefore?: number;
  now?: () => number;
}

/** Writes `NAME.hb` and answers `NAME.probe`. */
export class HeartbeatWriter {
  private seq = 0;
  private status = "idle";
  private ack: string | undefined;
  /** How many lines were acknowledged: lets a verifier tell a new ack from an old one. */
  private acks = 0;
  private lastProbe: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  readonly hbPath: string;
  readonly probePath: string;

  constructor(private readonly options: HeartbeatWriterOptions) {
    this.seq = options.seqBefore ?? 0;
    this.hbPath = heartbeatPath(options.runDir, options.name);
    this.probePath = probePath(options.runDir, options.name);
  }

  /** Check the directory, write the first beat, then beat every interval and watch for probes. */
  start(): void {
    ensurePrivateRunDir(this.options.runDir);
    this.write();
    // Beat at half the interval, as systemd's watchdog advises, so one late beat never reads stale.
    const everyMs = Math.min(2 ** 31 - 1, Math.max(100, (this.options.intervalS * 1000) / 2));
    this.timer = setInterval(() => this.write(), everyMs);
    this.timer.unref();
    this.watcher = watch(this.options.runDir, { persistent: false }, (_event, file) => {
      if (file === probeFileName(this.options.name)) this.answerProbe();
    });
    this.watcher.on("error", () => undefined);
    this.answerProbe();
  }

  /** Change the status word (`idle`, `busy`, …) and write at once. */
  setStatus(status: string, ack?: string): void {
    if (!STATUS_RE.test(status)) throw new Error(`invalid heartbeat status "${status}"`);
    this.status = status;
    if (ack !== undefined) {
      this.ack = ack;
      this.acks += 1;
    }
    this.write();
  }

  /** Write `status=stopping` and stop beating. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.watcher?.close();
    this.timer = undefined;
    this.watcher = undefined;
    this.status = "stopping";
    try {
      this.write();
    } catch {
      // The directory may be gone at shutdown; nothing left to tell.
    }
  }

  /** The line as written now (for tests and --once). */
  line(): string {
    return formatHeartbeat({
      ts: Math.floor((this.options.now ?? Date.now)() / 1000),
      pid: this.options.pid ?? process.pid,
      status: this.status,
      seq: this.seq,
      name: this.options.name,
      ...(this.lastProbe !== undefined ? { probe: this.lastProbe } : {}),
      ...(this.ack !== undefined ? { ack: this.ack, acks: this.acks } : {}),
    });
  }

  /** One atomic rewrite of the heartbeat file. */
  write(): void {
    this.seq += 1;
    const temp = join(this.options.runDir, heartbeatTempName(this.options.name, process.pid));
    writeFileSync(temp, this.line(), { mode: 0o600 });
    try {
      renameSync(temp, this.hbPath);
    } catch (error) {
      try {
        unlinkSync(temp);
      } catch {
        // Already gone.
      }
      throw error;
    }
  }

  private answerProbe(): void {
    const nonce = readProbe(this.probePath);
    if (nonce === null || nonce === this.lastProbe) return;
    this.lastProbe = nonce;
    try {
      this.write();
    } catch {
      // A failed echo shows as an unanswered probe; the next beat retries.
    }
  }
}
