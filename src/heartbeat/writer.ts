import { watch, type FSWatcher } from "node:fs";
import { writeFileAtomic } from "../system/index.js";
import { formatHeartbeat, STATUS_RE } from "./grammar.js";
import { heartbeatPath, probeFileName, probePath } from "./layout.js";
import { readProbe } from "./probe-file.js";
import { readHeartbeat } from "./reader.js";
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
  /** The status (and its note) of the very first line (default idle), so no other word is ever seen first. */
  status?: string;
  note?: string;
  /** The seq of the line before the first one this writer writes (default 0: start at 1). */
  seqBefore?: number;
  now?: () => number;
  /**
   * Take over the status, since, note and ack that someone else (a runtime hook,
   * `mosaic agent hook …`) wrote into the file since this writer's last beat, instead
   * of beating them away. For `mosaic agent heartbeat` next to a hooked runtime.
   */
  adopt?: boolean;
}

/** Writes `NAME.hb` and answers `NAME.probe`. */
export class HeartbeatWriter {
  private seq = 0;
  private status = "idle";
  /** Unix seconds when the status last changed (v1.1 `since=`). */
  private since: number;
  private note: string | undefined;
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
    if (options.status !== undefined) {
      if (!STATUS_RE.test(options.status)) throw new Error(`invalid heartbeat status "${options.status}"`);
      this.status = options.status;
    }
    this.note = options.note;
    this.since = this.nowS();
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

  /** Change the status word (`working`, `waiting`, `idle`, …) and its note, and write at once. */
  setStatus(status: string, ack?: string, note?: string): void {
    if (!STATUS_RE.test(status)) throw new Error(`invalid heartbeat status "${status}"`);
    if (status !== this.status) this.since = this.nowS();
    this.status = status;
    this.note = note;
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

  /** The status word now. */
  get currentStatus(): string {
    return this.status;
  }

  private nowS(): number {
    return Math.floor((this.options.now ?? Date.now)() / 1000);
  }

  /** The line as written now (for tests and --once). */
  line(): string {
    return formatHeartbeat({
      ts: this.nowS(),
      pid: this.options.pid ?? process.pid,
      status: this.status,
      seq: this.seq,
      name: this.options.name,
      ...(this.lastProbe !== undefined ? { probe: this.lastProbe } : {}),
      ...(this.ack !== undefined ? { ack: this.ack, acks: this.acks } : {}),
      since: Math.min(this.since, this.nowS()),
      ...(this.note !== undefined ? { note: this.note } : {}),
    });
  }

  /** One atomic rewrite of the heartbeat file. */
  write(): void {
    if (this.options.adopt) this.adoptWritten();
    this.seq += 1;
    writeHeartbeatFile(this.options.runDir, this.options.name, this.line());
  }

  /** Take over what another writer (a hook) put in the file since our last line. */
  private adoptWritten(): void {
    const hb = readHeartbeat(this.hbPath);
    if (hb.state !== "present" || hb.record.seq === undefined || hb.record.seq === this.seq) return;
    const { record } = hb;
    this.seq = Math.max(this.seq, record.seq ?? 0);
    this.status = record.status;
    this.since = record.since ?? this.nowS();
    this.note = record.note;
    const acks = Number(record.fields["acks"]);
    if (record.ack !== undefined) {
      this.ack = record.ack;
      this.acks = Number.isSafeInteger(acks) ? acks : this.acks;
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

/** One atomic rewrite of `RUNDIR/NAME.hb`: a private temp file renamed into place, so no reader sees a torn line. */
export function writeHeartbeatFile(runDir: string, name: string, text: string): void {
  // A beat is rewritten every half interval: no fsync (a lost beat is the next one).
  const written = writeFileAtomic(heartbeatPath(runDir, name), text, {
    mode: 0o600,
    durable: false,
    keepModeAndOwner: false,
    replaceAnyEntry: true,
  });
  if (!written.ok) throw new Error(written.message);
}
