import { safeText } from "../terminal-text.js";

// Roster problems are collected, never thrown one at a time: an operator fixing a
// roster wants every mistake in one run, each at FILE:LINE:COL.

type ProblemCode =
  | "FileUnreadable"
  | "FileTooLarge"
  | "LimitExceeded"
  | "YamlSyntax"
  | "DuplicateKey"
  | "NotSingleDocument"
  | "Schema"
  | "UnknownKey"
  | "DuplicateAgent"
  | "UnknownRuntime";

export interface RosterProblem {
  code: ProblemCode;
  file: string;
  /** 1-based; 0 when the problem is about the file as a whole. */
  line: number;
  col: number;
  message: string;
}

/** `FILE:LINE:COL: message`, or `FILE: message` for whole-file problems; always one printable line. */
export function formatProblem(problem: RosterProblem): string {
  const file = safeText(problem.file);
  return problem.line > 0
    ? `${file}:${problem.line}:${problem.col}: ${problem.message}`
    : `${file}: ${problem.message}`;
}

/** A problem message made safe to print: one line, no control characters. */
export function printableMessage(message: string): string {
  return safeText(message);
}
