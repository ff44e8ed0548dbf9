// Exit codes (docs/commands.md, Exit codes), named once.
export const EXIT_OK = 0;
/** Differences or conditions found; a send not accepted. */
export const EXIT_FINDINGS = 1;
/** Usage error, invalid roster, unknown agent, not a terminal. */
export const EXIT_USAGE = 2;
/** Pane dead or missing. */
export const EXIT_PANE_GONE = 3;
/** A tmux server or user manager did not answer in time: not known to be missing. */
export const EXIT_TIMEOUT = 4;
/** The agent's host could not be used over ssh (unreachable, timed out, refused us, no or an old mosaic there). */
export const EXIT_HOST_UNREACHABLE = 5;
/** Output was lost: writing to stdout or stderr failed (a full disk, not a reader that left); sysexits' EX_IOERR. */
export const EXIT_OUTPUT_FAILED = 74;

/** A user error: one sentence on stderr and an exit code, never a stack trace. */
export class UserError extends Error {
  /** `bare`: print the message as is (e.g. FILE:LINE:COL: …), without the `mosaic:` prefix. */
  constructor(
    message: string,
    readonly exitCode: number = EXIT_USAGE,
    readonly bare = false,
  ) {
    super(message);
    this.name = "UserError";
  }
}
