// Runtime match for the ways the real runtimes are launched and run (recorded with the
// real programs: test/fixtures/runtimes/README.md), the path-pattern rule behind it, and
// naming the agent rather than a helper daemon. Hand-built process trees.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkContext } from "../../src/diff/conditions/check.js";
import { drift } from "../../src/diff/conditions/drift.js";
import { identifyRuntime, leftSession, pathMatches } from "../../src/diff/runtime-match.js";
import type { ProcessInfo, ProcessTree } from "../../src/observe/types.js";
import { BUILTIN_RUNTIMES } from "../../src/spec/runtimes.js";
import { CATALOG, NOW_MS, agentSpec, chain, facts, proc, runtime } from "./facts.js";

const NM = "/opt/runtimes/claude/node_modules";

/** Launch forms seen on real machines: argv of each process from the pane's root down. */
const FORMS: [string, string, string[][]][] = [
  ["claude via PATH (npm's .bin link)", "claude", [[`${NM}/.bin/claude`]]],
  ["claude by its real path", "claude", [[`${NM}/@anthropic-ai/claude-code/bin/claude.exe`]]],
  [
    "claude from the standalone installer, by its real path",
    "claude",
    [["/home/a/.local/share/claude/versions/2.1.197"]],
  ],
  ["claude from the standalone installer, via ~/.local/bin/claude", "claude", [["claude"]]],
  ["an old claude before it retitles itself", "claude", [["node", `${NM}/@anthropic-ai/claude-code/cli.js`]]],
  ["an old claude after it retitled itself", "claude", [["claude"]]],
  [
    "an old claude under a wrapper shell",
    "claude",
    [
      ["sh", "-c", "claude; exit"],
      ["node", "/x/node_modules/@anthropic-ai/claude-code/cli.js", "--resume"],
    ],
  ],
  [
    "codex's npm wrapper and native binary",
    "codex",
    [
      ["node", "/x/node_modules/.bin/codex"],
      ["/x/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex"],
    ],
  ],
  ["codex's wrapper by its real path", "codex", [["node", "/x/node_modules/@openai/codex/bin/codex.js"]]],
  ["opencode via PATH", "opencode", [["/x/node_modules/.bin/opencode"]]],
  ["opencode by its real path", "opencode", [["/x/node_modules/opencode-ai/bin/opencode.exe"]]],
  ["pi before it retitles itself", "pi", [["node", "/x/node_modules/@mariozechner/pi-coding-agent/dist/cli.js"]]],
  ["pi after", "pi", [["pi"]]],
];

describe("every launch form matches its runtime, and no other", () => {
  it.each(FORMS)("%s → %s", (_what, want, argvs) => {
    const tree = chain(...argvs);
    expect(identifyRuntime(tree, runtime(want), CATALOG).runtime).toBe(want);
    for (const other of ["claude", "codex", "opencode", "pi"].filter((name) => name !== want)) {
      expect(identifyRuntime(tree, runtime(other), CATALOG).runtime, `${want} form asked as ${other}`).not.toBe(other);
    }
  });

  it.each(FORMS)("Drift: %s is False for %s, True for a wrong runtime", (_what, want, argvs) => {
    const tree = chain(...argvs);
    const ok = drift(checkContext(agentSpec({ runtime: want }), "s", facts({ tree }), NOW_MS, CATALOG));
    expect(ok).toMatchObject({ status: "False", reason: "RuntimeMatches" });
    const wrong = want === "pi" ? "codex" : "pi";
    const bad = drift(checkContext(agentSpec({ runtime: wrong }), "s", facts({ tree }), NOW_MS, CATALOG));
    expect(bad).toMatchObject({ status: "True", reason: "RuntimeMismatch" });
  });

  it("a binary whose argv names nothing is matched by where its executable really is", () => {
    const tree: ProcessTree = chain(["agent-main", "--flag"]);
    const exe = "/home/a/.local/share/claude/versions/2.1.197";
    Object.defineProperty(tree, "exeOf", { value: (pid: number) => (pid === tree.root.pid ? exe : null) });
    expect(identifyRuntime(tree, runtime("claude"), CATALOG).runtime).toBe("claude");
    expect(identifyRuntime(chain(["agent-main"]), runtime("claude"), CATALOG).runtime).toBeNull();
  });

  it("every built-in path pattern is a tail that some real path can end with (no typo leaves one dead)", () => {
    for (const [name, patterns] of Object.entries(BUILTIN_RUNTIMES)) {
      for (const pattern of patterns.filter((p) => p.includes("/"))) {
        const path = `/opt/x/node_modules/${pattern.replace(/\*/g, "1.0.0")}`;
        expect(identifyRuntime(chain([path]), runtime(name), CATALOG).runtime, pattern).toBe(name);
      }
    }
  });
});

describe("pathMatches: whole segments at the end of the path, * for one segment", () => {
  const segment = fc.stringMatching(/^[A-Za-z0-9@._-]{1,8}$/);
  it("any tail of a path matches it; the path with one tail segment changed does not", () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 8 }), fc.nat(), segment, (parts, cut, other) => {
        const path = `/${parts.join("/")}`;
        const tail = parts.slice(cut % parts.length);
        expect(pathMatches(tail.join("/"), path)).toBe(true);
        const changed = [...tail];
        changed[0] = `${other}~`;
        expect(pathMatches(changed.join("/"), path)).toBe(false);
      }),
    );
  });
  it("a segment is never matched by part of one: claude/cli.js is not my-claude/cli.js", () => {
    expect(pathMatches("claude/cli.js", "/x/my-claude/cli.js")).toBe(false);
    expect(pathMatches("claude/versions/*", "/x/claude/versions/2.1.197")).toBe(true);
    expect(pathMatches("claude/versions/*", "/x/claude/versions")).toBe(false);
  });
});

describe("the agent is named, not a helper daemon that left the pane's session", () => {
  // codex under its npm wrapper, both in the terminal's foreground group (pgid 10, sid 10);
  // two app-server daemons it started in sessions of their own (setsid).
  function codexTree(): ProcessTree {
    const at = (argv: string[], pid: number, ppid: number, group: number): ProcessInfo =>
      proc(argv, { pid, ppid, pgid: group, sid: group });
    const root = at(["node", "/x/node_modules/.bin/codex"], 10, 1, 10);
    const native = at(["/x/vendor/bin/codex"], 11, 10, 10);
    const daemon = at(
      ["/h/.codex/packages/app-server-daemon/bin/codex", "app-server", "--listen", "unix://"],
      12,
      11,
      12,
    );
    const loop = at(
      ["/h/.codex/packages/app-server-daemon/bin/codex", "app-server", "daemon", "pid-update-loop"],
      13,
      11,
      13,
    );
    return { root, processes: [root, native, daemon, loop], foreground: root, foregroundGroup: 10 };
  }

  it("Drift False names the program in the terminal's foreground group", () => {
    const cond = drift(
      checkContext(agentSpec({ runtime: "codex" }), "s", facts({ tree: codexTree() }), NOW_MS, CATALOG),
    );
    expect(cond.status).toBe("False");
    expect(cond.message).not.toMatch(/app-server/);
  });

  it("Drift True (roster wants claude) names the foreground codex, not a daemon", () => {
    const cond = drift(
      checkContext(agentSpec({ runtime: "claude" }), "s", facts({ tree: codexTree() }), NOW_MS, CATALOG),
    );
    expect(cond.status).toBe("True");
    expect(cond.message).toMatch(/pane runs codex/);
    expect(cond.message).not.toMatch(/app-server/);
  });

  it("the helpers that left the session are listed, the pane's own processes are not", () => {
    expect(leftSession(codexTree()).map((p) => p.pid)).toEqual([12, 13]);
    expect(leftSession(chain(["bash"], ["pi"]))).toEqual([]);
  });
});
