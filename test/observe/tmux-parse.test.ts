import { describe, expect, it } from "vitest";
import { LIST_PANES_FORMAT, PANE_DETAIL_FORMAT, parseListPanes, parsePaneDetails } from "../../src/observe/tmux.js";

// The two list-panes formats: `fleet ps` asks tmux only for what it shows (each field
// costs the server time per pane), `agent send` also for what typing must check.

const SEP = "\u001f";
const line = (...fields: (string | number)[]) => fields.join(SEP);

describe("parseListPanes (the fleet format)", () => {
  it("asks for eight fields, session_name last and no pane_current_command", () => {
    const fields = LIST_PANES_FORMAT.split(SEP);
    expect(fields).toHaveLength(8);
    expect(fields.at(-1)).toBe("#{session_name}");
    expect(LIST_PANES_FORMAT).not.toContain("pane_current_command");
    expect(LIST_PANES_FORMAT).not.toContain("pane_width");
  });

  it("reads every field and keeps each session's first pane (lowest window, then pane)", () => {
    const out = [
      line("%7", 1, 0, 300, 0, "", 1700000300, "a"),
      line("%5", 0, 1, 200, 0, "", 1700000200, "a"),
      line("%4", 0, 0, 100, 1, 3, 1700000100, "a"),
      line("%9", 0, 0, 900, 0, "", 1700000900, "b"),
      "",
    ].join("\n");
    const panes = parseListPanes(out);
    expect([...panes.keys()]).toEqual(["a", "b"]);
    expect(panes.get("a")).toEqual({
      session: "a",
      paneId: "%4",
      windowIndex: 0,
      paneIndex: 0,
      pid: 100,
      dead: true,
      deadStatus: 3,
      currentCommand: "",
      activity: 1700000100,
    });
    expect(panes.get("b")).toMatchObject({ paneId: "%9", dead: false, deadStatus: null, pid: 900 });
  });

  it("a separator inside a session name stays in the name; a short line is skipped", () => {
    const panes = parseListPanes([line("%1", 0, 0, 10, 0, "", 5, `odd${SEP}name`), line("%2", 0, 0)].join("\n"));
    expect([...panes.keys()]).toEqual([`odd${SEP}name`]);
  });

  it("matches names exactly: agent1 and agent10 are two sessions", () => {
    const panes = parseListPanes([line("%1", 0, 0, 10, 0, "", 5, "agent10")].join("\n"));
    expect(panes.get("agent1")).toBeUndefined();
    expect(panes.get("agent10")?.paneId).toBe("%1");
  });
});

describe("parsePaneDetails (the agent send format)", () => {
  it("adds size, mode, input and synchronize flags to the fleet fields", () => {
    expect(PANE_DETAIL_FORMAT.split(SEP)).toHaveLength(13);
    const out = line("%3", 0, 0, 42, 0, "", 77, 200, 50, 1, 0, 1, "x");
    expect(parsePaneDetails(out).get("x")).toEqual({
      session: "x",
      paneId: "%3",
      windowIndex: 0,
      paneIndex: 0,
      pid: 42,
      dead: false,
      deadStatus: null,
      currentCommand: "",
      activity: 77,
      width: 200,
      height: 50,
      inMode: true,
      inputOff: false,
      synchronized: true,
    });
  });
});
