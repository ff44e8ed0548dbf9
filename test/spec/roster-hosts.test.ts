import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRoster } from "../../src/spec/load.js";
import { REMOTE_COMMAND_RE, SSH_DESTINATION_RE } from "../../src/spec/names.js";

// The roster's `hosts:` (docs/roster.md, Hosts): how each host is reached, validated
// before anything is run, with positioned errors like every other roster field.

const FACTS = { user: "jarvis", hostname: "W-jarvis" };
const roster = (hosts: string) => `version: 1\nhosts:\n${hosts}\nagents:\n  - name: a\n    runtime: shell\n`;

describe("roster hosts:", () => {
  it("resolves ssh and local hosts, defaulting the remote command to mosaic", () => {
    const result = parseRoster(
      "r.yaml",
      roster(
        "  dragon-lin:\n    ssh: jwoltje@dragon-lin.lan\n  box:\n    ssh: 10.0.0.7\n    mosaic: node /srv/mosaic/bin/mosaic\n  alias:\n    local: true",
      ),
      FACTS,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.fleet.hosts).toEqual([
      { name: "dragon-lin", via: "ssh", destination: "jwoltje@dragon-lin.lan", mosaic: "mosaic" },
      { name: "box", via: "ssh", destination: "10.0.0.7", mosaic: "node /srv/mosaic/bin/mosaic" },
      { name: "alias", via: "local" },
    ]);
  });

  it("a roster without hosts: has none", () => {
    const result = parseRoster("r.yaml", "version: 1\nagents: []\n", FACTS);
    expect(result.ok && result.fleet.hosts).toEqual([]);
  });

  const bad: Array<[string, RegExp]> = [
    ["  h:\n    ssh: -oProxyCommand=touch", /^4:10: .*must be an ssh destination/],
    ["  h:\n    ssh: a b", /must be an ssh destination/],
    ["  h:\n    ssh: 'a;b'", /must be an ssh destination/],
    ["  h:\n    ssh: a\n    mosaic: 'mosaic; rm -rf ~'", /must be a program named mosaic/],
    ["  h:\n    ssh: a\n    mosaic: '$(id)'", /must be a program named mosaic/],
    ["  h:\n    ssh: a\n    mosaic: /bin/rm -rf /", /must be a program named mosaic/],
    ["  h:\n    ssh: a\n    mosaic: FOO=1 mosaic", /must be a program named mosaic/],
    ["  h:\n    ssh: a\n    mosaic: node -e/mosaic", /must be a program named mosaic/],
    ["  h:\n    ssh: a\n    mosiac: x", /did you mean "mosaic"/],
    ["  h: {}", /exactly one of ssh/],
    ["  h:\n    ssh: a\n    local: true", /exactly one of ssh/],
    ["  h:\n    local: false", /must be true/],
    ["  'bad host!':\n    local: true", /^3:3: hosts: "bad host!" must be a host name/],
  ];
  for (const [hosts, message] of bad) {
    it(`refuses ${JSON.stringify(hosts.trim())} with a positioned problem`, () => {
      const result = parseRoster("r.yaml", roster(hosts), FACTS);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      const text = result.problems.map((p) => `${p.line}:${p.col}: ${p.message}`).join("\n");
      expect(text).toMatch(message);
      expect(result.problems.every((p) => p.line >= 2)).toBe(true);
    });
  }
});

// Whatever passes these rules reaches the remote login shell as a word of ssh's command
// line: it must hold nothing a shell interprets, and never start like an option.
describe("remote command and destination rules (property)", () => {
  const SHELL_META = /[\s;&|<>()$`\\"'*?[\]{}~#!\n\r\t\0]/;
  it("an accepted ssh destination never starts with - and holds no shell or space character", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        if (!SSH_DESTINATION_RE.test(s)) return;
        expect(s.startsWith("-")).toBe(false);
        expect(SHELL_META.test(s)).toBe(false);
      }),
      { numRuns: 5000 },
    );
  });
  it("an accepted mosaic command runs a file named mosaic: no shell character, no option, no other program", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 12 }),
            fc.constantFrom("mosaic", "/usr/bin/node", "-x", "/opt/bin/mosaic", "a=b", "-e/mosaic"),
          ),
          { maxLength: 4 },
        ),
        (parts) => {
          const s = parts.join(" ");
          if (!REMOTE_COMMAND_RE.test(s)) return;
          const words = s.split(" ");
          expect(words.length).toBeLessThanOrEqual(2);
          expect(s.replace(/ /g, "")).not.toMatch(SHELL_META);
          expect(s).not.toMatch(/=/);
          expect(words.every((word) => word.length > 0 && !word.startsWith("-"))).toBe(true);
          expect(words[words.length - 1]?.split("/").pop()).toBe("mosaic");
        },
      ),
      { numRuns: 5000 },
    );
  });
});
