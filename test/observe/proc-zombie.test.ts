// A pane process that exited but was never reaped is a zombie: left out of trees (it
// runs nothing), but remembered so PaneDead can say so. A fake procfs; nothing spawned.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scanProcessTable, treesFrom, zombieInTable } from "../../src/observe/proc.js";

let root = "";
const stat = (pid: number, comm: string, ppid: number, state: string, pgid = pid, sid = pid, tpgid = -1) =>
  `${pid} (${comm}) ${state} ${ppid} ${pgid} ${sid} 0 ${tpgid} ${"0 ".repeat(13)}500 0 0\n`;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "fake-proc-z-"));
  writeFileSync(join(root, "stat"), "btime 1700000000\n");
  const add = (pid: number, text: string, cmdline: string) => {
    mkdirSync(join(root, String(pid)));
    writeFileSync(join(root, String(pid), "stat"), text);
    writeFileSync(join(root, String(pid), "cmdline"), cmdline);
  };
  add(10, stat(10, "claude", 1, "Z"), "");
  add(20, stat(20, "node", 1, "S", 20, 20, 20), "node\0/x/codex.js\0");
  add(21, stat(21, "codex", 20, "S", 20, 20, 20), "/x/codex\0");
  add(22, stat(22, "codex", 21, "S", 22, 22, -1), "/x/codex\0app-server\0");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("zombies and sessions in the process table", () => {
  it("a zombie root has no tree and is known as a zombie; a live root is not", () => {
    const table = scanProcessTable({ procRoot: root });
    const trees = treesFrom(table, [10, 20]);
    expect(trees.get(10)).toBeNull();
    expect(zombieInTable(table, 10)).toBe(true);
    expect(zombieInTable(table, 20)).toBe(false);
  });

  it("each process carries its group and session; the tree knows the terminal's foreground group", () => {
    const tree = treesFrom(scanProcessTable({ procRoot: root }), [20]).get(20);
    expect(tree?.processes.map((p) => [p.pid, p.pgid, p.sid])).toEqual([
      [20, 20, 20],
      [21, 20, 20],
      [22, 22, 22],
    ]);
    expect(tree?.foregroundGroup).toBe(20);
    // Not serialised: the resolver stays out of JSON and of equality checks.
    expect(Object.keys(tree ?? {})).not.toContain("exeOf");
  });
});
