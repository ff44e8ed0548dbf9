// observeSystemd derives UnitFileState from the unit search path on disk instead of
// asking systemd once per unit (src/observe/unit-files.ts). Whatever it derives must be
// exactly what `systemctl --user show -p UnitFileState,LoadState` says — for every kind
// of unit an operator can have. Table-driven against a private user manager.

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUserManager, type UserManager } from "../helpers/systemd.js";
import { observeSystemd } from "../../src/observe/systemd.js";
import type { UnitState } from "../../src/observe/types.js";
import { skipOutsideCi } from "../helpers/skip.js";

const SERVICE = "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n";
const WANTED = `[Unit]\nDescription=test unit\n\n${SERVICE}\n[Install]\nWantedBy=default.target\n`;
const REQUIRED = `[Unit]\nDescription=test unit\n\n${SERVICE}\n[Install]\nRequiredBy=default.target\n`;
const STATIC = `[Unit]\nDescription=test unit without [Install]\n\n${SERVICE}`;
const ALSO_ONLY = `[Unit]\nDescription=installs only through Also=\n\n${SERVICE}\n[Install]\nAlso=mf-plain.service\n`;

interface Case {
  what: string;
  unit: string;
  /** What systemd 252 answers, so a test that compares two wrong answers still fails. */
  expected: { UnitFileState: string; LoadState: string };
}

const CASES: Case[] = [
  {
    what: "an enabled template instance",
    unit: "mf-tpl@on.service",
    expected: { UnitFileState: "enabled", LoadState: "loaded" },
  },
  {
    what: "a disabled (started) template instance",
    unit: "mf-tpl@off.service",
    expected: { UnitFileState: "disabled", LoadState: "loaded" },
  },
  {
    what: "an instance enabled with --runtime",
    unit: "mf-tpl@rt.service",
    expected: { UnitFileState: "enabled-runtime", LoadState: "loaded" },
  },
  {
    what: "a masked instance",
    unit: "mf-tpl@masked.service",
    expected: { UnitFileState: "masked", LoadState: "masked" },
  },
  {
    what: "an instance of a masked template",
    unit: "mf-mtpl@x.service",
    expected: { UnitFileState: "masked", LoadState: "masked" },
  },
  {
    what: "a static unit (no [Install])",
    unit: "mf-static.service",
    expected: { UnitFileState: "static", LoadState: "loaded" },
  },
  {
    what: "an instance of a template without [Install]",
    unit: "mf-stpl@x.service",
    expected: { UnitFileState: "static", LoadState: "loaded" },
  },
  {
    what: "a plain enabled service",
    unit: "mf-plain.service",
    expected: { UnitFileState: "enabled", LoadState: "loaded" },
  },
  {
    what: "a plain service enabled through RequiredBy=",
    unit: "mf-req.service",
    expected: { UnitFileState: "enabled", LoadState: "loaded" },
  },
  {
    what: "a plain disabled service",
    unit: "mf-plain-off.service",
    expected: { UnitFileState: "disabled", LoadState: "loaded" },
  },
  {
    what: "an Also=-only unit (indirect)",
    unit: "mf-also.service",
    expected: { UnitFileState: "indirect", LoadState: "loaded" },
  },
  {
    what: "a unit masked with --runtime",
    unit: "mf-rtmask.service",
    expected: { UnitFileState: "masked-runtime", LoadState: "masked" },
  },
  {
    what: "a unit linked in from outside the search path",
    unit: "mf-linked.service",
    expected: { UnitFileState: "linked", LoadState: "loaded" },
  },
  {
    what: "a transient unit (systemd-run --user)",
    unit: "mf-transient.service",
    expected: { UnitFileState: "transient", LoadState: "loaded" },
  },
  {
    what: "a unit that does not exist",
    unit: "mf-nope.service",
    expected: { UnitFileState: "", LoadState: "not-found" },
  },
];

let m: UserManager | null = null;

async function must(manager: UserManager, ...args: string[]): Promise<void> {
  const result = await manager.systemctl(...args);
  expect(result.ok, `systemctl --user ${args.join(" ")}: ${result.message}`).toBe(true);
}

async function systemctlSays(manager: UserManager, unit: string): Promise<Record<string, string>> {
  return manager.show(unit, "UnitFileState", "LoadState", "ActiveState", "SubState");
}

async function observed(manager: UserManager): Promise<Map<string, UnitState>> {
  const result = await observeSystemd(
    CASES.map((c) => c.unit),
    { env: manager.childEnv(), uid: process.getuid?.() ?? 0, timeoutMs: 10_000 },
  );
  if (!result.ok) throw new Error(`observeSystemd failed: ${result.reason}: ${result.message}`);
  return result.units;
}

beforeAll(async () => {
  m = await startUserManager();
  if (!m) return;
  const config = m.unitDir;
  // A second directory of the search path ($XDG_DATA_HOME/systemd/user), for units
  // masked in $XDG_CONFIG_HOME (mask refuses to replace a unit file in the same dir).
  const data = join(m.root, "data", "systemd", "user");
  const outside = join(m.root, "elsewhere");
  await mkdir(data, { recursive: true });
  await mkdir(outside, { recursive: true });
  await writeFile(join(config, "mf-tpl@.service"), WANTED);
  await writeFile(join(config, "mf-stpl@.service"), STATIC);
  await writeFile(join(config, "mf-static.service"), STATIC);
  await writeFile(join(config, "mf-plain.service"), WANTED);
  await writeFile(join(config, "mf-req.service"), REQUIRED);
  await writeFile(join(config, "mf-plain-off.service"), WANTED);
  await writeFile(join(config, "mf-also.service"), ALSO_ONLY);
  await writeFile(join(data, "mf-mtpl@.service"), WANTED);
  await writeFile(join(data, "mf-rtmask.service"), WANTED);
  await writeFile(join(outside, "mf-linked.service"), WANTED);
  await must(m, "daemon-reload");
  await must(m, "enable", "mf-tpl@on.service", "mf-plain.service", "mf-req.service");
  await must(m, "enable", "--runtime", "mf-tpl@rt.service");
  await must(m, "mask", "mf-tpl@masked.service", "mf-mtpl@.service");
  await must(m, "mask", "--runtime", "mf-rtmask.service");
  await must(m, "link", join(outside, "mf-linked.service"));
  await must(m, "daemon-reload");
  // Started but not enabled: the production state. And one enabled and running.
  await must(m, "start", "mf-tpl@off.service", "mf-tpl@on.service", "mf-plain.service");
  const run = await execa(
    "systemd-run",
    ["--user", "--unit=mf-transient.service", "--remain-after-exit", "/bin/true"],
    {
      env: m.childEnv(),
      extendEnv: false,
      reject: false,
      timeout: 20_000,
    },
  );
  expect(run.exitCode, String(run.stderr)).toBe(0);
}, 60_000);

afterAll(async () => {
  await m?.stop();
});

describe("UnitFileState and LoadState derived on disk = systemctl --user show", () => {
  it.for(CASES)("$what ($unit)", async ({ unit, expected }, ctx) => {
    if (!m) return skipOutsideCi(ctx, "no systemd user manager available (see the warning above)");
    const mine = (await observed(m)).get(unit);
    const theirs = await systemctlSays(m, unit);
    // systemd's own answer is what the table says (guards against a changed systemd).
    expect({ UnitFileState: theirs["UnitFileState"], LoadState: theirs["LoadState"] }).toEqual(expected);
    expect(
      { UnitFileState: mine?.enabled, LoadState: mine?.load },
      `observeSystemd vs systemctl show for ${unit}`,
    ).toEqual({
      UnitFileState: theirs["UnitFileState"],
      LoadState: theirs["LoadState"],
    });
    expect({ ActiveState: mine?.active, SubState: mine?.sub }).toEqual({
      ActiveState: theirs["ActiveState"],
      SubState: theirs["SubState"],
    });
  });

  // The kinds the fleet's own units can be in (the cases above this line's list in the
  // brief): one call for all of them, checked before and after systemctl loads them.
  const FLEET_KINDS = CASES.filter((c) => !["mf-linked.service", "mf-transient.service"].includes(c.unit));

  it("one observeSystemd call agrees with systemctl on every fleet kind at once, before and after systemctl loads them", async (ctx) => {
    if (!m) return skipOutsideCi(ctx, "no systemd user manager available (see the warning above)");
    const before = await observed(m);
    const answers = new Map<string, Record<string, string>>();
    for (const c of FLEET_KINDS) answers.set(c.unit, await systemctlSays(m, c.unit));
    const after = await observed(m);
    const rows = (units: Map<string, UnitState>) =>
      FLEET_KINDS.map(
        (c) => `${c.unit} ${units.get(c.unit)?.enabled || "-"} ${units.get(c.unit)?.load} ${units.get(c.unit)?.active}`,
      );
    const truth = FLEET_KINDS.map((c) => {
      const a = answers.get(c.unit) ?? {};
      return `${c.unit} ${a["UnitFileState"] || "-"} ${a["LoadState"]} ${a["ActiveState"]}`;
    });
    expect(rows(before)).toEqual(truth);
    expect(rows(after)).toEqual(truth);
  });

  it("enable and disable are seen at once, without a daemon-reload", async (ctx) => {
    if (!m) return skipOutsideCi(ctx, "no systemd user manager available (see the warning above)");
    await must(m, "enable", "mf-tpl@off.service");
    expect((await observed(m)).get("mf-tpl@off.service")?.enabled).toBe("enabled");
    expect((await m.show("mf-tpl@off.service", "UnitFileState"))["UnitFileState"]).toBe("enabled");
    await must(m, "disable", "mf-tpl@off.service");
    expect((await observed(m)).get("mf-tpl@off.service")?.enabled).toBe("disabled");
    expect((await m.show("mf-tpl@off.service", "UnitFileState"))["UnitFileState"]).toBe("disabled");
  });
});
