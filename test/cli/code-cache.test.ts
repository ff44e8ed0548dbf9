import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandKey, decodeEntry, encodeEntry } from "../../src/cli/boot.js";
import { cacheFileName } from "../../src/cache/private-file.js";
import { ROOT, cleanEnv, scratchDir } from "./run-cli.js";

// The compiled-code cache of src/cli/boot.ts: bin/mosaic compiles dist/cli.cjs with
// V8's cachedData from $XDG_CACHE_HOME/mosaic, per command — and so the libraries it
// loads on demand (dist/vendor/*.cjs: `fleet validate` loads YAML and zod), one entry
// per command and file. Run against a copy of bin/ + dist/ so a test can "rebuild" it
// without touching the repo's build.

describe("commandKey: one cache entry per command", () => {
  it.each([
    [["fleet", "ps", "-o", "json", "-f", "roster.yaml"], "fleet-ps"],
    [["fleet", "ps"], "fleet-ps"],
    [["agent", "send", "w1", "hello"], "agent-send"],
    [["demo", "--down"], "demo"],
    [["--help"], "none"],
    [[], "none"],
    [["fleet", "--help"], "fleet"],
    [["fleet", "../../etc"], "fleet"],
    [["Fleet", "ps"], "none"],
  ])("%j → %s", (argv, key) => {
    expect(commandKey(argv)).toBe(key);
  });
});

describe("cache entries: identity and checksum", () => {
  const data = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff));
  const identity = "mosaic code cache v1\0v20\0x64\0/opt/mosaic/dist/cli.cjs\0 1\0 2";

  it("decodes what it encoded", () => {
    expect(decodeEntry(encodeEntry(identity, data), identity)?.equals(data)).toBe(true);
  });

  it("ignores an entry made for another bundle, node or build", () => {
    expect(decodeEntry(encodeEntry(identity, data), `${identity}x`)).toBeUndefined();
    expect(decodeEntry(encodeEntry(identity.replace("v20", "v22"), data), identity)).toBeUndefined();
  });

  it("ignores a damaged entry: one flipped bit, truncated, empty, or only a header", () => {
    const entry = encodeEntry(identity, data);
    for (const at of [entry.length - 1, entry.length - 2048, entry.length - data.length]) {
      const flipped = Buffer.from(entry);
      flipped[at] = (flipped[at] ?? 0) ^ 0x01;
      expect(decodeEntry(flipped, identity), `bit flipped at ${at}`).toBeUndefined();
    }
    expect(decodeEntry(entry.subarray(0, entry.length - 1), identity)).toBeUndefined();
    expect(decodeEntry(entry.subarray(0, entry.length - data.length), identity)).toBeUndefined();
    expect(decodeEntry(Buffer.alloc(0), identity)).toBeUndefined();
    expect(decodeEntry(Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4, 5]), identity)).toBeUndefined();
    expect(decodeEntry(null, identity)).toBeUndefined();
  });
});

describe("bin/mosaic with a code cache (real CLI, a copy of bin/ + dist/)", () => {
  let dir = "";
  let cleanup = () => {};
  let install = "";
  let cache = "";
  const roster = join(ROOT, "roster", "demo.yaml");

  beforeAll(() => {
    if (!existsSync(join(ROOT, "dist", "cli.cjs")))
      throw new Error("dist/cli.cjs is missing: run `npm run build` first");
    ({ dir, cleanup } = scratchDir("mosaic-code-cache-"));
    install = join(dir, "install");
    cpSync(join(ROOT, "bin"), join(install, "bin"), { recursive: true });
    cpSync(join(ROOT, "dist"), join(install, "dist"), { recursive: true });
    copyFileSync(join(ROOT, "package.json"), join(install, "package.json"));
    cache = join(dir, "xdg-cache");
  });
  afterAll(() => cleanup());

  /** `fleet validate` on the demo roster; the boot step's codeCache state from the debug log. */
  function validate(extra: Record<string, string> = {}): {
    code: number | null;
    signal: string | null;
    stdout: string;
    state: string | undefined;
  } {
    const result = spawnSync(process.execPath, [join(install, "bin", "mosaic"), "fleet", "validate", "-f", roster], {
      cwd: dir,
      env: cleanEnv(dir, { XDG_CACHE_HOME: cache, MOSAIC_LOG_LEVEL: "debug", ...extra }),
      encoding: "utf8",
      timeout: 20_000,
    });
    const boot = result.stderr.split("\n").flatMap((line) => {
      try {
        const record = JSON.parse(line) as { step?: string; codeCache?: string };
        return record.step === "boot" ? [record] : [];
      } catch {
        return [];
      }
    })[0];
    return { code: result.status, signal: result.signal, stdout: result.stdout, state: boot?.codeCache };
  }

  const entries = () =>
    existsSync(join(cache, "mosaic"))
      ? readdirSync(join(cache, "mosaic"))
          .filter((name) => name.startsWith("code-"))
          .sort()
      : [];
  /** The bundle's entry for `fleet validate` (the others are its libraries'). */
  const entryPath = () =>
    join(cache, "mosaic", cacheFileName("code-fleet-validate", join(install, "dist", "cli.cjs"), "v8"));
  /** The entries of the libraries `fleet validate` loads: YAML and zod. */
  const libraryEntries = () =>
    ["yaml", "zod"].map((name) => {
      const file = readdirSync(join(install, "dist", "vendor")).find(
        (f) => f.startsWith(`${name}-`) && f.endsWith(".cjs"),
      );
      return join(
        cache,
        "mosaic",
        cacheFileName("code-fleet-validate", join(install, "dist", "vendor", file ?? "missing"), "v8"),
      );
    });
  const bytesOf = (paths: string[]) => paths.map((path) => readFileSync(path));

  let expected = "";
  let validateEntries: string[] = [];

  it("first run: compiles, then writes the entries (mode 600, directory 700); the second run uses them", () => {
    const first = validate();
    expect(first).toMatchObject({ code: 0, state: "miss" });
    expected = first.stdout;
    expect(expected).toContain("valid roster v1");
    // The bundle, YAML and zod (and pino, which writes the debug log this test reads).
    validateEntries = entries();
    const all = validateEntries.map((name) => join(cache, "mosaic", name));
    expect(all).toEqual(expect.arrayContaining([entryPath(), ...libraryEntries()]));
    for (const path of all) {
      expect(path).toMatch(/\/code-fleet-validate-[0-9a-f]{16}\.v8$/);
      expect(statSync(path).mode & 0o777).toBe(0o600);
    }
    expect(statSync(join(cache, "mosaic")).mode & 0o777).toBe(0o700);

    const written = bytesOf(all);
    const second = validate();
    expect(second).toMatchObject({ code: 0, state: "hit", stdout: expected });
    // A hit writes nothing, for the bundle or its libraries.
    expect(bytesOf(all)).toEqual(written);
  });

  it("another command gets its own entries", () => {
    const result = spawnSync(process.execPath, [join(install, "bin", "mosaic"), "fleet", "schema"], {
      cwd: dir,
      env: cleanEnv(dir, { XDG_CACHE_HOME: cache }),
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status).toBe(0);
    const schema = entries().filter((name) => name.startsWith("code-fleet-schema-"));
    expect(schema.length).toBeGreaterThan(0);
    expect(entries().length).toBe(schema.length + validateEntries.length);
    for (const name of schema) rmEntry(name);
  });

  function rmEntry(name: string | undefined): void {
    if (name) renameSync(join(cache, "mosaic", name), join(dir, `${name}.removed`));
  }

  it("damaged data (bytes flipped all through it) is never handed to V8: same output, entries rewritten", () => {
    validate(); // the entries exist
    const all = validateEntries.map((name) => join(cache, "mosaic", name));
    for (const path of all) {
      const entry = readFileSync(path);
      // Flip a byte every ~1 KiB of the last three quarters (V8's part): V8 itself would
      // load this and crash (SIGSEGV) without the checksum.
      for (let i = entry.length >> 2; i < entry.length; i += 997) entry[i] = (entry[i] ?? 0) ^ 0x5a;
      writeFileSync(path, entry, { mode: 0o600 });
    }
    const damaged = bytesOf(all);
    const run = validate();
    expect(run).toMatchObject({ code: 0, signal: null, state: "miss", stdout: expected });
    const rewritten = bytesOf(all);
    rewritten.forEach((bytes, i) => expect(bytes.equals(damaged[i] as Buffer), all[i]).toBe(false));
    expect(validate()).toMatchObject({ code: 0, state: "hit", stdout: expected });
    expect(bytesOf(all)).toEqual(rewritten);
  });

  it("an entry someone else could write, or that is not ours, is ignored and replaced by our own", () => {
    validate();
    chmodSync(entryPath(), 0o644);
    expect(validate()).toMatchObject({ code: 0, state: "miss", stdout: expected });
    expect(statSync(entryPath()).mode & 0o777).toBe(0o600);
    if (process.getuid?.() === 0) {
      chownSync(entryPath(), 65534, 65534);
      expect(validate()).toMatchObject({ code: 0, state: "miss", stdout: expected });
      expect(statSync(entryPath()).uid).toBe(0);
    }
    expect(validate()).toMatchObject({ code: 0, state: "hit", stdout: expected });
  });

  it("a rebuilt bundle (a new dist/cli.cjs, even with the same bytes) never uses the old entry", () => {
    const bundle = join(install, "dist", "cli.cjs");
    copyFileSync(bundle, `${bundle}.new`);
    renameSync(`${bundle}.new`, bundle);
    expect(validate()).toMatchObject({ code: 0, state: "miss", stdout: expected });
    expect(validate()).toMatchObject({ code: 0, state: "hit", stdout: expected });
  });

  it("a cache directory that cannot be made (a file is in the way): same output, every run compiles", () => {
    const blocked = join(dir, "not-a-directory");
    writeFileSync(blocked, "");
    for (let i = 0; i < 2; i += 1) {
      expect(validate({ XDG_CACHE_HOME: join(blocked, "cache") })).toMatchObject({
        code: 0,
        signal: null,
        state: "miss",
        stdout: expected,
      });
    }
  });

  it("MOSAIC_NO_CACHE: compiles from source and writes nothing", () => {
    const before = entries();
    for (const name of before) rmEntry(name);
    expect(validate({ MOSAIC_NO_CACHE: "1" })).toMatchObject({ code: 0, state: "off", stdout: expected });
    expect(entries()).toEqual([]);
    expect(before).toEqual(validateEntries);
  });
});
