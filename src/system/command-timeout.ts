// Its own file, not run.ts: the CLI's entry point (cli/main.ts) needs this class to
// recognise a timeout, and importing run.ts would load node:child_process (~3 ms) at
// the start of every command, `fleet validate` and `--help` included, which spawn nothing.

/**
 * A program that did not answer in time. Thrown (by callers that would otherwise read a
 * failed call as "not there") so that a stopped or overloaded server is never reported
 * as missing: the CLI turns it into its own message and exit code (docs/commands.md).
 */
export class CommandTimeout extends Error {
  constructor(
    readonly program: string,
    readonly timeoutMs: number,
    what: string,
  ) {
    super(`${what} did not answer within ${timeoutMs} ms (stopped or overloaded?); it may still exist`);
    this.name = "CommandTimeout";
  }
}
