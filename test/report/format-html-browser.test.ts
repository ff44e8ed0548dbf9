import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { reportInput } from "../../src/report/formats.js";
import { render } from "../../src/report/html.js";
import { findTool, fixtureHistory, fixtureStatus, hostileStatus, warnMissingTool } from "./format-fixture.js";
import { skipIfOutsideCi } from "../helpers/skip.js";

// The HTML report opened by a real browser (Debian's headless Chromium): it parses into
// the DOM we meant, runs no script, and loads nothing (network is mapped to nowhere, and
// any blocked load would be logged as a CSP refusal).

const chromium = findTool("chromium", ["/usr/bin/chromium", "/usr/bin/chromium-browser"]);
if (!chromium) warnMissingTool("chromium", "apt-get install -y chromium");

/** How Chromium logs a load or script that the report's CSP blocked. */
const BLOCKED =
  /Refused to (load|apply|execute)|violates the following Content Security Policy|Content Security Policy/;

const dir = mkdtempSync(join(tmpdir(), "mosaic-html-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function browse(html: string, name: string, extra: string[]): { stdout: string; stderr: string } {
  const file = join(dir, `${name}.html`);
  writeFileSync(file, html);
  const result = spawnSync(
    chromium!,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-extensions",
      `--user-data-dir=${join(dir, `profile-${name}`)}`,
      "--host-resolver-rules=MAP * ~NOTFOUND",
      "--enable-logging=stderr",
      "--v=0",
      ...extra,
      `file://${file}`,
    ],
    { encoding: "utf8", timeout: 60_000, maxBuffer: 32 << 20 },
  );
  if (result.error) throw result.error;
  expect(result.status).toBe(0);
  return { stdout: result.stdout, stderr: result.stderr };
}

describe.skipIf(skipIfOutsideCi(!chromium, "headless Chromium is not installed"))(
  "html report in headless Chromium",
  () => {
    it("parses into the report's DOM, with the drifted agent, the chart and no script", () => {
      const { stdout, stderr } = browse(render(reportInput(fixtureStatus(), fixtureHistory())), "fixture", [
        "--dump-dom",
      ]);
      expect(stdout).toContain(`<header class="verdict verdict-NONCOMPLIANT">`);
      expect(stdout).toMatch(/<tr class="agent-noncompliant"><td>canary-pi<\/td>/);
      expect(stdout).toMatch(/<tr class="status-True"><td>canary-pi<\/td><td>Drift<\/td>/);
      expect(stdout.match(/<g class="run /g)).toHaveLength(4);
      expect(stdout).not.toMatch(/<script/i);
      expect(stderr).not.toMatch(BLOCKED);
    }, 90_000);

    it("shows hostile pane text as text: no element, no title change, no script", () => {
      const { stdout, stderr } = browse(render(reportInput(hostileStatus())), "hostile", ["--dump-dom"]);
      expect(stdout).not.toMatch(/<script/i);
      expect(stdout).toContain("<title>Fleet mosaic-factory on W-jarvis: NONCOMPLIANT</title>");
      expect(stdout).toContain("evil\\x1b]52;c;cm0gLXJmIH4=\\x07&lt;script&gt;alert(1)&lt;/script&gt;|`x`");
      expect(stderr).not.toMatch(BLOCKED);
    }, 90_000);

    it("would notice a script or an external load (negative control for the checks above)", () => {
      const tampered = render(reportInput(fixtureStatus())).replace(
        "<body>",
        `<body><img src="https://example.invalid/x.png"><script>document.title = "x"</script>`,
      );
      const { stdout, stderr } = browse(tampered, "tampered", ["--dump-dom"]);
      expect(stdout).toMatch(/<script/);
      expect(stderr).toMatch(BLOCKED);
    }, 90_000);

    it("renders a screenshot", () => {
      const png = join(dir, "report.png");
      browse(render(reportInput(fixtureStatus(), fixtureHistory())), "shot", [
        `--screenshot=${png}`,
        "--window-size=1280,1800",
        "--hide-scrollbars",
      ]);
      expect(statSync(png).size).toBeGreaterThan(10_000);
      expect(readFileSync(png).subarray(1, 4).toString("latin1")).toBe("PNG");
    }, 90_000);
  },
);
