// Torn reads (docs/heartbeat.md "Writing": atomic): a reader hammering NAME.hb while a
// writer in another process rewrites it as fast as it can, and probes force extra
// rewrites, must only ever see a complete, valid line — never a missing file, an empty
// file, a half-written line or an invalid one.
//
// The writer is the project's own HeartbeatWriter, bundled with esbuild into a small
// script and run by node in its own process (so reads and writes really interleave).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { readHeartbeat } from "../../src/heartbeat/reader.js";
import { parseHeartbeat } from "../../src/heartbeat/grammar.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

const WRITER = `
import { HeartbeatWriter } from "./src/heartbeat/writer.ts";
const [runDir, name, ms] = process.argv.slice(2);
const writer = new HeartbeatWriter({ runDir, name, intervalS: 3600 });
writer.start();
const until = Date.now() + Number(ms);
let writes = 0;
// Bursts of synchronous rewrites, yielding between bursts so fs.watch can deliver probes.
function burst() {
  for (let i = 0; i < 25; i++) { writer.write(); writes++; }
  if (Date.now() < until) setImmediate(burst);
  else { writer.stop(); process.stdout.write(JSON.stringify({ writes })); }
}
burst();
`;

let base: string;
let script: string;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), "mf-agent-torn-"));
  script = join(base, "writer.mjs");
  await build({
    stdin: { contents: WRITER, resolveDir: ROOT, sourcefile: "writer.ts", loader: "ts" },
    outfile: script,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "silent",
  });
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

function probe(runDir: string, name: string, nonce: string): void {
  const temp = join(runDir, `.${name}.probe.reader.tmp`);
  writeFileSync(temp, `${nonce}\n`, { mode: 0o600 });
  renameSync(temp, join(runDir, `${name}.probe`));
}

describe("torn reads", () => {
  it("a reader never sees missing, empty, torn or invalid while the writer rewrites flat out and probes force rewrites", async () => {
    const runDir = join(base, "fleet", "run");
    mkdirSync(runDir, { recursive: true });
    chmodSync(runDir, 0o700);
    const name = "torn";
    const hb = join(runDir, `${name}.hb`);
    const child = spawn(process.execPath, [script, runDir, name, "2600"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    try {
      const deadline = Date.now() + 5_000;
      while (!existsSync(hb) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(existsSync(hb), `writer never wrote its first beat: ${err}`).toBe(true);

      const bad: string[] = [];
      const states = new Map<string, number>();
      const seqs: number[] = [];
      const echoed = new Set<string>();
      const sent: string[] = [];
      let iterations = 0;
      let rawReads = 0;
      const stopAt = Date.now() + 2_000;
      while (Date.now() < stopAt) {
        for (let i = 0; i < 50; i++) {
          iterations++;
          const seen = readHeartbeat(hb);
          states.set(seen.state, (states.get(seen.state) ?? 0) + 1);
          if (seen.state !== "present") {
            if (bad.length < 10) bad.push(JSON.stringify(seen));
            continue;
          }
          if (seen.record.seq !== undefined) seqs.push(seen.record.seq);
          if (seen.record.probe !== undefined) echoed.add(seen.record.probe);
          // The raw bytes too, with no retry: a complete line every time.
          const text = readFileSync(hb, "latin1");
          rawReads++;
          const parsed = parseHeartbeat(text);
          if (text === "" || !text.endsWith("\n") || !parsed.ok) {
            if (bad.length < 10) bad.push(`raw: ${JSON.stringify(text)}`);
          }
        }
        if (iterations % 500 === 0) {
          const nonce = `n${iterations}`;
          sent.push(nonce);
          probe(runDir, name, nonce);
        }
        // Let the child's fs events be delivered; keep the loop tight otherwise.
        if (iterations % 2_000 === 0) await new Promise((r) => setImmediate(r));
      }
      const code = await exited;
      const writes = (JSON.parse(out || "{}") as { writes?: number }).writes ?? 0;
      console.log(
        `[torn-read] ${iterations} observer reads + ${rawReads} raw reads over 2 s, writer rewrote ${writes} times, ` +
          `${echoed.size}/${sent.length} probes echoed, states ${JSON.stringify(Object.fromEntries(states))}`,
      );
      expect(bad).toEqual([]);
      expect(states.get("present")).toBe(iterations);
      expect(iterations).toBeGreaterThan(2_000);
      expect(code).toBe(0);
      expect(writes).toBeGreaterThan(1_000);
      // Reads really interleaved with writes: many different seq values were observed…
      expect(new Set(seqs).size).toBeGreaterThan(100);
      // …and probes did force rewrites while we read.
      expect(echoed.size).toBeGreaterThan(3);
      for (const nonce of echoed) expect(sent).toContain(nonce);
      // The writer's last word, and no temp file left behind.
      const last = readHeartbeat(hb);
      expect(last.state === "present" && last.record.status).toBe("stopping");
      expect(readdirSync(runDir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
      expect(readdirSync(runDir).sort()).toEqual([`${name}.hb`, `${name}.probe`]);
    } finally {
      child.kill("SIGKILL");
    }
  }, 20_000);
});
