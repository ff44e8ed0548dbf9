// Roster problems are collected, never thrown one at a time: an operator fixing a
// roster wants every mistake in one run, each at FILE:LINE:COL.

export type ProblemCode =
  | "FileUnreadable"
  | "FileTooLarge"
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

/** `FILE:LINE:COL: message`, or `FILE: message` for whole-file problems. */
export function formatProblem(problem: RosterProblem): string {
  return problem.line > 0
    ? `${problem.file}:${problem.line}:${problem.col}: ${problem.message}`
    : `${problem.file}: ${problem.message}`;
}
