import { closeSync, constants, openSync, readSync } from "node:fs";

import { TOKEN_RE } from "./grammar.js";

// The probe file (docs/heartbeat.md): the observer writes a nonce to NAME.probe, the
// responder echoes it as `probe=NONCE`. Both sides read it the same careful way.

/** A nonce is what the heartbeat line can echo: a token. */
export const PROBE_NONCE_RE = TOKEN_RE;

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
