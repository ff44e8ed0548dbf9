// The `note=` value of heartbeat v1.1 (docs/heartbeat.md): a short reason in any
// language, carried inside one `key=value` field. It is UTF-8, percent-encoded: every
// byte outside [A-Za-z0-9._~:/,;@+()!*'-] is written as %XX (so never a space, `=`,
// `%`, a control byte or a non-ASCII byte appears raw), and the encoded value is at
// most MAX_NOTE_CHARS long. Decoding is strict: a bad escape or invalid UTF-8 is
// malformed, never guessed at.

/** The longest encoded note a line may carry. */
export const MAX_NOTE_CHARS = 240;

const PLAIN = /^[A-Za-z0-9._~:/,;@+()!*'-]$/;
const ENCODED = /^(?:[A-Za-z0-9._~:/,;@+()!*'-]|%[0-9A-Fa-f]{2})+$/;
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Encode a note, cut (at a character, with "…") so the encoded form fits; "" for an empty note. */
export function encodeNote(text: string, max: number = MAX_NOTE_CHARS): string {
  const pieces: string[] = [];
  let length = 0;
  const ellipsis = encodeChar("…");
  for (const char of text) {
    const piece = encodeChar(char);
    if (length + piece.length > max) {
      // Make room for the ellipsis by dropping whole characters (no UTF-8 sequence is split).
      while (pieces.length > 0 && length + ellipsis.length > max) length -= pieces.pop()?.length ?? 0;
      return pieces.join("") + ellipsis;
    }
    pieces.push(piece);
    length += piece.length;
  }
  return pieces.join("");
}

function encodeChar(char: string): string {
  if (PLAIN.test(char)) return char;
  let out = "";
  for (const byte of Buffer.from(char, "utf8")) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  return out;
}

/** Decode an encoded note, or say in one sentence why it is malformed. */
export function decodeNote(value: string): { ok: true; text: string } | { ok: false; message: string } {
  if (value.length > MAX_NOTE_CHARS) return { ok: false, message: `heartbeat note is longer than ${MAX_NOTE_CHARS}` };
  if (!ENCODED.test(value)) return { ok: false, message: "heartbeat note has a character that must be %-encoded" };
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    if (value[i] === "%") {
      bytes.push(Number.parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(value.charCodeAt(i));
  }
  try {
    return { ok: true, text: UTF8.decode(Uint8Array.from(bytes)) };
  } catch {
    return { ok: false, message: "heartbeat note is not valid UTF-8" };
  }
}
