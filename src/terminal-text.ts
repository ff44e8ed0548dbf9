// Terminal-safe text: control characters and escape sequences (OSC 52, title changes)
// that come from panes, session names, heartbeats, roster files, file names, options or
// environment variables are shown escaped, never interpreted by the operator's
// terminal (docs/threat-model.md). Renderers escape each field with safeText; every
// byte a command prints then passes terminalSafe at the output boundary (cli/io.ts
// safeIo), so a path that forgot still cannot reach the terminal raw — except JSON made
// inert by inertJsonBytes, on which that scan would change nothing.

/** C0 and C1 controls, DEL, and the bidirectional overrides/isolates that reorder what is shown. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function visible(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** Every C0/C1 control character, DEL and bidi control as a visible `\xNN` / `\uNNNN`. */
export function safeText(text: string): string {
  return text.replace(UNSAFE, visible);
}

/**
 * The sequences mosaic itself writes to a terminal: SGR colours, cursor home, clear
 * screen/line, cursor hide/show, alternate screen. Only these may pass the boundary,
 * and only to a terminal.
 */
// eslint-disable-next-line no-control-regex
const OWN_SEQUENCE = /^\u001b\[(?:[0-9;]*m|H|2J|J|K|\?25[lh]|\?1049[lh])/;

/**
 * The output boundary: `text` as it may reach a terminal. Newlines stay; every other
 * control character is escaped. With `ownSequences` (a terminal, where mosaic colours
 * and redraws) mosaic's own escape sequences pass whole; every other ESC is escaped.
 * DEL, C1 controls and bidi marks become `\u00NN` / `\uNNNN`, which leave JSON valid and
 * meaning the same, so the boundary is safe for every format.
 */
export function terminalSafe(text: string, ownSequences = false): string {
  // Fast path: nothing to escape (the common case, large tables included).
  // eslint-disable-next-line no-control-regex -- finding control bytes is the point
  if (!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(text)) return text;
  let out = "";
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    const code = c.charCodeAt(0);
    if (c === "\n") {
      out += c;
    } else if (c === "\u001b" && ownSequences) {
      const own = OWN_SEQUENCE.exec(text.slice(i, i + 16));
      if (own) {
        out += own[0];
        i += own[0].length - 1;
      } else out += "\\x1b";
    } else if (code < 0x20) {
      out += `\\x${code.toString(16).padStart(2, "0")}`;
    } else if ((code >= 0x7f && code <= 0x9f) || /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(c)) {
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * JSON text that stays inert when printed: JSON.stringify leaves DEL, C1 controls (0x9b
 * is CSI to some terminals), line separators and bidi overrides raw; they only occur
 * inside strings, so escaping them as \uNNNN keeps the data identical.
 */
export function jsonSafe(json: string): string {
  // Fast path: every character it escapes is DEL or above it, so ASCII text without DEL
  // (the usual document: one native byte count and one native search, not a scan of
  // every character by a regular expression — a few ms on a 1 MB document) is already safe.
  if (Buffer.byteLength(json, "utf8") === json.length && !json.includes("\u007f")) return json;
  return json.replace(
    /[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

declare const inert: unique symbol;
/** Bytes that may reach any terminal as they are; only inertJsonBytes makes them. */
export type InertBytes = Uint8Array & { readonly [inert]: true };

/**
 * `jsonSafe(json)` as the UTF-8 bytes to write, for text made by JSON.stringify. Such
 * text has no raw C0 control (JSON escapes them; its layout is newlines and spaces) and
 * jsonSafe escapes every other character terminalSafe would, so the output boundary
 * has nothing left to do and may pass these bytes without its scan (pinned by a
 * property test). The usual document, ASCII without DEL, costs one encode and one byte
 * search — a third of scanning the text twice and encoding it at the write.
 */
export function inertJsonBytes(json: string): InertBytes {
  const bytes = Buffer.from(json, "utf8");
  // As many bytes as characters: every character is ASCII, so only DEL could need escaping.
  if (bytes.length === json.length && !bytes.includes(0x7f)) return bytes as unknown as InertBytes;
  return Buffer.from(jsonSafe(json), "utf8") as unknown as InertBytes;
}
