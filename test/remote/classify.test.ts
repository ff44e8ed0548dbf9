import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classify, remoteRoster, sshArgv, type SshHost } from "../../src/observe/remote.js";
import { decodeObservation } from "../../src/observe/wire.js";
import { parseRoster } from "../../src/spec/load.js";
import type { CommandResult } from "../../src/system/run.js";

// How one ssh run becomes a host's observation or its failure reason (docs/conditions.md,
// Visibility): pure, so checked on synthetic results; the real ssh cases are in
// fleet-hosts.test.ts.

const HOST: SshHost = { name: "dragon-lin", via: "ssh", destination: "jwoltje@dragon-lin", mosaic: "mosaic" };

function result(overrides: Partial<CommandResult>): CommandResult {
  return {
    ok: false,
    exitCode: 255,
    stdout: "",
    stderr: "",
    timedOut: false,
    overflowed: false,
    notFound: false,
    message: "",
    program: "ssh",
    timeoutMs: 5000,
    ...overrides,
  };
}

describe("classify an ssh run", () => {
  const cases: Array<[Partial<CommandResult>, string]> = [
    [{ stderr: "ssh: connect to host 10.0.0.9 port 22: Connection refused\r\n" }, "HostUnreachable"],
    [{ stderr: "ssh: Could not resolve hostname nowhere: Name or service not known\r\n" }, "HostUnreachable"],
    [{ stderr: "ssh: connect to host 10.0.0.9 port 22: No route to host\r\n" }, "HostUnreachable"],
    [{ stderr: "Connection timed out during banner exchange\r\n" }, "HostTimeout"],
    [{ timedOut: true, exitCode: null }, "HostTimeout"],
    [{ stderr: "jwoltje@dragon-lin: Permission denied (publickey).\r\n" }, "HostAuthFailed"],
    [{ stderr: "Host key verification failed.\r\n" }, "HostAuthFailed"],
    [{ exitCode: 127, stderr: "sh: 1: mosaic: not found\n" }, "RemoteMosaicMissing"],
    [{ exitCode: 127, stderr: "bash: line 1: mosaic: command not found\n" }, "RemoteMosaicMissing"],
    [{ exitCode: 2, stderr: "mosaic: unknown command 'observe'\n" }, "RemoteVersionMismatch"],
    [{ exitCode: 0, stdout: '{"apiVersion":"mosaic.fleet/v2","kind":"FleetObservation"}' }, "RemoteVersionMismatch"],
    [{ exitCode: 0, stdout: "\u001b[2Jhello" }, "RemoteAnswerInvalid"],
    [{ exitCode: null, overflowed: true }, "RemoteAnswerInvalid"],
    [{ exitCode: 1, stderr: "Error: boom" }, "RemoteAnswerInvalid"],
    [{ notFound: true, exitCode: null }, "HostUnreachable"],
  ];
  for (const [overrides, reason] of cases) {
    it(`${JSON.stringify(overrides).slice(0, 90)} → ${reason}`, () => {
      const classified = classify(HOST, result(overrides), decodeObservation);
      expect(classified).toMatchObject({ ok: false, reason });
      if (!classified.ok) expect(classified.message).toMatch(/^ssh jwoltje@dragon-lin: |^ssh is not installed/);
    });
  }

  it("never throws, and a failure message holds no control character, whatever ssh prints (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 400 }),
        fc.string({ maxLength: 400 }),
        fc.option(fc.integer({ min: 0, max: 255 })),
        fc.boolean(),
        (stdout, stderr, exitCode, timedOut) => {
          const classified = classify(HOST, result({ stdout, stderr, exitCode, timedOut }), decodeObservation);
          // eslint-disable-next-line no-control-regex
          if (!classified.ok) expect(classified.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe("what is sent to a host", () => {
  it("ssh argv: fixed options, the destination after --, never StrictHostKeyChecking=no", () => {
    const argv = sshArgv({ ...HOST, mosaic: "node /srv/mosaic/bin/mosaic" }, { MOSAIC_SSH_CONFIG: "/etc/x" }, 5000);
    expect(argv).toEqual([
      "ssh",
      "-o",
      "BatchMode=yes",
      "-o",
      "ConnectTimeout=5",
      "-o",
      "LogLevel=ERROR",
      "-F",
      "/etc/x",
      "--",
      "jwoltje@dragon-lin",
      "node",
      "/srv/mosaic/bin/mosaic",
      "fleet",
      "observe",
      "-o",
      "json",
      "-f",
      "-",
    ]);
    expect(argv.join(" ")).not.toMatch(/StrictHostKeyChecking/);
  });

  it("a host with many agents gets a roster the remote accepts (no line past the 4096-character limit)", () => {
    const lines = ["version: 1", "agents:"];
    for (let i = 0; i < 2000; i += 1) lines.push(`  - {name: agent-${i}, runtime: shell, host: dragon-lin}`);
    const source = parseRoster("r.yaml", lines.join("\n"), { user: "jarvis", hostname: "W-jarvis" });
    expect(source.ok).toBe(true);
    if (!source.ok) return;
    const sent = parseRoster("<stdin>", remoteRoster(source.fleet, source.fleet.agents), {
      user: "jarvis",
      hostname: "dragon-lin",
    });
    expect(sent.ok && sent.fleet.agents.map((a) => a.name)).toEqual(source.fleet.agents.map((a) => a.name));
  });

  it("the generated roster is a valid roster whose agents resolve as they did here, on the remote's own host", () => {
    const source = parseRoster(
      "r.yaml",
      [
        "version: 1",
        "runtimes: {sleeper: {match: [sleep]}}",
        "defaults: {tenant: jwoltje, socket: coder, heartbeat: {interval: 1.5s}}",
        "agents:",
        "  - {name: coder0-0, runtime: sleeper, host: dragon-lin, unit: 'x@{name}.service'}",
        "  - {name: quiet, runtime: shell, host: dragon-lin, heartbeat: false, lifecycle: ephemeral, boot: any}",
      ].join("\n"),
      { user: "jarvis", hostname: "W-jarvis" },
    );
    expect(source.ok).toBe(true);
    if (!source.ok) return;
    const sent = parseRoster("<stdin>", remoteRoster(source.fleet, source.fleet.agents), {
      user: "jwoltje",
      hostname: "dragon-lin-real",
    });
    expect(sent.ok).toBe(true);
    if (!sent.ok) return;
    // What the remote observes by (a heartbeat-less agent's interval is never read).
    const observed = ({ line: _l, heartbeat, ...a }: (typeof source.fleet.agents)[number]) => ({
      ...a,
      heartbeat: heartbeat.expected ? heartbeat : { expected: false },
    });
    expect(sent.fleet.agents.map(observed)).toEqual(
      source.fleet.agents.map((a) => ({ ...observed(a), host: "dragon-lin-real" })),
    );
  });
});
