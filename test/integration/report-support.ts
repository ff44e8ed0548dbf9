// Parsers for the report-* integration tests: every `fleet report` format is read back
// with a real parser (JSON.parse, fast-xml-parser, promtool, headless Chromium), plus a
// strict Prometheus exposition check of our own and a GFM table reader for Markdown.
// Not a test file itself (no .test.ts), so vitest never runs it directly.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { XMLParser, XMLValidator } from "fast-xml-parser";

export const REPORT_FORMATS = ["markdown", "html", "junit", "json", "prometheus"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const PROMTOOL = "/usr/bin/promtool";
const CHROMIUM = "/usr/bin/chromium";

/** Say loudly that a real parser is missing (the strict fallback still runs where there is one). */
export function warnMissing(tool: string, consequence: string): void {
  const bar = "!".repeat(78);
  process.stderr.write(`\n${bar}\n!! ${tool} is not installed: ${consequence}\n${bar}\n\n`);
}

// --- Prometheus ---------------------------------------------------------------------

interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseLabels(text: string, lineNo: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`line ${lineNo}: ${why} in {${text}}`);
  };
  while (i < text.length) {
    const eq = text.indexOf("=", i);
    if (eq < 0) fail("label without =");
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name) || name.startsWith("__")) fail(`bad label name ${JSON.stringify(name)}`);
    if (Object.hasOwn(labels, name)) fail(`duplicate label ${name}`);
    if (text[eq + 1] !== '"') fail(`label ${name} value not quoted`);
    let value = "";
    let j = eq + 2;
    for (;;) {
      const c = text[j];
      if (c === undefined) fail(`unterminated value of ${name}`);
      if (c === "\n") fail("raw newline in a label value");
      if (c === '"') break;
      if (c === "\\") {
        const next = text[j + 1];
        if (next === "\\") value += "\\";
        else if (next === '"') value += '"';
        else if (next === "n") value += "\n";
        else fail(`invalid escape \\${next ?? ""} in ${name}`);
        j += 2;
        continue;
      }
      value += c;
      j += 1;
    }
    labels[name] = value;
    i = j + 1;
    if (i < text.length) {
      if (text[i] !== ",") fail(`expected , after label ${name}`);
      i += 1;
    }
  }
  return labels;
}

/**
 * A strict reader of the Prometheus text exposition format 0.0.4: every line must be a
 * HELP, TYPE, comment or sample; names and label names valid; values floats; TYPE given
 * at most once, before the family's samples; a family's samples contiguous; no series
 * twice. Throws with the line number on the first violation.
 */
export function parsePrometheus(text: string): {
  samples: PromSample[];
  types: Map<string, string>;
  help: Map<string, string>;
} {
  if (!text.endsWith("\n")) throw new Error("exposition must end with a newline");
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const seenSeries = new Set<string>();
  const finishedFamilies = new Set<string>();
  let currentFamily: string | null = null;
  const lines = text.slice(0, -1).split("\n");
  lines.forEach((line, index) => {
    const lineNo = index + 1;
    if (line.trim() === "") return;
    // eslint-disable-next-line no-control-regex -- the test looks for control bytes
    if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(line)) throw new Error(`line ${lineNo}: control character`);
    const meta = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
    if (meta) {
      const [, kind, name, rest = ""] = meta as unknown as [string, string, string, string | undefined];
      if (!METRIC_NAME.test(name)) throw new Error(`line ${lineNo}: bad metric name ${name}`);
      if (kind === "TYPE") {
        if (!TYPES.has(rest.trim())) throw new Error(`line ${lineNo}: bad type ${rest}`);
        if (types.has(name)) throw new Error(`line ${lineNo}: second TYPE for ${name}`);
        if (samples.some((s) => s.name === name)) throw new Error(`line ${lineNo}: TYPE for ${name} after its samples`);
        types.set(name, rest.trim());
      } else {
        if (help.has(name)) throw new Error(`line ${lineNo}: second HELP for ${name}`);
        help.set(name, rest);
      }
      return;
    }
    if (line.startsWith("#")) return; // a plain comment
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?$/.exec(line);
    if (!sample) throw new Error(`line ${lineNo}: not a sample: ${JSON.stringify(line)}`);
    const [, name, labelText = "", rawValue] = sample as unknown as [string, string, string | undefined, string];
    const value =
      rawValue === "+Inf" ? Infinity : rawValue === "-Inf" ? -Infinity : rawValue === "NaN" ? NaN : Number(rawValue);
    if (!/^(NaN|[+-]Inf|[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)$/.test(rawValue))
      throw new Error(`line ${lineNo}: bad value ${rawValue}`);
    const labels = parseLabels(labelText.replace(/,$/, ""), lineNo);
    if (currentFamily !== name) {
      if (finishedFamilies.has(name)) throw new Error(`line ${lineNo}: samples of ${name} are not contiguous`);
      if (currentFamily !== null) finishedFamilies.add(currentFamily);
      currentFamily = name;
    }
    const key = `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))}`;
    if (seenSeries.has(key)) throw new Error(`line ${lineNo}: duplicate series ${key}`);
    seenSeries.add(key);
    samples.push({ name, labels, value });
  });
  return { samples, types, help };
}

/** `promtool check metrics` on the text, or null when promtool is not installed. */
export async function promtoolCheck(text: string): Promise<{ code: number | null; output: string } | null> {
  if (!existsSync(PROMTOOL)) return null;
  const result = await execa(PROMTOOL, ["check", "metrics"], { input: text, reject: false, timeout: 20_000 });
  return { code: result.exitCode ?? null, output: `${String(result.stdout)}${String(result.stderr)}` };
}

// --- JUnit ----------------------------------------------------------------------------

interface JunitCase {
  classname: string;
  name: string;
  failure?: { message: string; type: string; text: string };
  error?: { message: string; type: string; text: string };
}

interface JunitDoc {
  suites: {
    name: string;
    tests: number;
    failures: number;
    errors: number;
    properties: Record<string, string>;
    cases: JunitCase[];
  }[];
  tests: number;
  failures: number;
  errors: number;
}

/** Validate as XML, then read testsuites/testsuite/testcase with fast-xml-parser. */
export function parseJunit(text: string): JunitDoc {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new Error(`junit is not well-formed XML: ${JSON.stringify(valid.err)}`);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    parseAttributeValue: false,
    parseTagValue: false,
    textNodeName: "#text",
    isArray: (name) => ["testsuite", "testcase", "property", "failure", "error"].includes(name),
  });
  const doc = parser.parse(text) as Record<string, unknown>;
  const root = doc["testsuites"] as Record<string, unknown> | undefined;
  if (!root) throw new Error("junit has no <testsuites> root");
  const outcome = (list: unknown) => {
    const first = (list as Record<string, string>[] | undefined)?.[0];
    if (first === undefined) return undefined;
    return {
      message: first["message"] ?? "",
      type: first["type"] ?? "",
      text: typeof first === "string" ? first : (first["#text"] ?? ""),
    };
  };
  const suites = ((root["testsuite"] as Record<string, unknown>[] | undefined) ?? []).map((suite) => {
    const props: Record<string, string> = {};
    const propsNode = suite["properties"] as { property?: Record<string, string>[] } | undefined;
    for (const p of propsNode?.property ?? []) props[p["name"] ?? ""] = p["value"] ?? "";
    const cases = ((suite["testcase"] as Record<string, unknown>[] | undefined) ?? []).map((tc) => {
      const out: JunitCase = { classname: String(tc["classname"]), name: String(tc["name"]) };
      const failure = outcome(tc["failure"]);
      const error = outcome(tc["error"]);
      if (failure) out.failure = failure;
      if (error) out.error = error;
      return out;
    });
    return {
      name: String(suite["name"]),
      tests: Number(suite["tests"]),
      failures: Number(suite["failures"]),
      errors: Number(suite["errors"]),
      properties: props,
      cases,
    };
  });
  return { suites, tests: Number(root["tests"]), failures: Number(root["failures"]), errors: Number(root["errors"]) };
}

// --- Markdown -------------------------------------------------------------------------

/** CommonMark backslash escapes: a backslash before ASCII punctuation is dropped. */
function unescapeMarkdown(text: string): string {
  return text.replace(/\\([!-/:-@[-`{-~])/g, "$1");
}

/** Split a GFM table row on unescaped pipes. */
function splitRow(line: string): string[] {
  const inner = line.trim().replace(/^\|/, "").replace(/\|$/, "");
  const cells: string[] = [];
  let cell = "";
  for (let i = 0; i < inner.length; i += 1) {
    const c = inner[i] as string;
    if (c === "\\" && i + 1 < inner.length) {
      cell += c + (inner[i + 1] as string);
      i += 1;
    } else if (c === "|") {
      cells.push(cell);
      cell = "";
    } else cell += c;
  }
  cells.push(cell);
  return cells.map((s) => unescapeMarkdown(s.trim()));
}

/**
 * Every GFM table of a Markdown document: a header row, a delimiter row (`---`, `:---:`),
 * then body rows, as records keyed by the header. Throws when a body row's cell count
 * differs from the header's (a broken table renders wrongly on GitHub).
 */
export function markdownTables(text: string): Record<string, string>[][] {
  const lines = text.split("\n");
  const tables: Record<string, string>[][] = [];
  for (let i = 0; i + 1 < lines.length; i += 1) {
    const header = lines[i] as string;
    const delimiter = lines[i + 1] as string;
    if (!header.trim().startsWith("|") || !/^\|(\s*:?-{3,}:?\s*\|)+\s*$/.test(delimiter.trim())) continue;
    const names = splitRow(header);
    const rows: Record<string, string>[] = [];
    let j = i + 2;
    for (; j < lines.length && (lines[j] as string).trim().startsWith("|"); j += 1) {
      const cells = splitRow(lines[j] as string);
      if (cells.length !== names.length)
        throw new Error(`markdown table row has ${cells.length} cells, header ${names.length}: ${lines[j]}`);
      rows.push(Object.fromEntries(names.map((name, k) => [name, cells[k] as string])));
    }
    tables.push(rows);
    i = j - 1;
  }
  return tables;
}

/** Emphasis markers around a whole cell (`_Unknown_`, `**True**`) removed. */
export function plain(cell: string): string {
  return cell.replace(/^(\*\*|__|\*|_)(.*)\1$/, "$2");
}

// --- HTML through headless Chromium ------------------------------------------------------

/**
 * Load the HTML file in headless Chromium and return the DOM it built (`--dump-dom`), or
 * null when Chromium is not installed. Chromium is the real HTML parser here: what it
 * dumps is what a browser shows, whatever the markup's mistakes.
 */
export async function chromiumDom(htmlFile: string): Promise<string | null> {
  if (!existsSync(CHROMIUM)) return null;
  const profile = mkdtempSync(join(tmpdir(), "mf-report-chromium-"));
  try {
    const result = await execa(
      CHROMIUM,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        `--user-data-dir=${profile}`,
        "--dump-dom",
        `file://${htmlFile}`,
      ],
      {
        reject: false,
        timeout: 60_000,
        stdin: "ignore",
        forceKillAfterDelay: 1_000,
        env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: "disabled:" },
      },
    );
    if (result.exitCode !== 0 || String(result.stdout).trim() === "") {
      throw new Error(`chromium --dump-dom failed (exit ${result.exitCode}): ${String(result.stderr).slice(-2000)}`);
    }
    return String(result.stdout);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

type OrderedNode = Record<string, unknown>;

/** An element of the Chromium-serialized DOM: tag, attributes, children. */
interface DomElement {
  tag: string;
  attrs: Record<string, string>;
  children: (DomElement | string)[];
}

/**
 * Read Chromium's serialized DOM (well formed: every non-void element closed) into a tree.
 * The `<style>` content is kept as raw text.
 */
export function parseDom(dom: string): DomElement {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    unpairedTags: ["meta", "br", "hr", "img", "input", "link", "wbr", "col", "area", "base", "source"],
    stopNodes: ["*.style", "*.script"],
    htmlEntities: true,
    preserveOrder: true,
    trimValues: false,
    parseTagValue: false,
    parseAttributeValue: false,
  });
  const convert = (node: OrderedNode): DomElement | string | null => {
    const attrs = (node[":@"] as Record<string, string> | undefined) ?? {};
    for (const [key, value] of Object.entries(node)) {
      if (key === ":@") continue;
      if (key === "#text") return String(value);
      if (key.startsWith("!") || key.startsWith("?")) return null;
      const children = (value as OrderedNode[]).map(convert).filter((c): c is DomElement | string => c !== null);
      return { tag: key.toLowerCase(), attrs, children };
    }
    return null;
  };
  const top = (parser.parse(dom) as OrderedNode[])
    .map(convert)
    .find((n): n is DomElement => typeof n === "object" && n !== null && n.tag === "html");
  if (!top) throw new Error("the dumped DOM has no <html> element");
  return top;
}

export function textOf(node: DomElement | string): string {
  return typeof node === "string" ? node : node.children.map(textOf).join("");
}

export function findAll(node: DomElement, tag: string): DomElement[] {
  const found: DomElement[] = [];
  const visit = (n: DomElement) => {
    if (n.tag === tag) found.push(n);
    for (const child of n.children) if (typeof child !== "string") visit(child);
  };
  visit(node);
  return found;
}

/** Each table row's cells as text, with the row's class. */
export function domRows(root: DomElement): { className: string; cells: string[] }[] {
  return findAll(root, "tr").map((tr) => ({
    className: tr.attrs["class"] ?? "",
    cells: tr.children
      .filter((c): c is DomElement => typeof c !== "string" && (c.tag === "td" || c.tag === "th"))
      .map((c) => textOf(c).trim()),
  }));
}

/** Write text to a file in dir and return the path (for Chromium's file:// URL). */
export function writeTemp(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}
