import { describe, expect, it } from "vitest";
import {
  CLOCK_TICKS_PER_SECOND,
  isExitedState,
  parseBootTime,
  parseCmdline,
  parseProcStat,
  startedAtMs,
} from "../../src/system/proc-stat.js";

// Fields 3..52 of a real line (kernel 6.x); starttime (field 22) is 4242.
function statLine(pid: string, comm: string, state = "S", ppid = "1"): string {
  const after = [state, ppid, "7", "7", "0", "-1", "4194560", "100", "0", "0", "0", "1", "2", "0", "0"];
  after.push("20", "0", "1", "0", "4242", "2437120", "200", "18446744073709551615");
  after.push(...Array.from({ length: 27 }, () => "0"));
  return `${pid} (${comm}) ${after.join(" ")}\n`;
}

describe("parseProcStat", () => {
  it("reads pid, ppid, comm, state and start ticks", () => {
    expect(parseProcStat(statLine("123", "sleep", "S", "45"))).toEqual({
      pid: 123,
      ppid: 45,
      comm: "sleep",
      state: "S",
      startTicks: 4242,
      tpgid: -1,
      pgid: 7,
      sid: 7,
    });
  });

  it.each([
    ["a) b", "a) b"],
    ["(a) b)", "(a) b)"],
    ["tmux: server", "tmux: server"],
    ["  ", "  "],
    ["", ""],
    [") S 9 9 9", ") S 9 9 9"],
  ])("takes comm up to the LAST ')' for %j", (comm, expected) => {
    const stat = parseProcStat(statLine("77", comm, "R", "3"));
    expect(stat).toMatchObject({ pid: 77, ppid: 3, comm: expected, state: "R", startTicks: 4242 });
  });

  it("keeps the zombie state letter", () => {
    expect(parseProcStat(statLine("9", "defunct", "Z"))?.state).toBe("Z");
  });

  it("parses a real line read from this machine's kernel", () => {
    const line = "1 (process_api) S 0 0 0 0 -1 4194560 28817 289055 0 144 16 129 382 398 20 0 14 0 25 44847104";
    expect(parseProcStat(`${line} 3012 18446744073709551615 1 1 0 0 0`)).toEqual({
      pid: 1,
      ppid: 0,
      comm: "process_api",
      state: "S",
      startTicks: 25,
      tpgid: -1,
      pgid: 0,
      sid: 0,
    });
  });

  it.each([
    ["empty", ""],
    ["no parentheses", "12 sleep S 1 1"],
    ["no pid", "(sleep) S 1 1 1"],
    ["truncated before starttime", "12 (sleep) S 1 1 1 0 -1"],
    ["non-numeric pid", "x2 (sleep) S 1"],
    ["two-letter state", statLine("5", "sh", "SS")],
  ])("returns null when %s", (_name, text) => {
    expect(parseProcStat(text)).toBeNull();
  });
});

describe("parseCmdline", () => {
  const nul = (s: string) => Buffer.from(s.replaceAll("|", "\0"));

  it("splits on NUL and drops the trailing terminator", () => {
    expect(parseCmdline(nul("sleep|30|"))).toEqual(["sleep", "30"]);
  });

  it("keeps spaces inside an argument and empty arguments in the middle", () => {
    expect(parseCmdline(nul("python3|/opt/my dir/agent.py||--x|"))).toEqual([
      "python3",
      "/opt/my dir/agent.py",
      "",
      "--x",
    ]);
  });

  it("gives [] for a kernel thread or a zombie (empty cmdline)", () => {
    expect(parseCmdline(Buffer.alloc(0))).toEqual([]);
    expect(parseCmdline(nul("|||"))).toEqual([]);
  });

  it("splits an argv rewritten into one space-joined string, with or without padding", () => {
    expect(parseCmdline(nul("python3 /x/dogfood-agent.py --name a|||||"))).toEqual([
      "python3",
      "/x/dogfood-agent.py",
      "--name",
      "a",
    ]);
    expect(parseCmdline(Buffer.from("nginx: master  process"))).toEqual(["nginx:", "master", "process"]);
  });

  it("keeps a single word as is, without a terminator too", () => {
    expect(parseCmdline(Buffer.from("claude"))).toEqual(["claude"]);
    expect(parseCmdline(nul("claude|"))).toEqual(["claude"]);
  });

  it("decodes UTF-8", () => {
    expect(parseCmdline(nul("echo|héllo ✓|"))).toEqual(["echo", "héllo ✓"]);
  });
});

describe("boot time and start time", () => {
  it("reads btime from /proc/stat", () => {
    const text = "cpu  1 2 3\nintr 0\nctxt 55\nbtime 1795214215\nprocesses 4000\n";
    expect(parseBootTime(text)).toBe(1795214215);
    expect(parseBootTime("cpu 1 2 3\n")).toBeNull();
  });

  it("converts ticks since boot to unix ms at USER_HZ", () => {
    expect(CLOCK_TICKS_PER_SECOND).toBe(100);
    expect(startedAtMs(1_000, 0)).toBe(1_000_000);
    expect(startedAtMs(1_000, 250)).toBe(1_002_500);
    expect(startedAtMs(1_000, 1)).toBe(1_000_010);
  });

  it("treats Z and X as exited", () => {
    expect(["R", "S", "D", "T", "t", "I", "Z", "X"].filter(isExitedState)).toEqual(["Z", "X"]);
  });
});

describe("parseCmdline from a reused buffer", () => {
  it("reads only the first `length` bytes (the rest is an earlier, longer file)", () => {
    const scratch = Buffer.from("sleep\u000030\u0000python3\u0000/opt/agent.py\u0000");
    expect(parseCmdline(scratch, 9)).toEqual(["sleep", "30"]);
    expect(parseCmdline(scratch, 0)).toEqual([]);
    expect(parseCmdline(scratch, 1000)).toEqual(["sleep", "30", "python3", "/opt/agent.py"]);
  });
});
