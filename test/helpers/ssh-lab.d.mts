// Types of ssh-lab.mjs (plain JavaScript so that bench/ can import it too).

export interface SshTestHost {
  /** The ssh_config alias (and the hostname inside its namespace). */
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly home: string;
  /** The sshd's pid, from its pid file (null once gone). */
  pid(): number | null;
  signal(signal: NodeJS.Signals): void;
  kill(): Promise<void>;
  /** The TCP connections sshd accepted so far (its log's "Accepted publickey" lines). */
  acceptedConnections(): number;
  /** The host's process list: every process in its UTS namespace but the listening sshd, with argv. */
  processes(): { pid: number; argv: string[] }[];
}

export interface SshLab {
  readonly dir: string;
  /** The ssh_config file: pass it as MOSAIC_SSH_CONFIG. */
  readonly sshConfig: string;
  /** A host; `env` (TMUX_TMPDIR at least) is set for every login there, over the lab's defaults. */
  addHost(name: string, address: string, env: { TMUX_TMPDIR: string } & Record<string, string>): Promise<SshTestHost>;
  /** A second alias of `host` whose known_hosts entry holds another key: host key verification fails. */
  addWrongKeyAlias(alias: string, host: SshTestHost): void;
  /** An alias whose address nothing listens on: connection refused. */
  addDeadAlias(alias: string, address: string): void;
  /** A second alias of `host` that offers a key the host does not authorize: permission denied. */
  addUnauthorizedAlias(alias: string, host: SshTestHost): void;
  cleanup(): Promise<void>;
}

/** Whether this machine can run the lab: sshd, ssh, unshare and root (null), else why not. */
export function sshLabMissing(): string | null;
/** A lab directory with a user key, an ssh_config and a known_hosts; hosts are added to it. */
export function startSshLab(): SshLab;
