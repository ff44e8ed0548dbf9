import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sshCommand, type SshHost } from "../../src/observe/remote.js";
import { decodeRequest, encodeRequest, type AgentRequest } from "../../src/cli/remote-request.js";

// The request an agent command sends to another host's mosaic (src/cli/remote-request.ts):
// ssh joins the remote words into one string for the login shell there, so every word
// after the destination must be inert to any shell whatever the message, names and
// options hold; and the far side must read back exactly what was sent.

const HOST: SshHost = {
  name: "dragon",
  via: "ssh",
  destination: "jw@dragon-lin",
  mosaic: "/usr/bin/node /srv/m/mosaic",
};
/** Characters no POSIX shell gives a meaning to inside a word. */
const INERT = /^[A-Za-z0-9_./=+-]+$/;

const request = fc.record({
  v: fc.constant(1 as const),
  verb: fc.constantFrom("send", "logs", "watch", "attach"),
  name: fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/),
  roster: fc.string({ unit: "binary", maxLength: 300 }),
  message: fc.option(fc.string({ unit: "binary", maxLength: 400 }), { nil: undefined }),
  verify: fc.option(fc.boolean(), { nil: undefined }),
  timeout: fc.option(fc.constantFrom("10s", "500ms"), { nil: undefined }),
  lines: fc.option(fc.constantFrom("1", "100"), { nil: undefined }),
  follow: fc.option(fc.boolean(), { nil: undefined }),
}) as fc.Arbitrary<AgentRequest>;

/** Drop the keys fast-check left undefined (JSON does too). */
const plain = (r: AgentRequest) => JSON.parse(JSON.stringify(r)) as AgentRequest;

describe("agent requests over ssh", () => {
  it("property: every word ssh hands the remote shell is inert, whatever the request holds", () => {
    fc.assert(
      fc.property(request, fc.boolean(), (r, tty) => {
        const argv = sshCommand(HOST, {}, 5_000, { batch: !tty, tty }, ["agent", "over-ssh", encodeRequest(r)]);
        const remote = argv.slice(argv.indexOf("--") + 2);
        for (const word of remote) expect(word).toMatch(INERT);
        expect(remote.slice(0, 2)).toEqual(["/usr/bin/node", "/srv/m/mosaic"]);
        expect(argv).not.toContain("StrictHostKeyChecking=no");
        expect(argv.includes("BatchMode=yes")).toBe(!tty);
        expect(argv.includes("-t")).toBe(tty);
      }),
    );
  });

  it("property: the far side decodes exactly the request sent", () => {
    fc.assert(
      fc.property(request, (r) => {
        const word = encodeRequest(r).slice("--request=".length);
        expect(decodeRequest(word)).toEqual({ ok: true, request: plain(r) });
      }),
    );
  });

  it("a word that is not a request is refused with a sentence, never thrown", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (word) => {
        const decoded = decodeRequest(word);
        if (!decoded.ok) expect(decoded.message).toMatch(/^the request is not/);
      }),
    );
    const bad = (r: unknown) => decodeRequest(Buffer.from(JSON.stringify(r)).toString("base64url"));
    expect(bad({ v: 1, verb: "send", name: "a;b", roster: "" })).toMatchObject({ ok: false });
    expect(bad({ v: 1, verb: "run", name: "a", roster: "" })).toMatchObject({ ok: false });
    expect(bad({ v: 2, verb: "send", name: "a", roster: "" })).toMatchObject({ ok: false });
    expect(bad({ v: 1, verb: "send", name: "a", roster: "", extra: 1 })).toMatchObject({ ok: false });
    expect(decodeRequest("$(id)")).toEqual({ ok: false, message: "the request is not base64url" });
  });
});
