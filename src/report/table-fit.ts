import { cellWidth, textWidth, truncateCell, type Cell, type Span } from "./cells.js";

// Fitting a table to a terminal's width (docs/commands.md, `fleet ps` on a TTY). Each
// step runs only while the table is still too wide, so a wide terminal shows the full
// table: hoist columns that hold one value on every row into a context line, narrow the
// gaps, shorten values, drop the least useful columns, cut a long name to a width that
// still tells agents apart, then cut the essential columns (conditions, heartbeat, and
// the agent's name last) with `…`.

/** A column as the fitter sees it. */
export interface FitColumn {
  name: string;
  cells: Cell[];
  /** A value on every row that can move to the context line above the table. */
  hoistable?: boolean;
  /** Shorter cells with the same meaning (`active/dis`), used once the table is too wide. */
  short?: Cell[];
  /** When to drop the column (lower first, in one order with `softRank`); undefined: never dropped. */
  dropRank?: number;
  /** Lower is cut first (down to its header) once nothing is left to drop; undefined: never cut. */
  shrinkRank?: number;
  /** When to cut the column to `softWidth`, a width that still reads well (in one order with `dropRank`). */
  softRank?: number;
  softWidth?: number;
  /** How a row's cell reads in `width` cells; truncation with `…` when absent. */
  shrink?: (row: number, width: number) => Cell;
}

/** The fitted table: the columns kept, their widths, the gap, and the hoisted values. */
export interface FittedTable {
  context: Span[];
  columns: { name: string; cells: Cell[]; width: number }[];
  gap: number;
}

function naturalWidth(name: string, cells: readonly Cell[]): number {
  return Math.max(textWidth(name), ...cells.map(cellWidth));
}

/** Lay the columns out at their natural widths, then fit them to `width` if one is given. */
export function fitTable(input: readonly FitColumn[], gap: number, width?: number): FittedTable {
  let columns = input.map((c) => ({ ...c, width: naturalWidth(c.name, c.cells) }));
  let currentGap = gap;
  const context: Span[] = [];
  const total = () => columns.reduce((sum, c) => sum + c.width, 0) + currentGap * Math.max(0, columns.length - 1);
  const result = (): FittedTable => ({
    context,
    columns: columns.map(({ name, cells, width: w }) => ({ name, cells, width: w })),
    gap: currentGap,
  });
  if (width === undefined || total() <= width) return result();

  // 1. One value on every row says nothing per row: show it once above the table.
  if (columns.some((c) => c.cells.length > 0)) {
    const hoisted = columns.filter(
      (c) => c.hoistable && new Set(c.cells.map((cell) => JSON.stringify(cell))).size === 1,
    );
    for (const column of hoisted) {
      if (context.length > 0) context.push({ text: "   " });
      context.push({ text: `${column.name}: `, style: "dim" }, ...(column.cells[0] ?? []));
    }
    columns = columns.filter((c) => !hoisted.includes(c));
  }
  // 2. Narrower gaps, 3. shorter values.
  if (total() > width) currentGap = Math.min(currentGap, 2);
  if (total() > width) {
    columns = columns.map((c) =>
      c.short === undefined ? c : { ...c, cells: c.short, width: naturalWidth(c.name, c.short) },
    );
  }
  // 4. Drop the least useful columns and cut a column to a width that still reads well
  //    (a long name, before the columns that say where and how an agent runs), one step
  //    at a time in `rank` order; 5. then, on a very narrow terminal, cut the essential
  //    columns down to their headers, the name last.
  const cut = (name: string, floor: number) => {
    const column = columns.find((c) => c.name === name);
    const excess = total() - width;
    if (column === undefined || excess <= 0) return;
    const target = Math.max(textWidth(column.name), floor, column.width - excess);
    if (target >= column.width) return;
    const cells = column.cells.map((cell, row) => column.shrink?.(row, target) ?? truncateCell(cell, target));
    columns = columns.map((c) => (c === column ? { ...c, cells, width: naturalWidth(c.name, cells) } : c));
  };
  type Step = { rank: number; name: string; floor: number | null };
  const steps: Step[] = [
    ...columns.filter((c) => c.dropRank !== undefined).map((c) => ({ rank: c.dropRank!, name: c.name, floor: null })),
    ...columns
      .filter((c) => c.softRank !== undefined)
      .map((c) => ({ rank: c.softRank!, name: c.name, floor: c.softWidth ?? 0 })),
  ].sort((a, b) => a.rank - b.rank);
  for (const step of steps) {
    if (total() <= width) break;
    if (step.floor === null) columns = columns.filter((c) => c.name !== step.name);
    else cut(step.name, step.floor);
  }
  const shrinkable = columns.filter((c) => c.shrinkRank !== undefined).sort((a, b) => a.shrinkRank! - b.shrinkRank!);
  for (const column of shrinkable) cut(column.name, 0);
  return result();
}
