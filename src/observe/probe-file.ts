import { closeSync, constants, openSync, readSync } from "node:fs";

// The probe file (docs/heartbeat.md, Probe): the observer writes a nonce to NAME.probe, the
// responder echoes it. Both sides read it the same careful way.

const PROBE_NONCE_RE = /^[A-Za-z0-9_.:-]{1,128}$/;

/** The nonce in a probe file: bounded read, no symlinks, no FIFOs; null if absent or junk. */
export function readProbe(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const buffer = Buffer.alloc(256);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    const nonce = buffer.subarray(0, length).toString("latin1").trim();
    return PROBE_NONCE_RE.test(nonce) ? nonce : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
