import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

// UnitFileState without asking systemd once per unit. `systemctl show` costs ~0.7 ms
// per unit (364 ms at 500); systemd itself derives the state from the unit search path
// (UnitPath): a `*.wants/`/`*.requires/`/`*.upholds/` symlink named after the unit
// means enabled (enabled-runtime under /run or $XDG_RUNTIME_DIR, generated in a
// generator dir), a symlink to /dev/null means masked, no [Install] section means
// static. We read the same directories once for the whole fleet. The integration test
// compares every state with `systemctl show -p UnitFileState`.

interface UnitPathDir {
  path: string;
  kind: "persistent" | "runtime" | "generator" | "transient";
}

/** Classify each UnitPath entry the way systemd's lookup paths do. */
export function classifyUnitPath(entries: readonly string[], runtimeDir: string | undefined): UnitPathDir[] {
  return entries.map((path) => {
    if (/\/generator(\.early|\.late)?$/.test(path)) return { path, kind: "generator" as const };
    if (path.endsWith("/transient")) return { path, kind: "transient" as const };
    const underRuntime =
      path.startsWith("/run/") || (runtimeDir !== undefined && runtimeDir !== "" && path.startsWith(runtimeDir + "/"));
    return { path, kind: underRuntime ? ("runtime" as const) : ("persistent" as const) };
  });
}

interface WantedBy {
  persistent: boolean;
  runtime: boolean;
  generator: boolean;
}

/** An index of the search path: which unit names are wanted, masked, or present as files. */
interface UnitFileIndex {
  dirs: UnitPathDir[];
  /**
   * Entry name → the directories holding it, in search-path order: each directory is
   * read once (a failed lstat per unit per directory cost ~10 µs), and a unit costs one
   * lookup, not one per directory.
   */
  holders: Map<string, UnitPathDir[]>;
  /** Lookups already answered (a template is shared by every instance). */
  found: Map<string, FoundUnitFile | null>;
  installKinds: Map<string, ReturnType<typeof installKind>>;
  /** Service Type= by unit file path: every instance of a template reads the same file. */
  serviceTypes: Map<string, string | null>;
  wanted: Map<string, WantedBy>;
  /** name → dir kind of the first `/dev/null` symlink. */
  masked: Map<string, UnitPathDir["kind"]>;
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** Read every dependency directory of the search path once. */
export function indexUnitFiles(dirs: readonly UnitPathDir[]): UnitFileIndex {
  const wanted = new Map<string, WantedBy>();
  const masked = new Map<string, UnitPathDir["kind"]>();
  const holders = new Map<string, UnitPathDir[]>();
  for (const dir of dirs) {
    const listing = safeReaddir(dir.path);
    for (const entry of listing) {
      const held = holders.get(entry);
      if (held) held.push(dir);
      else holders.set(entry, [dir]);
      const full = join(dir.path, entry);
      if (/\.(wants|requires|upholds)$/.test(entry)) {
        for (const name of safeReaddir(full)) {
          const mark = wanted.get(name) ?? { persistent: false, runtime: false, generator: false };
          if (dir.kind === "generator") mark.generator = true;
          else if (dir.kind === "runtime" || dir.kind === "transient") mark.runtime = true;
          else mark.persistent = true;
          wanted.set(name, mark);
        }
        continue;
      }
      if (!masked.has(entry) && entry.includes(".")) {
        try {
          if (lstatSync(full).isSymbolicLink() && readlinkSync(full) === "/dev/null") masked.set(entry, dir.kind);
        } catch {
          // Vanished between readdir and lstat: not masked.
        }
      }
    }
  }
  return {
    dirs: [...dirs],
    holders,
    found: new Map(),
    installKinds: new Map(),
    serviceTypes: new Map(),
    wanted,
    masked,
  };
}

/** `t@a.service` → `t@.service`; plain names have no template. */
export function templateOf(unit: string): string | null {
  const match = /^([^@]+)@[^.]+(\.[a-z]+)$/.exec(unit);
  return match ? `${match[1]}@${match[2]}` : null;
}

interface FoundUnitFile {
  path: string;
  dir: UnitPathDir;
  /** A symlink to a file outside the search path (`systemctl link`). */
  linked: boolean;
}

function findUnitFile(index: UnitFileIndex, name: string): FoundUnitFile | null {
  const cached = index.found.get(name);
  if (cached !== undefined) return cached;
  const found = lookUnitFile(index, name);
  index.found.set(name, found);
  return found;
}

function lookUnitFile(index: UnitFileIndex, name: string): FoundUnitFile | null {
  for (const dir of index.holders.get(name) ?? []) {
    const full = join(dir.path, name);
    try {
      const stat = lstatSync(full);
      if (!stat.isSymbolicLink()) return { path: full, dir, linked: false };
      const target = readlinkSync(full);
      if (target === "/dev/null") continue;
      const resolved = resolve(dirname(full), target);
      const inside = index.dirs.some((d) => dirname(resolved) === d.path);
      return { path: full, dir, linked: !inside };
    } catch {
      // Not in this directory.
    }
  }
  return null;
}

/** Install-section verbs that make a unit enable-able (else it is static). */
function installKind(file: string): "installable" | "indirect" | "static" {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return "static";
  }
  let inInstall = false;
  let also = false;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("[")) {
      inInstall = line === "[Install]";
      continue;
    }
    if (!inInstall) continue;
    if (/^(WantedBy|RequiredBy|UpheldBy|Alias)\s*=\s*\S/.test(line)) return "installable";
    if (/^Also\s*=\s*\S/.test(line)) also = true;
  }
  return also ? "indirect" : "static";
}

interface UnitFileFacts {
  /** systemd's UnitFileState word, or "" when there is no unit file (LoadState not-found). */
  state: string;
  load: "loaded" | "not-found" | "masked";
}

/** The UnitFileState systemd would report for `unit`, from the index. */
export function unitFileState(index: UnitFileIndex, unit: string): UnitFileFacts {
  const template = templateOf(unit);
  const maskKind = index.masked.get(unit) ?? (template ? index.masked.get(template) : undefined);
  if (maskKind !== undefined) {
    return { state: maskKind === "runtime" ? "masked-runtime" : "masked", load: "masked" };
  }
  const file = findUnitFile(index, unit) ?? (template ? findUnitFile(index, template) : null);
  if (file === null) return { state: "", load: "not-found" };
  if (file.dir.kind === "transient") return { state: "transient", load: "loaded" };
  const mark = index.wanted.get(unit);
  if (mark?.persistent) return { state: "enabled", load: "loaded" };
  if (mark?.runtime) return { state: "enabled-runtime", load: "loaded" };
  if (mark?.generator) return { state: "generated", load: "loaded" };
  if (file.linked) return { state: file.dir.kind === "runtime" ? "linked-runtime" : "linked", load: "loaded" };
  let kind = index.installKinds.get(file.path);
  if (kind === undefined) {
    kind = installKind(file.path);
    index.installKinds.set(file.path, kind);
  }
  return { state: kind === "installable" ? "disabled" : kind, load: "loaded" };
}

/**
 * The service Type= its unit file on disk declares ("simple" when none), or null when
 * there is no file. Asked only for units whose run is a oneshot's (active/exited), to
 * tell a run started by an older oneshot definition from the current one (a migration,
 * docs/commands.md). Drop-ins are not read: the contrib units set Type= in the file.
 */
export function serviceTypeOnDisk(index: UnitFileIndex, unit: string): string | null {
  const template = templateOf(unit);
  const file = findUnitFile(index, unit) ?? (template ? findUnitFile(index, template) : null);
  if (file === null) return null;
  const known = index.serviceTypes.get(file.path);
  if (known !== undefined) return known;
  const type = serviceTypeIn(file.path);
  index.serviceTypes.set(file.path, type);
  return type;
}

/** The Type= of a unit file's [Service] section ("simple" when none); null when it cannot be read. */
function serviceTypeIn(path: string): string | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  let inService = false;
  let type = "simple";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("[")) inService = line === "[Service]";
    else if (inService) {
      const match = /^Type\s*=\s*(\S+)/.exec(line);
      if (match?.[1]) type = match[1];
    }
  }
  return type;
}
