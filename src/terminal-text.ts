// Terminal-safe text: control characters and escape sequences (OSC 52, title changes)
// that come from panes, session names, heartbeats or roster files are shown escaped,
// never interpreted by the operator's terminal. Shared by every stage that prints.

/** Every C0/C1 control character and DEL as a visible `\xNN`. */
export function safeText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
