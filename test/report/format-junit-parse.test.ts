import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { reportInput } from "../../src/report/formats.js";
import { render } from "../../src/report/junit.js";
import { emptyStatus, fixtureStatus, hostileStatus } from "./format-fixture.js";

// The JUnit report read back by an XML parser from npm (fast-xml-parser, a dev
// dependency), so this check runs everywhere, not only where xmllint is installed.

interface Outcome {
  "@_message": string;
  "@_type": string;
  "#text"?: string;
}
interface TestCase {
  "@_classname": string;
  "@_name": string;
  failure?: Outcome;
  error?: Outcome;
}
interface Suite {
  "@_name": string;
  "@_tests": string;
  "@_failures": string;
  "@_errors": string;
  testcase: TestCase[];
}
interface Document {
  testsuites: { "@_tests": string; "@_failures": string; "@_errors": string; testsuite: Suite[] };
}

function parse(xml: string): Document {
  expect(XMLValidator.validate(xml)).toBe(true);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    parseAttributeValue: false,
    parseTagValue: false,
    isArray: (name: string) => name === "testsuite" || name === "testcase",
  });
  return parser.parse(xml) as Document;
}

describe("junit report, parsed", () => {
  it("has one suite for the fleet with counts that match its test cases", () => {
    for (const status of [fixtureStatus(), hostileStatus(), emptyStatus()]) {
      const doc = parse(render(reportInput(status)));
      expect(doc.testsuites.testsuite).toHaveLength(1);
      const suite = doc.testsuites.testsuite[0]!;
      expect(suite["@_name"]).toBe("mosaic-factory");
      expect(Number(suite["@_tests"])).toBe(suite.testcase.length);
      expect(Number(suite["@_failures"])).toBe(suite.testcase.filter((t) => t.failure !== undefined).length);
      expect(Number(suite["@_errors"])).toBe(suite.testcase.filter((t) => t.error !== undefined).length);
      expect(doc.testsuites["@_tests"]).toBe(suite["@_tests"]);
    }
  });

  it("has the drifted canary-pi's failures, typed by reason", () => {
    const suite = parse(render(reportInput(fixtureStatus()))).testsuites.testsuite[0]!;
    // 7 agents × 8 conditions, plus one case for the unmanaged session.
    expect(suite.testcase).toHaveLength(57);
    expect(suite["@_failures"]).toBe("7");
    expect(suite["@_errors"]).toBe("12");
    expect(suite.testcase.find((t) => t["@_name"] === "asks-operator AwaitingInput")?.failure?.["@_type"]).toBe(
      "WaitingForOperator",
    );
    expect(suite.testcase.find((t) => t["@_name"] === "stuck-worker NoProgress")?.failure?.["@_type"]).toBe(
      "NoActivity",
    );
    const drift = suite.testcase.find((t) => t["@_name"] === "canary-pi Drift");
    expect(drift?.["@_classname"]).toBe("mosaic-factory.canary-pi");
    expect(drift?.failure?.["@_type"]).toBe("RuntimeMismatch");
    expect(drift?.failure?.["@_message"]).toContain("pane runs stub");
    expect(suite.testcase.find((t) => t["@_name"] === "dogfood-coder Stale")?.error?.["@_type"]).toBe("NoHeartbeat");
  });

  it("gives an empty roster a single erroring test", () => {
    const suite = parse(render(reportInput(emptyStatus()))).testsuites.testsuite[0]!;
    expect(suite.testcase).toHaveLength(1);
    expect(suite.testcase[0]?.error?.["@_type"]).toBe("UNKNOWN");
  });
});
