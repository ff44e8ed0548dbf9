// The roster's name rules as plain regular expressions, apart from the zod schema, so
// code that only checks a name (the stub, the CLI) does not load the schema library.

/** Agent names are tmux targets and path components: no `.`, `:`, `/`, globs, shell. */
export const AGENT_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;
/** Linux user names (useradd's default rule). */
export const TENANT_RE = /^[a-z_][a-z0-9_-]{0,31}$/;
/** tmux -L socket names: a single safe path component. */
export const SOCKET_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
export const HOST_RE = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,252}[A-Za-z0-9])?$/;
/** A unit name template; `{name}` is replaced by the agent name. */
export const UNIT_RE = /^[A-Za-z0-9:_.\\@{}-]+\.(service|scope)$/;
export const RUNTIME_NAME_RE = /^[a-z][a-z0-9_-]{0,31}$/;
/** An ssh destination `[user@]address`: a user name, then a host name or an IP address; never an option. */
export const SSH_DESTINATION_RE =
  /^([a-z_][a-z0-9_.-]{0,31}@)?([A-Za-z0-9]([A-Za-z0-9_.-]{0,252}[A-Za-z0-9])?|[0-9A-Fa-f]*:[0-9A-Fa-f:.]+)$/;
/**
 * The remote mosaic command: a program whose file is named `mosaic`, optionally after its
 * interpreter (`mosaic`, `/opt/mosaic/bin/mosaic`, `/usr/bin/node /srv/mosaic/bin/mosaic`).
 * The remote login shell reads it, so nothing it could interpret (quotes, `$`, `;`, `=`,
 * globs) is allowed, no word is an option, and a roster (even a proposed one given to
 * `fleet diff`) cannot make ssh run any other program there.
 */
export const REMOTE_COMMAND_RE = /^([A-Za-z0-9_./+][A-Za-z0-9_./+-]{0,255} )?(?!-)([A-Za-z0-9_.+/-]{0,255}\/)?mosaic$/;
