import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadRosterCached } from "../../src/spec/cache.js";
import { rosterFileAt } from "../../src/spec/read.js";

// The roster cache may only ever return what a full parse would: keyed by the exact
// bytes and the machine facts, ignored when not private to us.

const facts = { user: "me", hostname: "h" };
const uid = process.getuid?.() ?? 0;
let dir: string;
let cache: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mosaic-cache-test-"));
  cache = join(dir, "cache");
  file = join(dir, "roster.yaml");
  writeFileSync(file, "version: 1\nagents:\n  - {name: a, runtime: stub}\n");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("roster cache", () => {
  it("a second load is a hit with the same fleet (runtimes map included)", async () => {
    const first = await loadRosterCached(rosterFileAt(file), facts, cache, uid);
    expect(first.ok).toBe(true);
    expect(readdirSync(cache)).toHaveLength(1);
    const second = await loadRosterCached(rosterFileAt(file), facts, cache, uid);
    expect(second).toEqual(first);
    if (second.ok) expect(second.fleet.runtimes.get("stub")?.match).toContain("dogfood-agent.py");
  });

  it("an edited roster is parsed again, never served stale", async () => {
    await loadRosterCached(rosterFileAt(file), facts, cache, uid);
    writeFileSync(file, "version: 1\nagents:\n  - {name: b, runtime: shell}\n");
    const again = await loadRosterCached(rosterFileAt(file), facts, cache, uid);
    expect(again.ok && again.fleet.agents.map((a) => a.name)).toEqual(["b"]);
  });

  it("other machine facts (user, hostname) are a miss: defaults depend on them", async () => {
    await loadRosterCached(rosterFileAt(file), facts, cache, uid);
    const other = await loadRosterCached(rosterFileAt(file), { user: "you", hostname: "h2" }, cache, uid);
    expect(other.ok && other.fleet.agents[0]?.tenant).toBe("you");
    expect(other.ok && other.fleet.agents[0]?.host).toBe("h2");
  });

  it("an invalid roster is never cached and still reports its problems", async () => {
    writeFileSync(file, "version: 1\nagents:\n  - {name: a, runtme: stub}\n");
    const result = await loadRosterCached(rosterFileAt(file), facts, cache, uid);
    expect(result.ok).toBe(false);
    expect(readdirSync(dir)).not.toContain("cache");
  });

  it("a cache entry others could have written (group-writable) is ignored", async () => {
    await loadRosterCached(rosterFileAt(file), facts, cache, uid);
    const [entry] = readdirSync(cache);
    const path = join(cache, entry ?? "");
    // Forge the entry: same key, another fleet; then make it group-writable.
    const forged = JSON.parse(readFileSync(path, "utf8")) as { fleet: { agents: [{ name: string }] } };
    forged.fleet.agents[0].name = "forged";
    writeFileSync(path, JSON.stringify(forged));
    chmodSync(path, 0o660);
    const result = await loadRosterCached(rosterFileAt(file), facts, cache, uid);
    expect(result.ok && result.fleet.agents[0]?.name).toBe("a");
  });

  it("no cache directory: plain parsing", async () => {
    const result = await loadRosterCached(rosterFileAt(file), facts, null, uid);
    expect(result.ok).toBe(true);
  });
});

describe("cache file names", () => {
  it("are short, stable, and differ for different keys (the key itself is stored and compared)", async () => {
    const { cacheFileName } = await import("../../src/cache/private-file.js");
    const a = cacheFileName("roster", "/srv/fleet/roster.yaml");
    expect(a).toMatch(/^roster-[0-9a-f]{16}\.json$/);
    expect(cacheFileName("roster", "/srv/fleet/roster.yaml")).toBe(a);
    const names = new Set(
      Array.from({ length: 2_000 }, (_, i) => cacheFileName("roster", `/srv/fleet/roster-${i}.yaml`)),
    );
    expect(names.size).toBe(2_000);
    expect(cacheFileName("unitpath", "/srv/fleet/roster.yaml")).not.toBe(a);
  });

  it("an edit that keeps the roster's length is still a miss (the whole text is compared)", async () => {
    await loadRosterCached(rosterFileAt(file), facts, cache, uid);
    writeFileSync(file, readFileSync(file, "utf8").replace("name: a", "name: b"));
    const again = await loadRosterCached(rosterFileAt(file), facts, cache, uid);
    expect(again.ok && again.fleet.agents.map((x) => x.name)).toEqual(["b"]);
  });
});
