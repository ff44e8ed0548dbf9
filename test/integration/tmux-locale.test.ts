// A tmux client without a UTF-8 locale (cron, `env -i`, LANG=C) prints `_` for bytes it
// deems unprintable — list-panes' field separator among them — so every pane used to
// read as missing. Every tmux client mosaic starts is told it speaks UTF-8
// (src/system/tmux.ts withUtf8Client); the answer is the same in any locale.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FleetStatus } from "../../src/diff/types.js";
import { Fleet } from "./send-support.js";

let fleet: Fleet;

beforeAll(async () => {
  fleet = await Fleet.start("locale");
  fleet.writeRoster([{ name: "loc-a", runtime: "stub" }]);
  await fleet.startStub("loc-a");
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
});

const LOCALES: Record<string, Record<string, string | undefined>> = {
  "no locale at all": { LANG: undefined, LC_ALL: undefined, LC_CTYPE: undefined },
  "LC_ALL=C": { LANG: "C.UTF-8", LC_ALL: "C", LC_CTYPE: undefined },
  "LANG=POSIX": { LANG: "POSIX", LC_ALL: undefined, LC_CTYPE: undefined },
  "LC_CTYPE=C over a UTF-8 LANG": { LANG: "en_US.UTF-8", LC_ALL: undefined, LC_CTYPE: "C" },
};

describe("fleet ps sees the same panes in any locale", () => {
  for (const [label, env] of Object.entries(LOCALES)) {
    it(label, async () => {
      const run = await fleet.cli(["fleet", "ps", "-f", fleet.roster, "-o", "json"], env);
      expect(run.code, run.stderr).toBe(0);
      const agent = (JSON.parse(run.stdout) as FleetStatus).agents[0];
      expect(agent?.pane.state).toBe("alive");
      expect(agent?.conditions.find((c) => c.type === "PaneDead")?.status).toBe("False");
    });
  }
});
