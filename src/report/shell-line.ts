// Shell quoting for what mosaic shows an operator to paste (fix-plan steps, the demo's hints).

/** An argv as one line a human can paste into a POSIX shell (no needless escapes of `@`). */
export function shellLine(argv: readonly string[]): string {
  return argv
    .map((arg) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`))
    .join(" ");
}
