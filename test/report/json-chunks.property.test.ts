// `fleet ps -o json` is written in pieces (jsonPieces) so a large fleet's document is
// never one string, each escaped and encoded at once (inertJsonBytes) and passed by the
// output boundary without its scan. The pieces must make exactly the bytes of
// renderJson — the same escaping of DEL, C1 controls, line separators and bidi marks —
// for any document and any piece size, and the boundary must indeed have nothing left
// to do on them.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonPieces, renderJson, type MachineDocument } from "../../src/report/status-formats.js";
import { inertJsonBytes, jsonSafe, terminalSafe } from "../../src/terminal-text.js";
import { printJson } from "../../src/cli/io.js";
import { sampleFixPlan, sampleStatus } from "./sample-status.js";

// Strings over every code point, with the characters jsonSafe escapes made common.
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom("\u007f", "\u009b", "\u2028", "\u202e", "\u2066", "\u200e", "\u001b", "\n"),
    fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  ),
});
const value = fc.jsonValue({ maxDepth: 3 }).map((v) => v as unknown);
const member = fc.oneof(
  value,
  fc.array(value, { maxLength: 6 }),
  fc.array(fc.dictionary(text, fc.oneof(value, fc.constant(undefined)), { maxKeys: 4 }), { maxLength: 6 }),
  fc.constant(undefined),
  fc.constant([]),
  fc.constant({}),
  text,
);
const document = fc.dictionary(text, member, { maxKeys: 8 }).map((d) => d as unknown as MachineDocument);

// The text pieces as the boundary would pass them, and as bytes.
const renderJsonChunks = (doc: MachineDocument, size?: number) => [...jsonPieces(doc, size)].map(jsonSafe);
const inertBytes = (doc: MachineDocument, size?: number) =>
  Buffer.concat([...jsonPieces(doc, size)].map((piece) => inertJsonBytes(piece)));

describe("jsonPieces: the text of renderJson, in pieces", () => {
  it("for any document and piece size, the pieces escaped and joined are renderJson's text", () => {
    fc.assert(
      fc.property(document, fc.integer({ min: 1, max: 300 }), (doc, size) => {
        const chunks = renderJsonChunks(doc, size);
        expect(chunks.join("")).toBe(renderJson(doc));
        expect(chunks.every((chunk) => chunk.length > 0)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it("as inert bytes: renderJson's UTF-8, which the output boundary would leave as it is", () => {
    fc.assert(
      fc.property(document, fc.integer({ min: 1, max: 300 }), (doc, size) => {
        const text = renderJson(doc);
        expect(inertBytes(doc, size).equals(Buffer.from(text, "utf8"))).toBe(true);
        // Why the boundary may skip its scan: on escaped JSON it changes nothing.
        expect(terminalSafe(text)).toBe(text);
        expect(terminalSafe(text, true)).toBe(text);
      }),
      { numRuns: 400 },
    );
  });

  it("printJson writes the same bytes whether the io takes inert bytes or only text", () => {
    fc.assert(
      fc.property(document, (doc) => {
        const bytes: Uint8Array[] = [];
        let text = "";
        const base = { stderr: () => undefined, env: {}, cwd: "/", stdoutIsTTY: false, stdinIsTTY: false };
        printJson(
          { ...base, stdout: () => expect.fail("text to a bytes io"), stdoutInert: (b) => void bytes.push(b) },
          jsonPieces(doc, 64),
        );
        printJson({ ...base, stdout: (t) => void (text += t) }, jsonPieces(doc, 64));
        expect(Buffer.concat(bytes).toString("utf8")).toBe(text);
        expect(text).toBe(renderJson(doc));
      }),
      { numRuns: 200 },
    );
  });

  it("a fleet status with a fix plan: the same text, and a large one comes in several pieces", () => {
    const status = { ...sampleStatus(), fixPlan: sampleFixPlan() };
    expect(renderJsonChunks(status).join("")).toBe(renderJson(status));
    const many = { ...status, agents: Array.from({ length: 400 }, () => status.agents).flat() };
    const chunks = renderJsonChunks(many, 4096);
    expect(chunks.length).toBeGreaterThan(10);
    expect(chunks.join("")).toBe(renderJson(many));
  });

  it("an empty document and one whose members JSON leaves out", () => {
    for (const doc of [{}, { a: undefined }, { f: () => 1, u: undefined }])
      expect(renderJsonChunks(doc as unknown as MachineDocument).join("")).toBe(
        renderJson(doc as unknown as MachineDocument),
      );
  });
});

describe("jsonSafe: its fast path for plain ASCII changes nothing", () => {
  // The reference: every DEL, C1 control, line separator and bidi mark as \uNNNN.
  const reference = (json: string) =>
    json.replace(
      /[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );

  it("equals the escaping of every character, for any text and any JSON of it", () => {
    fc.assert(
      fc.property(fc.oneof(text, fc.string()), (raw) => {
        expect(jsonSafe(raw)).toBe(reference(raw));
        const json = JSON.stringify({ raw }, null, 2);
        expect(jsonSafe(json)).toBe(reference(json));
      }),
      { numRuns: 2000 },
    );
  });
});
