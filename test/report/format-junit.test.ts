import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { reportInput } from "../../src/report/formats.js";
import { render, xmlText } from "../../src/report/junit.js";
import {
  emptyStatus,
  expectGolden,
  findTool,
  fixtureStatus,
  hostileStatus,
  RAW_CONTROL,
  warnMissingTool,
} from "./format-fixture.js";
import { skipIfOutsideCi } from "../helpers/skip.js";

// libxml2's xmllint is a real, strict XML parser; its XPath answers the counts.
const xmllint = findTool("xmllint");
if (!xmllint) warnMissingTool("xmllint (libxml2)", "apt-get install -y libxml2-utils");

function xpath(xml: string, expression: string): string {
  const result = spawnSync(xmllint!, ["--nonet", "--xpath", expression, "-"], { input: xml, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`xmllint --xpath ${expression} failed (${result.status}): ${result.stderr}`);
  return result.stdout.trim();
}

describe("junit report", () => {
  it("matches the golden file", () => {
    expectGolden("report.junit.xml", render(reportInput(fixtureStatus())));
  });

  it("counts one test per agent × condition: True fails, Unknown errors", () => {
    const xml = render(reportInput(fixtureStatus()));
    // 7 agents × 8 conditions + 1 unmanaged session; canary-pi has 2 True, asks-operator
    // and stuck-worker 1 each, died-early 2, the unmanaged `scratch` session fails its own
    // case; worker-remote 8 Unknown, dogfood-coder 3, died-early 1.
    expect(xml).toContain(`<testsuite name="mosaic-factory" tests="57" failures="7" errors="12" skipped="0"`);
    expect(xml).toContain(`<testsuites name="mosaic fleet report mosaic-factory" tests="57" failures="7" errors="12"`);
  });

  it("escapes XML and removes characters XML forbids", () => {
    expect(xmlText(`a<b>&"'`)).toBe("a&lt;b&gt;&amp;&quot;&apos;");
    expect(xmlText("x\x1b]52;c;AA==\x07y")).toBe("x\\x1b]52;c;AA==\\x07y");
    expect(xmlText("bad \ud800 \uffff \ufffe ok \ud83d\ude00")).toBe("bad    ok \ud83d\ude00");
    const xml = render(reportInput(hostileStatus()));
    expect(xml).not.toMatch(RAW_CONTROL);
    expect(xml).not.toContain("<script>");
    // The drift failure, and the hostile fixture's unmanaged session.
    expect(xml.match(/<\/failure>/g)).toHaveLength(1 + hostileStatus().unmanaged.length);
  });

  it("gives a roster with no agents one erroring test, so CI never shows it green", () => {
    const xml = render(reportInput(emptyStatus()));
    expect(xml).toContain(`tests="1" failures="0" errors="1"`);
    expect(xml).toContain(`<property name="verdict" value="UNKNOWN"/>`);
    expect(xml).toContain(`<error message="UNKNOWN: the roster lists no agents`);
  });

  describe.skipIf(skipIfOutsideCi(!xmllint, "xmllint is not installed"))("parsed by xmllint", () => {
    it("is well-formed, with the counts in the attributes matching the test cases", () => {
      for (const status of [fixtureStatus(), hostileStatus(), emptyStatus()]) {
        const xml = render(reportInput(status));
        const suite = "/testsuites/testsuite";
        expect(xpath(xml, `count(${suite})`)).toBe("1");
        expect(xpath(xml, `count(${suite}/testcase)`)).toBe(xpath(xml, `string(${suite}/@tests)`));
        expect(xpath(xml, `count(${suite}/testcase/failure)`)).toBe(xpath(xml, `string(${suite}/@failures)`));
        expect(xpath(xml, `count(${suite}/testcase/error)`)).toBe(xpath(xml, `string(${suite}/@errors)`));
        expect(xpath(xml, "string(/testsuites/@tests)")).toBe(xpath(xml, `string(${suite}/@tests)`));
      }
    });

    it("has the drifted agent's failure with its reason as the type", () => {
      const xml = render(reportInput(fixtureStatus()));
      const drift = `/testsuites/testsuite[@name="mosaic-factory"]/testcase[@classname="mosaic-factory.canary-pi" and @name="canary-pi Drift"]`;
      expect(xpath(xml, `string(${drift}/failure/@type)`)).toBe("RuntimeMismatch");
      expect(xpath(xml, `string(${drift}/failure/@message)`)).toBe(
        "RuntimeMismatch: roster runtime pi, pane runs stub (python3 dogfood-agent.py | tee `log`)",
      );
      expect(xpath(xml, `count(/testsuites/testsuite/testcase[@classname="mosaic-factory.canary-pi"]/failure)`)).toBe(
        "2",
      );
      expect(xpath(xml, `string(//testcase[@name="dogfood-coder Stale"]/error/@type)`)).toBe("NoHeartbeat");
      expect(xpath(xml, `count(//testcase[@name="_holder PaneDead"]/*)`)).toBe("0");
    });

    it("round-trips hostile text as its escaped, visible form", () => {
      const xml = render(reportInput(hostileStatus()));
      const name = xpath(xml, "string(//testcase[failure]/@classname)");
      expect(name).toBe("mosaic-factory.evil\\x1b]52;c;cm0gLXJmIH4=\\x07<script>alert(1)</script>|`x`");
    });
  });
});
