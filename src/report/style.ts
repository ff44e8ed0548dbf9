import { styleText } from "node:util";

// Colour only on a terminal, never with NO_COLOR or --no-color.

export type Style = "red" | "green" | "yellow" | "magenta" | "dim" | "bold" | "cyan";
export type Paint = (style: Style, text: string) => string;

/** The colour of an Unknown condition: its own, neither a problem's red nor a warning's yellow. */
export const UNKNOWN_STYLE: Style = "magenta";

/** A painter that colours or passes text through unchanged. */
export function painter(enabled: boolean): Paint {
  return enabled ? (style, text) => styleText(style, text) : (_style, text) => text;
}

/** Whether to colour: a TTY, no NO_COLOR, no --no-color. */
export function colorEnabled(isTTY: boolean, env: NodeJS.ProcessEnv, flag: boolean | undefined): boolean {
  return isTTY && flag !== false && !env["NO_COLOR"] && env["TERM"] !== "dumb";
}

export { safeText } from "../terminal-text.js";
