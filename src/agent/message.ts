// What `agent send` will type: literal text only. Control bytes (ETX, ESC, bracketed-
// paste markers), line breaks, invalid UTF-8 and oversized messages are refused before
// tmux is ever called.

/** A terminal in line mode holds 4095 bytes plus the newline; more would be cut silently. */
export const MAX_MESSAGE_BYTES = 4095;

/** Null when the message can be sent, else one sentence saying why not. */
export function messageProblem(message: string): string | null {
  if (message.length === 0) return "the message is empty";
  const bytes = Buffer.byteLength(message, "utf8");
  if (bytes > MAX_MESSAGE_BYTES) return `the message is ${bytes} bytes; the limit is ${MAX_MESSAGE_BYTES}`;
  // Node decodes invalid UTF-8 in argv to U+FFFD; lone surrogates cannot be encoded.
  if (message.includes("\uFFFD") || /[\uD800-\uDFFF]/u.test(message.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ""))) {
    return "the message is not valid UTF-8";
  }
  // eslint-disable-next-line no-control-regex -- a control byte in a message is what this looks for
  const control = /[\u0000-\u001f\u007f-\u009f]/.exec(message);
  if (control) {
    const code = control[0].charCodeAt(0);
    const name =
      code === 0x0a || code === 0x0d
        ? "a line break"
        : code === 0x1b
          ? "an escape (ESC) byte"
          : `a control byte (0x${code.toString(16).padStart(2, "0")})`;
    return `the message contains ${name} at position ${control.index}; send one line of plain text`;
  }
  return null;
}
