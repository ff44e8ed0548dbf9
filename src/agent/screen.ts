import { GENERAL_SCREEN_RULES, RUNTIME_SCREEN_RULES, type ScreenRules } from "../spec/index.js";

// Reading an agent's screen the way an operator does: with its attributes. A dim or grey
// placeholder is not text anyone typed; a `┃` border or a drawn (reverse-video) cursor
// marks an input box as well as a `> ` prompt does; a numbered list with a selection
// marker, or "Press enter to continue", is a dialog that Enter would answer. Pure: the
// screen comes from `capture-pane -e` (src/agent/pane.ts). See docs/commands.md.

/** One character cell as drawn: the text and whether it is drawn faint. */
export interface Cell {
  ch: string;
  /** SGR 2 (dim), or a grey/black foreground: how programs draw placeholders and hints. */
  faint: boolean;
  /** SGR 7: a program that hides the terminal cursor draws its own as a reverse-video cell. */
  reverse: boolean;
}

export type Row = Cell[];

interface Pen {
  dim: boolean;
  reverse: boolean;
  greyFg: boolean;
}

const BLANK_PEN: Pen = { dim: false, reverse: false, greyFg: false };

/** Whether a 256-colour index is black or a grey darker than light grey (placeholder greys). */
function grey256(n: number): boolean {
  // 0 black, 8 bright black; 232–249 the grey ramp up to #b2b2b2; 16/59/102/145 greys of the cube.
  return n === 0 || n === 8 || (n >= 232 && n <= 249) || n === 16 || n === 59 || n === 102 || n === 145;
}

/** Whether a 24-bit colour is a grey (r≈g≈b) no lighter than #b4b4b4. */
function greyRgb(r: number, g: number, b: number): boolean {
  return Math.max(r, g, b) - Math.min(r, g, b) <= 24 && Math.max(r, g, b) <= 180;
}

/** Apply one SGR parameter list (`ESC [ … m`) to the pen. */
function applySgr(pen: Pen, params: string): Pen {
  const next = { ...pen };
  const parts = params === "" ? ["0"] : params.split(/[;:]/);
  for (let i = 0; i < parts.length; i += 1) {
    const p = Number(parts[i] === "" ? "0" : parts[i]);
    if (p === 0) Object.assign(next, BLANK_PEN);
    else if (p === 2) next.dim = true;
    else if (p === 22) next.dim = false;
    else if (p === 7) next.reverse = true;
    else if (p === 27) next.reverse = false;
    else if (p === 30 || p === 90) next.greyFg = true;
    else if ((p >= 31 && p <= 37) || (p >= 91 && p <= 97) || p === 39) next.greyFg = false;
    else if (p === 38 || p === 48) {
      const mode = Number(parts[i + 1]);
      if (mode === 5) {
        if (p === 38) next.greyFg = grey256(Number(parts[i + 2]));
        i += 2;
      } else if (mode === 2) {
        if (p === 38) next.greyFg = greyRgb(Number(parts[i + 2]), Number(parts[i + 3]), Number(parts[i + 4]));
        i += 4;
      }
    }
  }
  return next;
}

/** Split one `capture-pane -e` line into cells (escape sequences become attributes). */
export function parseRow(line: string): Row {
  const cells: Row = [];
  let pen = BLANK_PEN;
  for (let i = 0; i < line.length;) {
    const code = line.charCodeAt(i);
    if (code === 0x1b) {
      const kind = line[i + 1];
      if (kind === "[") {
        let end = i + 2;
        while (end < line.length && !/[@-~]/.test(line[end] as string)) end += 1;
        if (line[end] === "m") pen = applySgr(pen, line.slice(i + 2, end));
        i = end + 1;
      } else if (kind === "]") {
        // OSC (a hyperlink): up to BEL or ESC \.
        let end = i + 2;
        while (end < line.length && line[end] !== "\u0007" && !(line[end] === "\u001b" && line[end + 1] === "\\"))
          end += 1;
        i = line[end] === "\u0007" ? end + 1 : end + 2;
      } else i += 2;
      continue;
    }
    const ch = String.fromCodePoint(line.codePointAt(i) as number);
    i += ch.length;
    if (code < 0x20) continue;
    cells.push({ ch, faint: pen.dim || pen.greyFg, reverse: pen.reverse });
  }
  return cells;
}

export const rowText = (row: Row): string => row.map((cell) => cell.ch).join("");

/** Box-drawing borders an input box may start or end with (opencode's `┃`, claude's `│`). */
const BORDER = /[│┃║▌▐▎▏|╎╏┆┇┊┋]/u;
/** Prompts end in one of these, then a space: `name> `, `$ `, `# `, `❯ `, `› `. */
const PROMPT_RE = /^.*?[>$#%❯›»:](\s|$)/u;
/** A numbered menu item: `1. Yes`, `2) No`. */
const ITEM_RE = /^\s*\d{1,2}[.)]\s+\S/u;
/** The selected item of a menu: a marker, then a numbered item. */
const SELECTED_ITEM_RE = /^\s*[❯›>▶►➤→●◉]\s*\d{1,2}[.)]\s+\S/u;
/** A selection marker before an option, numbered or not (`❯ Yes`), as menus draw it. */
const SELECTED_RE = /^\s*[❯›▶►➤→]\s+\S/u;

/** What an operator has typed after the prompt on a plain-text line (empty = no draft). */
export function draftOf(line: string): string {
  const trimmed = line.trimEnd();
  const prompt = PROMPT_RE.exec(trimmed);
  return (prompt ? trimmed.slice(prompt[0].length) : trimmed).trim();
}

/** What the cursor's row says about typing there. */
export interface InputRow {
  /** A prompt, an input-box border or a drawn cursor marks this row as an input line. */
  marked: boolean;
  /** What someone typed there (faint placeholder text, borders and the drawn cursor removed). */
  draft: string;
  /** The row is a numbered menu item (`❯ 2. No`): Enter would choose it. */
  menuItem: boolean;
}

const isSpace = (ch: string) => /\s/u.test(ch) || ch === "\u00a0";

/** Read the input line the cursor is on. */
export function inputRowOf(row: Row): InputRow {
  let cells = row;
  let marked = false;
  // Leading blanks, then one border (`┃  Ask anything…`), then blanks.
  let start = 0;
  while (start < cells.length && isSpace(cells[start]!.ch) && !cells[start]!.reverse) start += 1;
  if (start < cells.length && BORDER.test(cells[start]!.ch)) {
    marked = true;
    start += 1;
  }
  cells = cells.slice(start);
  // The prompt, read on the text with faint cells kept (a dim prompt is still a prompt).
  const text = rowText(cells);
  const prompt = PROMPT_RE.exec(text);
  if (prompt) {
    marked = true;
    cells = cells.slice([...prompt[0]].length);
  }
  // A trailing border closes the box.
  let end = cells.length;
  while (end > 0 && isSpace(cells[end - 1]!.ch) && !cells[end - 1]!.reverse) end -= 1;
  if (end > 0 && BORDER.test(cells[end - 1]!.ch)) {
    marked = true;
    end -= 1;
  }
  cells = cells.slice(0, end);
  const drawnCursor = cells.some((cell) => cell.reverse && isSpace(cell.ch));
  if (drawnCursor) marked = true;
  const typed = cells.filter((cell) => !cell.faint && !(cell.reverse && isSpace(cell.ch)));
  const draft = rowText(typed)
    .replace(/\u00a0/g, " ")
    .trim();
  return { marked, draft, menuItem: ITEM_RE.test(draft) };
}

/** The rules for one runtime's screen: the general ones plus its own. */
export function screenRulesFor(runtime: string | null): ScreenRules {
  const own = runtime === null ? undefined : RUNTIME_SCREEN_RULES[runtime];
  if (!own) return GENERAL_SCREEN_RULES;
  return {
    dialog: [...GENERAL_SCREEN_RULES.dialog, ...own.dialog],
    error: [...GENERAL_SCREEN_RULES.error, ...own.error],
  };
}

const compiled = new Map<string, RegExp>();
function regex(source: string): RegExp {
  let re = compiled.get(source);
  if (re === undefined) {
    re = new RegExp(source, "iu");
    compiled.set(source, re);
  }
  return re;
}

/** Lines of `lines` that a rule list names (each line tested alone). */
export function linesMatching(lines: readonly string[], sources: readonly string[]): number[] {
  const found: number[] = [];
  lines.forEach((line, i) => {
    if (sources.some((source) => regex(source).test(line))) found.push(i);
  });
  return found;
}

/** Rows that make a menu: a selected numbered item with another numbered item near it. */
function menuRows(lines: readonly string[]): number[] {
  const rows: number[] = [];
  lines.forEach((line, i) => {
    if (!SELECTED_ITEM_RE.test(line)) return;
    const number = /\d{1,2}/u.exec(line)?.[0];
    for (let j = Math.max(0, i - 8); j <= Math.min(lines.length - 1, i + 8); j += 1) {
      if (j === i) continue;
      const other = lines[j] as string;
      if (ITEM_RE.test(other) && /\d{1,2}/u.exec(other)?.[0] !== number) {
        rows.push(i);
        return;
      }
    }
  });
  return rows;
}

export type ScreenView = { kind: "input"; draft: string; marked: boolean } | { kind: "dialog"; shows: string[] };

/**
 * What typing into this screen would do: reach an input line (with or without someone's
 * draft on it), or answer a dialog. A dialog is a menu (a selection marker on a numbered
 * list), a line the rules name ("Press enter to continue", "Do you trust …"), or a
 * selection marker while the cursor is on no input line — unless the cursor sits on a
 * marked input line below all of those, where they are only the conversation's history.
 */
export function viewScreen(rows: readonly Row[], cursorY: number, rules: ScreenRules): ScreenView {
  const lines = rows.map((row) => rowText(row).replace(/\u00a0/g, " "));
  const input = inputRowOf(rows[cursorY] ?? []);
  const signs = new Set([...menuRows(lines), ...linesMatching(lines, rules.dialog)]);
  if (!input.marked) lines.forEach((line, i) => SELECTED_RE.test(line) && signs.add(i));
  const onInputBelow = input.marked && !input.menuItem && [...signs].every((row) => row < cursorY);
  if (signs.size > 0 && !onInputBelow) {
    // Its title (the first line with words), then the lines that make it a dialog.
    const title = lines.findIndex((line) => /\p{L}{2}/u.test(line));
    const shown = [...new Set([title, ...[...signs].sort((a, b) => a - b)])]
      .filter((row) => row >= 0)
      .map((row) => (lines[row] as string).trim());
    return { kind: "dialog", shows: shown };
  }
  return { kind: "input", draft: input.draft, marked: input.marked };
}

/** A bounded, escaped one-line summary of what a dialog shows, for messages. */
export function summarise(lines: readonly string[], maxChars = 240): string {
  const joined = lines
    .join(" / ")
    // eslint-disable-next-line no-control-regex -- escaping control bytes is the point
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return joined.length > maxChars ? `${joined.slice(0, maxChars - 1)}…` : joined;
}
