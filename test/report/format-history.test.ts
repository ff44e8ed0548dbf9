import { execFile, execFileSync } from "node:child_process";
import { appendFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { buildSync } from "esbuild";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { reportInput } from "../../src/report/formats.js";
import {
  appendHistory,
  HISTORY_LIMIT,
  historyEntry,
  readHistory,
  type HistoryEntry,
} from "../../src/report/history.js";
import { emptyStatus, fixtureHistory, fixtureStatus } from "./format-fixture.js";

const execFileAsync = promisify(execFile);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mosaic-history-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const entry = (i: number): HistoryEntry => ({
  ...fixtureHistory()[2]!,
  observedAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
});

describe("report history", () => {
  it("makes an entry from the report input", () => {
    expect(historyEntry(reportInput(fixtureStatus()))).toEqual({
      observedAt: "2026-06-20T12:00:00.000Z",
      fleet: "mosaic-factory",
      tenant_id: "jarvis",
      host: "W-jarvis",
      agents: 7,
      compliant: 1,
      nonCompliant: 4,
      unknown: 2,
      unmanaged: 1,
      verdict: "NONCOMPLIANT",
    });
    expect(historyEntry(reportInput(emptyStatus())).verdict).toBe("UNKNOWN");
  });

  it("reads a missing file as no history", () => {
    expect(readHistory(join(dir, "nope.jsonl"))).toEqual([]);
  });

  it("appends one JSON line per run and reads them back in order", async () => {
    const path = join(dir, "history.jsonl");
    for (const run of fixtureHistory()) await appendHistory(path, run);
    const lines = readFileSync(path, "utf8").split("\n");
    expect(lines).toHaveLength(5);
    expect(lines.at(-1)).toBe("");
    expect(JSON.parse(lines[0]!)).toEqual(fixtureHistory()[0]);
    expect(readHistory(path)).toEqual(fixtureHistory());
  });

  it("writes only the entry's fields", async () => {
    const path = join(dir, "history.jsonl");
    await appendHistory(path, { ...entry(0), extra: "x" } as HistoryEntry);
    expect(Object.keys(JSON.parse(readFileSync(path, "utf8")) as object)).toEqual([
      "observedAt",
      "fleet",
      "agents",
      "compliant",
      "nonCompliant",
      "unknown",
      "unmanaged",
      "verdict",
    ]);
  });

  it("skips malformed lines: garbage, torn, wrong types, unknown verdicts", () => {
    const path = join(dir, "history.jsonl");
    const good = JSON.stringify(entry(1));
    writeFileSync(
      path,
      [
        JSON.stringify(entry(0)),
        "not json",
        good.slice(0, 40),
        JSON.stringify({ ...entry(2), verdict: "FINE" }),
        JSON.stringify({ ...entry(3), compliant: -1 }),
        JSON.stringify({ ...entry(4), agents: "4" }),
        JSON.stringify({ ...entry(5), observedAt: "yesterday" }),
        "[1,2]",
        "null",
        "",
        good,
        "",
      ].join("\n"),
    );
    expect(readHistory(path)).toEqual([entry(0), entry(1)]);
  });

  it("keeps the last 500 runs, and filters by fleet when asked", () => {
    const path = join(dir, "history.jsonl");
    writeFileSync(
      path,
      Array.from(
        { length: 700 },
        (_, i) => `${JSON.stringify(i % 2 ? entry(i) : { ...entry(i), fleet: "other" })}\n`,
      ).join(""),
    );
    const all = readHistory(path);
    expect(all).toHaveLength(HISTORY_LIMIT);
    expect(all[0]).toEqual({ ...entry(200), fleet: "other" });
    expect(all.at(-1)).toEqual(entry(699));
    const mine = readHistory(path, { fleet: "mosaic-factory", limit: 10 });
    expect(mine).toHaveLength(10);
    expect(mine.every((e) => e.fleet === "mosaic-factory")).toBe(true);
    expect(mine.at(-1)).toEqual(entry(699));
  });

  it("reads only the tail of a huge file, dropping the partial first line", () => {
    const path = join(dir, "history.jsonl");
    writeFileSync(path, `${"x".repeat(3 << 20)}\n`);
    appendFileSync(path, `${JSON.stringify(entry(1))}\n`);
    expect(readHistory(path)).toEqual([entry(1)]);
  });

  it("compacts a file grown past a few MiB to its last runs when appending, keeping its mode", async () => {
    const path = join(dir, "history.jsonl");
    const line = `${JSON.stringify(entry(0))}\n`;
    writeFileSync(path, line.repeat(Math.ceil((4 << 20) / line.length) + 10), { mode: 0o640 });
    chmodSync(path, 0o640);
    await appendHistory(path, entry(1));
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(statSync(path).size).toBeLessThan(200_000);
    const runs = readHistory(path);
    expect(runs).toHaveLength(HISTORY_LIMIT);
    expect(runs.at(-1)).toEqual(entry(1));
  });

  it("refuses a FIFO instead of hanging", async () => {
    const path = join(dir, "history.fifo");
    execFileSync("mkfifo", [path]);
    expect(() => readHistory(path)).toThrow(/not a regular file/);
    await expect(appendHistory(path, entry(0))).rejects.toThrow(/not a regular file/);
  });

  it("refuses a symlink when appending", async () => {
    const path = join(dir, "history.jsonl");
    execFileSync("ln", ["-s", join(dir, "elsewhere"), path]);
    await expect(appendHistory(path, entry(0))).rejects.toThrow(/is a symbolic link/);
  });

  it("does not lose or tear lines when several processes append at once", async () => {
    // The real appendHistory, bundled for plain node children (no TS loader there).
    const bundle = join(dir, "history.mjs");
    buildSync({
      entryPoints: [fileURLToPath(new URL("../../src/report/history.ts", import.meta.url))],
      bundle: true,
      platform: "node",
      format: "esm",
      outfile: bundle,
      logLevel: "silent",
    });
    const path = join(dir, "history.jsonl");
    const script = `
      const { appendHistory } = await import(process.argv[1]);
      const [path, id] = process.argv.slice(2);
      for (let i = 0; i < 200; i++) {
        await appendHistory(path, { observedAt: new Date(i * 1000).toISOString(), fleet: "fleet-" + id + "-" + "x".repeat(300), agents: 1, compliant: 1, nonCompliant: 0, unknown: 0, unmanaged: 0, verdict: "COMPLIANT" });
      }`;
    await Promise.all(
      Array.from({ length: 4 }, (_, id) =>
        execFileAsync(process.execPath, ["--input-type=module", "-e", script, bundle, path, String(id)]),
      ),
    );
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(800);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(readHistory(path, { limit: 1000 })).toHaveLength(800);
  });

  it("loses no line when many writers append across compaction, whatever the interleaving (5 rounds × 12 writers)", async () => {
    const bundle = join(dir, "history.mjs");
    buildSync({
      entryPoints: [fileURLToPath(new URL("../../src/report/history.ts", import.meta.url))],
      bundle: true,
      platform: "node",
      format: "esm",
      outfile: bundle,
      logLevel: "silent",
    });
    const path = join(dir, "history.jsonl");
    const script = `
      const { appendHistory } = await import(process.argv[1]);
      const [path, id] = process.argv.slice(2);
      await appendHistory(path, { observedAt: new Date().toISOString(), fleet: "writer-" + id, agents: 1, compliant: 1, nonCompliant: 0, unknown: 0, unmanaged: 0, verdict: "COMPLIANT" });`;
    const filler = `${JSON.stringify(entry(0))}\n`;
    for (let round = 0; round < 5; round += 1) {
      // Over the compaction size, so each writer's append finds it due.
      writeFileSync(path, filler.repeat(Math.ceil((4 << 20) / filler.length) + 10), { mode: 0o600 });
      chmodSync(path, 0o600);
      const ids = Array.from({ length: 12 }, (_, i) => `${round}-${i}`);
      await Promise.all(
        ids.map((id) => execFileAsync(process.execPath, ["--input-type=module", "-e", script, bundle, path, id])),
      );
      const fleets = readHistory(path, { limit: 100_000 }).map((e) => e.fleet);
      for (const id of ids) expect(fleets, `round ${round}: writer ${id}'s line`).toContain(`writer-${id}`);
      expect(statSync(path).size, "compacted").toBeLessThan(4 << 20);
      expect(statSync(path).mode & 0o777).toBe(0o600);
    }
  }, 60_000);
});
