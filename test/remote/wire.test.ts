import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildFleetStatus } from "../../src/diff/status.js";
import { decodeObservation, encodeObservation, MAX_OBSERVATION_BYTES } from "../../src/observe/wire.js";
import { agentSpec, chain, NOW_MS, present, world } from "../diff/facts.js";

// The FleetObservation document (docs/json.md): a remote host's facts, encoded there and
// decoded here. Pure parsing, so checked without hosts: the round trip is lossless for
// everything the diff reads, and any other answer is refused with a reason, never thrown.

const specs = [
  agentSpec({ name: "canary" }),
  agentSpec({ name: "worker", runtime: "codex" }),
  agentSpec({ name: "quiet", heartbeat: { expected: false, intervalS: 15 } }),
];

function sample() {
  return world(specs, {
    worker: { tree: chain(["node", "/usr/bin/claude"]), heartbeat: present({ pid: 4242, ack: "m1", seq: 3 }) },
  });
}

describe("FleetObservation document", () => {
  it("decodes what it encodes, and the status judged from either is the same", () => {
    const { fleet, observation } = sample();
    const decoded = decodeObservation(encodeObservation(observation, "test"));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const local = buildFleetStatus(fleet, observation, { nowMs: NOW_MS });
    const remote = buildFleetStatus(fleet, decoded.observation, { nowMs: NOW_MS });
    expect(remote).toEqual(local);
    // The Drift a remote answer shows is judged here, from the facts.
    const drift = remote.agents[1]?.conditions.find((c) => c.type === "Drift");
    expect(drift?.status).toBe("True");
  });

  it("carries what the diff reads lazily or optionally: executables read there, zombies, process groups", () => {
    const { fleet, observation } = sample();
    // A runtime known only by its executable (argv names nothing), as /proc/PID/exe says there.
    const tree = chain(["./a.out", "--serve"]);
    const paneTree = [...observation.trees.values()].find((t) => t !== null);
    const pid = [...observation.trees.entries()].find(([, t]) => t === paneTree)?.[0] ?? 0;
    Object.defineProperty(tree, "exeOf", { value: () => "/opt/codex/bin/codex", enumerable: false });
    tree.foregroundGroup = tree.root.pid;
    tree.root.pgid = tree.root.pid;
    tree.root.sid = tree.root.pid;
    observation.trees.set(pid, tree);
    observation.zombies = new Set([777]);
    const decoded = decodeObservation(encodeObservation(observation, "test"));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.observation.zombies).toEqual(new Set([777]));
    expect(decoded.observation.trees.get(pid)?.exeOf?.(tree.root.pid)).toBe("/opt/codex/bin/codex");
    expect(buildFleetStatus(fleet, decoded.observation, { nowMs: NOW_MS })).toEqual(
      buildFleetStatus(fleet, observation, { nowMs: NOW_MS }),
    );
  });

  it("carries the tenant-wide facts (linger): a remote unit enabled without linger is BootDisabled here too", () => {
    for (const linger of [false, true, null] as const) {
      const { fleet, observation } = sample();
      for (const tenant of observation.tenants.values()) tenant.linger = linger;
      const decoded = decodeObservation(encodeObservation(observation, "test"));
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) return;
      expect([...decoded.observation.tenants.values()].map((t) => t.linger)).toEqual(
        [...observation.tenants.values()].map(() => linger),
      );
      const remote = buildFleetStatus(fleet, decoded.observation, { nowMs: NOW_MS });
      expect(remote).toEqual(buildFleetStatus(fleet, observation, { nowMs: NOW_MS }));
      const boot = remote.agents[0]?.conditions.find((c) => c.type === "BootDisabled");
      expect(boot?.reason, String(linger)).toBe(linger === false ? "LingerDisabled" : "UnitEnabled");
    }
  });

  it("names another version as RemoteVersionMismatch", () => {
    const doc = JSON.parse(encodeObservation(sample().observation, "test")) as Record<string, unknown>;
    for (const change of [{ apiVersion: "mosaic.fleet/v2" }, { kind: "FleetStatus" }, { apiVersion: 7 }]) {
      const result = decodeObservation(JSON.stringify({ ...doc, ...change }));
      expect(result).toMatchObject({ ok: false, reason: "RemoteVersionMismatch" });
    }
  });

  it("refuses garbage, a document over the cap, and unknown or out-of-bounds fields as RemoteAnswerInvalid", () => {
    const doc = JSON.parse(encodeObservation(sample().observation, "test")) as Record<string, unknown>;
    const cases = [
      "",
      "not json \u001b]52;c;aGVsbG8=\u0007",
      "null",
      JSON.stringify({ ...doc, extra: 1 }),
      JSON.stringify({ ...doc, trees: [[-5, null]] }),
      JSON.stringify({ ...doc, host: "x".repeat(5000) }),
      "x".repeat(MAX_OBSERVATION_BYTES + 1),
    ];
    for (const answer of cases) {
      const result = decodeObservation(answer);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(/^Remote(AnswerInvalid|VersionMismatch)$/);
    }
  });

  it("a heartbeat field named __proto__ stays a plain field", () => {
    const { observation } = sample();
    const doc = JSON.parse(encodeObservation(observation, "test")) as {
      tenants: { heartbeats: [string, { state: string; record?: { fields: [string, string][] } }][] }[];
    };
    const hb = doc.tenants[0]?.heartbeats[0]?.[1];
    hb?.record?.fields.push(["__proto__", "polluted"]);
    const result = decodeObservation(JSON.stringify(doc));
    expect(result.ok).toBe(true);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });
});

describe("FleetObservation decoder (property)", () => {
  it("never throws on any JSON value, and accepts only the one kind", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = decodeObservation(JSON.stringify(value));
        expect(result.ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws when any field of a valid document is replaced by any value", () => {
    const doc = JSON.parse(encodeObservation(sample().observation, "test")) as unknown;
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]) => {
      paths.push(path);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(doc, []);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: paths.length - 1 }), fc.jsonValue(), (index, value) => {
        const copy = structuredClone(doc) as Record<string | number, unknown>;
        const path = paths[index] ?? [];
        let target = copy;
        for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
        target[path[path.length - 1] as string | number] = value;
        const result = decodeObservation(JSON.stringify(copy));
        if (!result.ok) expect(result.reason).toMatch(/^Remote(AnswerInvalid|VersionMismatch)$/);
      }),
      { numRuns: 2000 },
    );
  });
});
