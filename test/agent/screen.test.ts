// How `agent send` reads a screen: placeholders are not drafts, borders and drawn
// cursors mark input lines, menus and dialogs are refused. Pure: recorded screens of
// the real runtimes (test/fixtures/runtimes/*.ansi, captured with `capture-pane -e`)
// and generated ones (fast-check).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  inputRowOf,
  linesMatching,
  parseRow,
  rowText,
  screenRulesFor,
  summarise,
  viewScreen,
  type Row,
} from "../../src/agent/screen.js";
import { GENERAL_SCREEN_RULES } from "../../src/spec/runtimes.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "runtimes");

interface Capture {
  rows: Row[];
  cursorY: number;
  shown: boolean;
  alternate: boolean;
}

function capture(name: string): Capture {
  const [head = "", ...lines] = readFileSync(join(FIXTURES, `${name}.ansi`), "utf8").split("\n");
  const match = /^# cursor=(\d+),(\d+) shown=([01]) alternate=([01])/.exec(head);
  if (!match) throw new Error(`${name}: no header`);
  return { rows: lines.map(parseRow), cursorY: Number(match[2]), shown: match[3] === "1", alternate: match[4] === "1" };
}

const view = (name: string, runtime: string) => {
  const shot = capture(name);
  return viewScreen(shot.rows, shot.cursorY, screenRulesFor(runtime));
};

describe("recorded screens of the real runtimes", () => {
  it.each([
    ["claude-2.1.197-trust-dialog", "claude", /Accessing workspace.*❯ 1\. Yes, I trust this folder/],
    ["claude-2.1.197-api-key-dialog", "claude", /Detected a custom API key.*❯ 2\. No \(recommended\)/],
    ["claude-2.0.76-trust-dialog", "claude", /Do you trust the files in this folder\?.*❯ 1\. Yes, proceed/],
    ["codex-0.171.0-signin-menu", "codex", /Welcome to Codex.*> 1\. Sign in with ChatGPT.*Press enter to continue/],
  ])("%s is a dialog, shown by its title and choices", (name, runtime, shows) => {
    const seen = view(name, runtime);
    expect(seen.kind).toBe("dialog");
    if (seen.kind === "dialog") expect(summarise(seen.shows)).toMatch(shows);
  });

  it("a dialog is a dialog whatever runtime the roster names (the general rules find it)", () => {
    for (const name of ["claude-2.1.197-trust-dialog", "claude-2.0.76-trust-dialog", "codex-0.171.0-signin-menu"]) {
      expect(view(name, "shell").kind, name).toBe("dialog");
    }
  });

  it.each([
    ["claude-2.1.197-idle", "claude"],
    ["claude-2.1.197-busy-retrying", "claude"],
    ["codex-0.171.0-idle", "codex"],
    ["opencode-1.18.33-idle", "opencode"],
    ["pi-0.73.1-idle", "pi"],
    ["pi-0.73.1-no-api-key", "pi"],
  ])("%s: an input line with no draft (placeholders, borders and drawn cursors are not text)", (name, runtime) => {
    expect(view(name, runtime)).toEqual({ kind: "input", draft: "", marked: true });
  });

  it.each([
    ["claude-2.1.197-draft", "claude"],
    ["codex-0.171.0-draft", "codex"],
    ["opencode-1.18.33-draft", "opencode"],
    ["pi-0.73.1-draft", "pi"],
  ])("%s: the typed text is a draft", (name, runtime) => {
    expect(view(name, runtime)).toEqual({ kind: "input", draft: "draft here", marked: true });
  });

  it("codex's placeholder is dim (SGR 2) and opencode's grey (38;5;8): without attributes both would read as drafts", () => {
    for (const name of ["codex-0.171.0-idle", "opencode-1.18.33-idle"]) {
      const shot = capture(name);
      const plain = rowText(shot.rows[shot.cursorY] ?? []);
      expect(plain, name).toMatch(/Ask (Codex to do )?anything/);
      expect(inputRowOf(shot.rows[shot.cursorY] ?? []).draft, name).toBe("");
    }
  });

  it("full-screen programs: codex and opencode on the alternate screen, claude and pi with the cursor hidden", () => {
    for (const name of ["codex-0.171.0-idle", "opencode-1.18.33-idle"])
      expect(capture(name).alternate, name).toBe(true);
    for (const name of ["claude-2.1.197-idle", "pi-0.73.1-idle"]) expect(capture(name).shown, name).toBe(false);
  });

  it("pi's reply to a send is an error by pi's rules and the general ones; its idle screen holds none", () => {
    const lines = (name: string) => capture(name).rows.map(rowText);
    expect(linesMatching(lines("pi-0.73.1-no-api-key"), screenRulesFor("pi").error)).not.toEqual([]);
    expect(linesMatching(lines("pi-0.73.1-no-api-key"), GENERAL_SCREEN_RULES.error)).not.toEqual([]);
    expect(linesMatching(lines("pi-0.73.1-idle"), screenRulesFor("pi").error)).toEqual([]);
  });

  it.each([
    ["screen-claude-trust-dialog-before.txt", "claude"],
    ["screen-codex-signin-menu-before.txt", "codex"],
  ])("the shared plain recording %s is a dialog too (cursor on its last row)", (file, runtime) => {
    const rows = readFileSync(join(FIXTURES, file), "utf8").split("\n").map(parseRow);
    expect(viewScreen(rows, rows.length - 1, screenRulesFor(runtime)).kind).toBe("dialog");
  });
});

// ---- generated screens -------------------------------------------------------------

const ESC = "\u001b";
/** Ways programs draw a placeholder: dim, black/bright black, a 256-colour grey, a 24-bit grey. */
const FAINT = [
  `${ESC}[2m`,
  `${ESC}[90m`,
  `${ESC}[30m`,
  `${ESC}[38;5;8m`,
  `${ESC}[38;5;244m`,
  `${ESC}[38;2;102;102;102m`,
];
/** Ways programs draw what someone typed. */
const PLAIN = ["", `${ESC}[39m`, `${ESC}[0m`, `${ESC}[38;5;15m`, `${ESC}[38;5;255m`, `${ESC}[1m`, `${ESC}[97m`];
const PROMPTS = ["> ", "› ", "❯ ", "❯\u00a0", "$ ", "agent> ", "┃  ", "│ ", "  ┃  "];
const word = fc.stringMatching(/^[A-Za-z][A-Za-z ,.'"…]{0,30}[A-Za-z.…"]$/);

describe("placeholders are never drafts; typed text always is", () => {
  it("faint text after any prompt or border reads as an empty input line", () => {
    fc.assert(
      fc.property(fc.constantFrom(...PROMPTS), fc.constantFrom(...FAINT), word, (prompt, faint, text) => {
        const row = parseRow(`${prompt}${faint}${text}${ESC}[0m`);
        expect(inputRowOf(row)).toMatchObject({ marked: true, draft: "" });
      }),
    );
  });

  it("the same text drawn plainly is the draft", () => {
    fc.assert(
      fc.property(fc.constantFrom(...PROMPTS), fc.constantFrom(...PLAIN), word, (prompt, plain, text) => {
        const row = parseRow(`${prompt}${plain}${text}${ESC}[0m`);
        expect(inputRowOf(row).draft).toBe(text.trim());
      }),
    );
  });

  it("a draft followed by a drawn cursor (a reverse-video blank) keeps its text; the cursor alone is empty", () => {
    fc.assert(
      fc.property(word, (text) => {
        expect(inputRowOf(parseRow(`${text}${ESC}[7m ${ESC}[0m`))).toMatchObject({ marked: true, draft: text.trim() });
        expect(inputRowOf(parseRow(`${ESC}[7m ${ESC}[0m`))).toMatchObject({ marked: true, draft: "" });
      }),
    );
  });

  it("dim turned off again (SGR 22, 0) makes the following text a draft", () => {
    const row = parseRow(`› ${ESC}[2mhint${ESC}[22mtyped`);
    expect(inputRowOf(row).draft).toBe("typed");
  });
});

const MARKERS = ["❯", "›", ">", "▶", "➤", "→", "●"];

/** A menu of n numbered items, one selected, under a title, padded with blank rows. */
const menuScreen = fc.record({
  title: word,
  labels: fc.array(word, { minLength: 2, maxLength: 5 }),
  marker: fc.constantFrom(...MARKERS),
  indent: fc.nat({ max: 4 }),
  closer: fc.oneof(fc.constant(""), fc.constantFrom("Press enter to continue", "Enter to confirm · Esc to cancel")),
  selected: fc.nat(),
  blank: fc.nat({ max: 6 }),
  style: fc.constantFrom("", `${ESC}[38;5;153m`, `${ESC}[2m`),
});

function drawMenu(m: MenuSpec): string[] {
  const pad = " ".repeat(m.indent);
  const chosen = m.selected % m.labels.length;
  const items = m.labels.map((label, i) =>
    i === chosen ? `${pad}${m.style}${m.marker} ${i + 1}. ${label}${ESC}[0m` : `${pad}  ${i + 1}. ${label}`,
  );
  return [
    ` ${m.title}`,
    "",
    ...items,
    "",
    ...(m.closer ? [` ${m.closer}`] : []),
    ...Array.from({ length: m.blank }, () => ""),
  ];
}
interface MenuSpec {
  title: string;
  labels: string[];
  marker: string;
  indent: number;
  closer: string;
  selected: number;
  blank: number;
  style: string;
}

describe("menus and dialogs are refused wherever the cursor is, unless it is on an input line below them", () => {
  it("a selection marker on a numbered list is a dialog, with the cursor on any of its rows", () => {
    fc.assert(
      fc.property(menuScreen, fc.nat(), (menu, at) => {
        const lines = drawMenu(menu);
        const rows = lines.map(parseRow);
        const seen = viewScreen(rows, at % rows.length, GENERAL_SCREEN_RULES);
        expect(seen.kind).toBe("dialog");
      }),
    );
  });

  it("the same menu in the conversation above an input line the cursor is on is history, not a dialog", () => {
    fc.assert(
      fc.property(menuScreen, fc.constantFrom("› ", "❯ ", "> "), (menu, prompt) => {
        const lines = [...drawMenu(menu), "", prompt];
        const rows = lines.map(parseRow);
        expect(viewScreen(rows, rows.length - 1, GENERAL_SCREEN_RULES)).toEqual({
          kind: "input",
          draft: "",
          marked: true,
        });
      }),
    );
  });

  it("each general dialog line is a dialog when the cursor is on no input line", () => {
    const lines = [
      "Press enter to continue",
      "Do you trust the files in this folder?",
      "Continue? (y/n)",
      "Enter to confirm",
    ];
    for (const line of lines) {
      const rows = [` ${line}`, "", ""].map(parseRow);
      expect(viewScreen(rows, 2, GENERAL_SCREEN_RULES).kind, line).toBe("dialog");
    }
  });

  it("a numbered item at the cursor (`❯ 2. No`) is a choice, not a draft", () => {
    const rows = ["  Use this key?", "    1. Yes", "  ❯ 2. No (recommended)"].map(parseRow);
    expect(viewScreen(rows, 2, GENERAL_SCREEN_RULES).kind).toBe("dialog");
  });
});

describe("what a refusal shows is bounded and escaped", () => {
  it("never holds a control byte and never exceeds its bound", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "binary" }), { maxLength: 30 }),
        fc.integer({ min: 10, max: 300 }),
        (lines, max) => {
          const text = summarise(lines, max);
          expect(text.length).toBeLessThanOrEqual(max);
          // eslint-disable-next-line no-control-regex -- the test looks for control bytes
          expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        },
      ),
    );
  });
});
