// messageProblem: what `agent send` refuses before tmux is ever called — control bytes
// (C0, DEL, C1: ETX, ESC, bracketed-paste markers, CR/LF), text that was not valid
// UTF-8, empty and oversized messages — and what it lets through unchanged.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MAX_MESSAGE_BYTES, messageProblem } from "../../src/agent/message.js";

describe("messageProblem: accepted", () => {
  it.each([
    ["plain text", "please review PR 42"],
    ["tmux key names", "Enter"],
    ["tmux key names with modifiers", "C-c M-x S-Tab"],
    ["caret notation", "^c ^[ ^M"],
    ["hex that names a control byte", "0x03 \\x1b \\033"],
    ["a leading dash", "-X cancel"],
    ["a double dash", "--"],
    ["tmux command separators", "a; kill-server"],
    ["a trailing semicolon", "x;"],
    ["a lone semicolon", ";"],
    ["shell syntax", "$(rm -rf ~) `id` && || > /dev/null"],
    ["quotes and backslashes", `"'\\`],
    ["accents, CJK, emoji (surrogate pairs), ZWJ sequences", "café 漢字 🚀 👩‍💻"],
    ["combining marks", "e\u0301"],
    ["NBSP and other non-control Latin-1", "a\u00a0b ÿ"],
    ["a single space", " "],
  ])("%s", (_what, message) => {
    expect(messageProblem(message)).toBeNull();
  });

  it(`exactly ${MAX_MESSAGE_BYTES} bytes`, () => {
    // A line-mode terminal takes 4095 bytes plus the newline.
    expect(MAX_MESSAGE_BYTES).toBe(4095);
    expect(messageProblem("x".repeat(MAX_MESSAGE_BYTES))).toBeNull();
    // 1365 × 3-byte "€" = 4095 bytes.
    expect(messageProblem("€".repeat(1365))).toBeNull();
  });

  it("any printable text within the limit (property)", () => {
    const printable = fc
      .string({ unit: "grapheme", maxLength: 200 })
      // eslint-disable-next-line no-control-regex -- the test looks for control bytes
      .filter((s) => s.length > 0 && !/[\u0000-\u001f\u007f-\u009f\uFFFD]/.test(s));
    fc.assert(
      fc.property(printable, (message) => messageProblem(message) === null),
      { numRuns: 500 },
    );
  });
});

describe("messageProblem: refused", () => {
  it("an empty message", () => {
    expect(messageProblem("")).toBe("the message is empty");
  });

  it("one byte over the limit, counting UTF-8 bytes, not characters", () => {
    expect(messageProblem("x".repeat(MAX_MESSAGE_BYTES + 1))).toBe(`the message is 4096 bytes; the limit is 4095`);
    // 1366 characters, 4098 bytes.
    expect(messageProblem("€".repeat(1366))).toBe(`the message is 4098 bytes; the limit is 4095`);
    expect(messageProblem("x".repeat(1024 * 1024))).toBe(`the message is 1048576 bytes; the limit is 4095`);
  });

  it.each([
    ["LF", "first\nsecond", "a line break", 5],
    ["CR", "first\rsecond", "a line break", 5],
    ["a trailing LF", "hello\n", "a line break", 5],
    ["CRLF", "hello\r\n", "a line break", 5],
    ["a leading LF", "\nhello", "a line break", 0],
    ["ESC", "\u001b", "an escape (ESC) byte", 0],
    ["bracketed-paste end", "text\u001b[201~", "an escape (ESC) byte", 4],
    ["bracketed-paste start", "\u001b[200~text", "an escape (ESC) byte", 0],
    ["OSC 52 clipboard write", "\u001b]52;c;aGk=\u0007", "an escape (ESC) byte", 0],
    ["ETX", "stop\u0003", "a control byte (0x03)", 4],
    ["NUL", "a\u0000b", "a control byte (0x00)", 1],
    ["TAB", "a\tb", "a control byte (0x09)", 1],
    ["BEL", "\u0007", "a control byte (0x07)", 0],
    ["DEL", "abc\u007f", "a control byte (0x7f)", 3],
    ["C1 NEL", "a\u0085b", "a control byte (0x85)", 1],
    ["C1 CSI", "\u009b201~", "a control byte (0x9b)", 0],
    ["C1 APC", "x\u009f", "a control byte (0x9f)", 1],
  ])("%s", (_what, message, name, position) => {
    expect(messageProblem(message)).toBe(
      `the message contains ${name} at position ${position}; send one line of plain text`,
    );
  });

  it("every C0 control byte, DEL and every C1 control", () => {
    const codes = [
      ...Array.from({ length: 0x20 }, (_, i) => i),
      0x7f,
      ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i),
    ];
    for (const code of codes) {
      const problem = messageProblem(`ok${String.fromCharCode(code)}`);
      expect(problem, `0x${code.toString(16)}`).toMatch(
        /^the message contains .* at position 2; send one line of plain text$/,
      );
    }
  });

  it("the first offending byte is the one reported", () => {
    expect(messageProblem("ab\u0003c\nd\u001b")).toMatch(/control byte \(0x03\) at position 2/);
  });

  it.each([
    ["U+FFFD (what Node makes of invalid UTF-8 in argv)", "ab\uFFFDcd"],
    ["a lone high surrogate", "a\uD800b"],
    ["a lone low surrogate", "a\uDC00b"],
    ["a high surrogate at the end", "abc\uD83D"],
    ["a reversed pair", "\uDC00\uD800"],
  ])("%s: not valid UTF-8", (_what, message) => {
    expect(messageProblem(message)).toBe("the message is not valid UTF-8");
  });

  it("a control byte anywhere makes any text a refusal (property)", () => {
    const control = fc
      .integer({ min: 0, max: 0x9f })
      .filter((c) => c < 0x20 || c >= 0x7f)
      .map((c) => String.fromCharCode(c));
    const text = fc.string({ maxLength: 50 }).filter((s) => !/[\uD800-\uDFFF\uFFFD]/.test(s));
    fc.assert(
      fc.property(text, control, text, (head, byte, tail) => {
        const problem = messageProblem(`${head}${byte}${tail}`);
        return problem !== null && /^the message contains /.test(problem);
      }),
      { numRuns: 500 },
    );
  });

  it("every problem is one sentence on one line", () => {
    for (const message of ["", "a\nb", "\u001b", "x".repeat(9000), "\uFFFD"]) {
      const problem = messageProblem(message) ?? "";
      expect(problem).not.toBe("");
      expect(problem).not.toMatch(/[\r\n]/);
    }
  });
});
