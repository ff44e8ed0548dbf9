// Exit statuses decoded for PaneDead and `agent send`: 128+N is signal N as a shell
// reports it (143 = SIGTERM), a plain status is the program's own.

import { constants } from "node:os";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeExit } from "../../src/agent/exit-status.js";
import { decodeExit } from "../../src/system/exit-status.js";

describe("decodeExit", () => {
  it("143 is SIGTERM, 137 SIGKILL, 130 SIGINT, 129 SIGHUP", () => {
    expect(describeExit(143)).toBe(" with status 143 (128+15: killed by SIGTERM)");
    expect(decodeExit(137)).toMatchObject({ kind: "signal", name: "SIGKILL" });
    expect(decodeExit(130)).toMatchObject({ kind: "signal", name: "SIGINT" });
    expect(decodeExit(129)).toMatchObject({ kind: "signal", name: "SIGHUP" });
  });

  it("every signal this system has round-trips through 128+N", () => {
    for (const [name, n] of Object.entries(constants.signals)) {
      const decoded = decodeExit(128 + n);
      expect(decoded).toMatchObject({ kind: "signal", signal: n, via: "status" });
      if (decoded.kind === "signal") expect(constants.signals[decoded.name as keyof typeof constants.signals]).toBe(n);
      expect(name.startsWith("SIG")).toBe(true);
    }
  });

  it("0–128 and 255 are the program's own status; null and negatives are unknown", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 128 }), fc.constant(255)), (status) => {
        expect(decodeExit(status)).toEqual({ kind: "exited", status });
        expect(describeExit(status)).toBe(` with status ${status}`);
      }),
    );
    expect(decodeExit(null)).toEqual({ kind: "unknown" });
    expect(decodeExit(-1)).toEqual({ kind: "unknown" });
    expect(describeExit(null)).toBe("");
  });

  it("a known killing signal beats the status", () => {
    expect(describeExit(0, 9)).toBe(" killed by SIGKILL");
  });
});
