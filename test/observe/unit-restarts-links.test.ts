// The invocation links' directory stamp (src/observe/unit-restarts.ts): it vouches for
// the links only once the directory's last change is LINKS_SETTLED_MS old, and any
// change to the directory (a link created, replaced by rename, removed) changes it.

import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/proc.mjs";
import { invocationOf, LINKS_SETTLED_MS, linksStamp, runKey } from "../../src/observe/unit-restarts.js";

const root = mkdtempSync(join(tmpdir(), "mf-links-"));
const units = join(root, "systemd", "units");
mkdirSync(units, { recursive: true });
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** When the directory last changed, in ms (the later of mtime and ctime). */
const changedMs = () => {
  const st = statSync(units, { bigint: true });
  return Number((st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs) / 1_000_000n);
};

describe("linksStamp", () => {
  it("is null until the directory's last change is LINKS_SETTLED_MS old, then the same stamp", () => {
    fc.assert(
      fc.property(fc.integer({ min: -5_000, max: 10_000 }), (age) => {
        const stamp = linksStamp(root, changedMs() + age);
        if (age < LINKS_SETTLED_MS) expect(stamp).toBeNull();
        else expect(stamp).toBe(linksStamp(root, changedMs() + LINKS_SETTLED_MS));
      }),
    );
  });

  it("a settled stamp changes with every kind of change the manager makes to a link (create, replace by rename, remove)", async () => {
    const link = join(units, "invocation:a.service");
    const changes = [
      () => symlinkSync("0123456789abcdef0123456789abcdef", link),
      () => {
        symlinkSync("fedcba9876543210fedcba9876543210", `${link}.tmp`);
        renameSync(`${link}.tmp`, link);
      },
      () => unlinkSync(link),
    ];
    for (const change of changes) {
      // As in a real run: the stamp is taken (trusted) only once the last change is settled.
      expect(await waitFor(() => linksStamp(root) !== null, 10_000)).toBe(true);
      const before = linksStamp(root);
      change();
      expect(linksStamp(root, Date.now() + 60_000), String(change)).not.toBe(before);
    }
  }, 30_000);

  it("is null without a runtime directory or a links directory", () => {
    expect(linksStamp(undefined)).toBeNull();
    expect(linksStamp(join(root, "nowhere"), Date.now() + 60_000)).toBeNull();
  });
});

describe("runKey / invocationOf", () => {
  it("gives back the invocation a run key was made from", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{0,32}$/), fc.string(), fc.string(), (invocation, active, sub) => {
        expect(invocationOf(runKey(invocation, active, sub))).toBe(invocation);
      }),
    );
  });
});
