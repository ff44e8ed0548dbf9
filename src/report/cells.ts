import type stringWidthType from "string-width";
import type { Paint, Style } from "./style.js";

// A table cell as styled spans of plain text, so widths are measured and names cut in
// terminal cells (East Asian wide characters take two, combining marks none) before any
// colour is added: an escape sequence is never measured, never cut in half.

/** A run of text in one style. */
export interface Span {
  text: string;
  style?: Style;
}

/** One cell: spans shown side by side. */
export type Cell = readonly Span[];

/** What a cut cell ends with. */
export const ELLIPSIS = "…";

/** A cell of one unstyled text. */
export function textCell(text: string, style?: Style): Cell {
  return style === undefined ? [{ text }] : [{ text, style }];
}

/** The cell's text without styles. */
export function plainText(cell: Cell): string {
  return cell.map((span) => span.text).join("");
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

// string-width builds an Intl.Segmenter as it loads (ICU data, tens of milliseconds), so
// it is loaded at the first text that is not printable ASCII: a plain table never pays.
// (A literal require: the bundler includes the module and runs it only here.)
let stringWidth: typeof stringWidthType | undefined;

/** Width of a text in terminal cells. */
export function textWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the lazy literal require the comment above explains
  stringWidth ??= (require("string-width") as { default: typeof stringWidthType }).default;
  return stringWidth(text);
}

/** Width of a cell in terminal cells. */
export function cellWidth(cell: Cell): number {
  return textWidth(plainText(cell));
}

let segmenter: Intl.Segmenter | undefined;

function graphemes(text: string): readonly string[] {
  if (PRINTABLE_ASCII.test(text)) return text.split("");
  segmenter ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

/** The cell cut to at most `width` terminal cells, ending in `…` when anything was cut. */
export function truncateCell(cell: Cell, width: number): Cell {
  if (cellWidth(cell) <= width) return cell;
  if (width <= 0) return [];
  const budget = width - 1;
  const out: Span[] = [];
  let used = 0;
  for (const span of cell) {
    let text = "";
    for (const grapheme of graphemes(span.text)) {
      const w = textWidth(grapheme);
      if (used + w > budget) {
        out.push({ ...span, text: `${text}${ELLIPSIS}` });
        return out;
      }
      text += grapheme;
      used += w;
    }
    out.push({ ...span, text });
  }
  return out;
}

/** The cell in colour (or not, as `paint` decides). */
export function paintCell(cell: Cell, paint: Paint): string {
  return cell
    .map((span) => (span.style === undefined || span.text === "" ? span.text : paint(span.style, span.text)))
    .join("");
}
