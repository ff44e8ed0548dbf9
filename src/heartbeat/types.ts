// What the heartbeat reader reports: facts only (docs/heartbeat.md); the diff engine
// decides healthy, stale or unknown.

/** A well-formed heartbeat line (protocol v1 / v1.1). */
export interface HeartbeatRecord {
  ts: number;
  pid: number;
  status: string;
  seq?: number;
  probe?: string;
  ack?: string;
  name?: string;
  /** v1.1: unix seconds when this status began. */
  since?: number;
  /** v1.1: the short reason, decoded (may hold any character; escape it to show it). */
  note?: string;
  /** Every key=value pair, known or not, as written. */
  fields: Record<string, string>;
}

export type HeartbeatInvalidReason =
  "NotRegularFile" | "Symlink" | "TooLarge" | "Malformed" | "Untrusted" | "ReadError";

export type HeartbeatObservation =
  | { state: "present"; record: HeartbeatRecord; mtimeMs: number }
  | { state: "missing" }
  | { state: "invalid"; reason: HeartbeatInvalidReason; message: string };
