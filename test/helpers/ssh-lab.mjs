// Other hosts on this machine, for the tests and benchmarks of README.md "Many hosts over ssh": each "host"
// is a real sshd of its own in a UTS namespace (its own hostname), listening on its own
// loopback address (127.0.0.2, 127.0.0.3 …) and a port picked per run, with its own
// TMUX_TMPDIR, MOSAIC_HOME, XDG_RUNTIME_DIR and cache set by sshd_config SetEnv (and
// HOME, so a login reads no dotfiles of this machine's). Keys are generated per run; the
// client side is one ssh_config (MOSAIC_SSH_CONFIG) with StrictHostKeyChecking yes and a
// known_hosts of our own. kill() ends only the sshd this lab started (by its pid file)
// and removes the lab's directory. Plain JavaScript, shared by the tests
// (test/helpers/sshd.ts) and the benchmarks (bench/hosts.mjs); types in ssh-lab.d.mts.

import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { argvOf, pidAlive, startReaper, waitFor } from "./proc.mjs";

/** Whether this machine can run the lab: sshd, ssh, unshare and root. */
export function sshLabMissing() {
  if (!existsSync("/usr/sbin/sshd")) return "no /usr/sbin/sshd (apt-get install openssh-server)";
  for (const tool of ["ssh", "ssh-keygen", "unshare"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `no ${tool}`;
  }
  if (process.getuid?.() !== 0) return "unshare --uts needs root";
  return null;
}

function keygen(file) {
  const made = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", file]);
  if (made.status !== 0) throw new Error(`ssh-keygen failed: ${String(made.stderr)}`);
  return readFileSync(`${file}.pub`, "utf8").trim();
}

function portOpen(address, port) {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A lab directory with a user key, an ssh_config and a known_hosts; hosts are added to it. */
export function startSshLab() {
  const dir = mkdtempSync(join(tmpdir(), "mf-ssh-"));
  const userKey = join(dir, "userkey");
  const userPub = keygen(userKey);
  writeFileSync(join(dir, "authorized_keys"), `${userPub}\n`);
  const sshConfig = join(dir, "ssh_config");
  const knownHosts = join(dir, "known_hosts");
  writeFileSync(sshConfig, "");
  writeFileSync(knownHosts, "");
  mkdirSync("/run/sshd", { recursive: true });
  const hosts = [];
  // If this worker dies before cleanup(), a detached watcher still ends our sshds (by
  // their pid files, only while they are sshd) and removes the lab.
  const script = join(dir, ".cleanup.sh");
  writeFileSync(
    script,
    `for f in ${dir}/*/sshd.pid; do [ -f "$f" ] || continue; p=$(cat "$f"); ` +
      `case "$(cat /proc/$p/comm 2>/dev/null)" in sshd) kill -CONT "$p"; kill "$p";; esac; done\n`,
    { mode: 0o700 },
  );
  const reaper = startReaper({ script, root: dir });
  const clientBlock = (alias, address, port, extra = "", key = userKey) =>
    `Host ${alias}\n  HostName ${address}\n  Port ${port}\n  User root\n  IdentityFile ${key}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${knownHosts}\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  UpdateHostKeys no\n${extra}\n`;

  return {
    dir,
    sshConfig,
    async addHost(name, address, env) {
      const hostDir = join(dir, name);
      const home = env.MOSAIC_HOME ?? join(hostDir, "home");
      for (const sub of ["home/fleet/run", "xdg", "cache", "login"])
        mkdirSync(join(hostDir, sub), { recursive: true, mode: 0o700 });
      const hostKey = join(hostDir, "hostkey");
      const hostPub = keygen(hostKey);
      const pidFile = join(hostDir, "sshd.pid");
      let port = 0;
      for (let attempt = 0; attempt < 20 && port === 0; attempt++) {
        const candidate = 20_000 + Math.floor(Math.random() * 20_000);
        if (!(await portOpen(address, candidate))) port = candidate;
      }
      const config = join(hostDir, "sshd_config");
      const logFile = join(hostDir, "sshd.log");
      writeFileSync(
        config,
        [
          `ListenAddress ${address}:${port}`,
          `HostKey ${hostKey}`,
          `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          "UsePAM no",
          "StrictModes no",
          "PermitRootLogin prohibit-password",
          `PidFile ${pidFile}`,
          "LogLevel INFO",
          // PYENV_REHASH_TIMEOUT: root's ~/.bashrc on some dev machines runs `pyenv init`,
          // whose rehash waits 60 s on a stale lock; a login here must not inherit that.
          // HOME: a login here reads the lab's (empty) dotfiles, not this machine's root's.
          `SetEnv ${Object.entries({
            HOME: join(hostDir, "login"),
            MOSAIC_HOME: home,
            XDG_RUNTIME_DIR: join(hostDir, "xdg"),
            XDG_CACHE_HOME: join(hostDir, "cache"),
            PYENV_REHASH_TIMEOUT: "0",
            ...env,
          })
            .map(([key, value]) => `${key}=${value}`)
            .join(" ")}`,
          "",
        ].join("\n"),
      );
      const started = spawnSync("unshare", [
        "--uts",
        "sh",
        "-c",
        'hostname "$1" && exec /usr/sbin/sshd -f "$2" -E "$3"',
        "sh",
        name,
        config,
        logFile,
      ]);
      if (started.status !== 0) throw new Error(`sshd for ${name} did not start: ${String(started.stderr)}`);
      const readPid = () => {
        try {
          const pid = Number(readFileSync(pidFile, "utf8").trim());
          return Number.isInteger(pid) && pid > 0 && pidAlive(pid) ? pid : null;
        } catch {
          return null;
        }
      };
      if (!(await waitFor(async () => readPid() !== null && (await portOpen(address, port)), 10_000)))
        throw new Error(`sshd for ${name} is not listening on ${address}:${port}`);
      writeFileSync(knownHosts, `${readFileSync(knownHosts, "utf8")}[${address}]:${port} ${hostPub}\n`);
      writeFileSync(sshConfig, readFileSync(sshConfig, "utf8") + clientBlock(name, address, port));
      let pid = readPid();
      const nsOf = (p) => {
        try {
          return readlinkSync(`/proc/${p}/ns/uts`);
        } catch {
          return null;
        }
      };
      const host = {
        name,
        address,
        port,
        home,
        pid: () => (pid !== null && pidAlive(pid) ? pid : null),
        signal(signal) {
          if (pid !== null && pidAlive(pid)) process.kill(pid, signal);
        },
        acceptedConnections() {
          const text = existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
          return text.split("\n").filter((line) => line.includes("Accepted publickey")).length;
        },
        processes() {
          const listener = pid;
          const ns = listener === null ? null : nsOf(listener);
          if (ns === null) return [];
          return readdirSync("/proc")
            .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== listener)
            .map(Number)
            .filter((p) => pidAlive(p) && nsOf(p) === ns)
            .map((p) => ({ pid: p, argv: argvOf(p) }));
        },
        async kill() {
          if (pid === null) return;
          const target = pid;
          if (pidAlive(target)) {
            try {
              process.kill(target, "SIGCONT");
              process.kill(target, "SIGTERM");
            } catch {
              // Already gone.
            }
          }
          await waitFor(() => !pidAlive(target), 5_000);
          pid = null;
        },
      };
      hosts.push(host);
      return host;
    },
    addWrongKeyAlias(alias, host) {
      const otherPub = keygen(join(dir, `${alias}-otherkey`));
      writeFileSync(knownHosts, `${readFileSync(knownHosts, "utf8")}${alias}-key ${otherPub}\n`);
      writeFileSync(
        sshConfig,
        readFileSync(sshConfig, "utf8") + clientBlock(alias, host.address, host.port, `  HostKeyAlias ${alias}-key\n`),
      );
    },
    addDeadAlias(alias, address) {
      // A port in the lab's range that nothing of ours listens on (checked at connect time by ssh).
      writeFileSync(sshConfig, readFileSync(sshConfig, "utf8") + clientBlock(alias, address, 19_999));
    },
    addUnauthorizedAlias(alias, host) {
      const strangerKey = join(dir, `${alias}-userkey`);
      keygen(strangerKey);
      writeFileSync(
        sshConfig,
        readFileSync(sshConfig, "utf8") + clientBlock(alias, host.address, host.port, "", strangerKey),
      );
    },
    async cleanup() {
      for (const host of hosts) await host.kill();
      reaper.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
