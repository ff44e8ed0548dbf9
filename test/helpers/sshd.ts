// The ssh lab (real sshd "hosts" in UTS namespaces) lives in ssh-lab.mjs, plain
// JavaScript shared with bench/hosts.mjs; this is its name for the tests.
export { sshLabMissing, startSshLab } from "./ssh-lab.mjs";
export type { SshLab, SshTestHost } from "./ssh-lab.mjs";
