// What an agent is shown of a repository before it reads anything: a map within a budget
// (folders with file counts, then the exported symbols of the source files most imported by
// others, in the spirit of Aider's repository map), the package manifests, the test
// configuration and a few representative existing tests. Whatever does not fit is counted,
// with the tool that reads it.

import { skippedBySearch } from "./reader.ts";

/** Characters (about a quarter as many tokens) of each part. */
export const MAP_CHARS = 16_000;
const MANIFEST_CHARS = 6_000;
const TEST_CHARS = 5_000;
const EXAMPLE_TESTS = 3;

const MANIFESTS = [
  "package.json",
  "deno.json",
  "pyproject.toml",
  "setup.cfg",
  "setup.py",
  "requirements.txt",
  "requirements-dev.txt",
  "Pipfile",
  "go.mod",
  "Cargo.toml",
  "Gemfile",
  "composer.json",
  "pom.xml",
  "build.gradle",
  "build.gradle.kts",
];
const TEST_CONFIG =
  /^(vitest|jest|playwright|cypress|karma|ava|babel)\.config\.[cm]?[jt]s$|^(\.mocharc(\.[a-z]+)?|pytest\.ini|tox\.ini|conftest\.py|phpunit\.xml(\.dist)?|\.rspec|jest\.config\.json|tsconfig\.json)$/;
const TEST_FILE =
  /(^|\/)(tests?|__tests__|spec)\/.+\.[a-z]+$|\.(test|spec)\.[cm]?[jt]sx?$|(^|\/)test_[^/]+\.py$|_test\.(py|go)$|_spec\.rb$/;
const SOURCE = /\.([cm]?[jt]sx?|py)$/;

export interface RepoOverview {
  /** Folders and exported symbols, within `MAP_CHARS`. */
  map: string;
  /** Manifests, test configuration and example tests, each under its path. */
  files: string;
}

export function isTestFile(path: string): boolean {
  return TEST_FILE.test(path);
}

/** The overview of a snapshot's files for the prompt. */
export function repoOverview(files: ReadonlyMap<string, string>, budget = MAP_CHARS): RepoOverview {
  const paths = [...files.keys()].filter((p) => skippedBySearch(p, "") !== "vendored").sort();
  const tree = folderTree(paths, Math.floor(budget / 3));
  const symbols = symbolMap(files, paths, budget - tree.length);
  const map = symbols === "" ? tree : `${tree}\n\n${symbols}`;
  return { map, files: keyFiles(files, paths) };
}

/** Folders with their file counts, shallow ones first, within `budget` characters. */
function folderTree(paths: string[], budget: number): string {
  const counts = new Map<string, number>();
  for (const path of paths) {
    const parts = path.split("/");
    for (let depth = 1; depth < parts.length; depth++) {
      const dir = parts.slice(0, depth).join("/");
      counts.set(dir, (counts.get(dir) ?? 0) + 1);
    }
  }
  const rootFiles = paths.filter((p) => !p.includes("/"));
  const dirs = [...counts].sort(([a], [b]) => {
    const depth = a.split("/").length - b.split("/").length;
    return depth !== 0 ? depth : a < b ? -1 : 1;
  });
  const lines = [
    `## Folders (${paths.length} files; ${rootFiles.length} at the root: ${rootFiles.slice(0, 20).join(", ")}${rootFiles.length > 20 ? ", …" : ""})`,
  ];
  let size = lines[0]?.length ?? 0;
  let shown = 0;
  const chosen: string[] = [];
  for (const [dir, count] of dirs) {
    const line = `${dir}/ (${count})`;
    if (size + line.length + 1 > budget) break;
    chosen.push(line);
    size += line.length + 1;
    shown++;
  }
  lines.push(...chosen.sort());
  if (shown < dirs.length) {
    lines.push(
      `[… ${dirs.length - shown} deeper folders not shown; use list with a path to see them.]`,
    );
  }
  return lines.join("\n");
}

/** Exported symbols of the source files that other files import most, within the rest of the budget. */
function symbolMap(files: ReadonlyMap<string, string>, paths: string[], budget: number): string {
  const sources = paths.filter(
    (p) => SOURCE.test(p) && !isTestFile(p) && skippedBySearch(p, files.get(p) ?? "") === null,
  );
  if (sources.length === 0) return "";
  const rank = importCounts(files, paths);
  const ordered = [...sources].sort(
    (a, b) =>
      (rank.get(b) ?? 0) - (rank.get(a) ?? 0) ||
      a.split("/").length - b.split("/").length ||
      (a < b ? -1 : 1),
  );
  const lines = ["## Exported symbols (most imported files first)"];
  let size = 0;
  let listed = 0;
  for (const path of ordered) {
    const symbols = exportedSymbols(path, files.get(path) ?? "");
    if (symbols.length === 0) continue;
    const block = `${path}\n${symbols.map((s) => `  ${s}`).join("\n")}`;
    if (size + block.length + 1 > budget) continue;
    lines.push(block);
    size += block.length + 1;
    listed++;
  }
  const withSymbols = ordered.filter((p) => exportedSymbols(p, files.get(p) ?? "").length > 0);
  if (listed < withSymbols.length) {
    lines.push(
      `[… ${withSymbols.length - listed} more source files with exports not shown; find symbols with search, e.g. pattern "export (function|class) Name".]`,
    );
  }
  return listed === 0 ? "" : lines.join("\n");
}

const IMPORT = /(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)["'](\.{1,2}\/[^"']+)["']/g;

/** How many files import each path (relative imports only, extensions resolved). */
function importCounts(files: ReadonlyMap<string, string>, paths: string[]): Map<string, number> {
  const known = new Set(paths);
  const counts = new Map<string, number>();
  for (const path of paths) {
    if (!SOURCE.test(path)) continue;
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
    for (const match of (files.get(path) ?? "").matchAll(IMPORT)) {
      const target = resolve(dir, match[1] ?? "", known);
      if (target && target !== path) counts.set(target, (counts.get(target) ?? 0) + 1);
    }
  }
  return counts;
}

function resolve(dir: string, spec: string, known: Set<string>): string | undefined {
  const parts = dir === "" ? [] : dir.split("/");
  for (const part of spec.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  const base = parts.join("/");
  const stem = base.replace(/\.[cm]?js$/, "");
  for (const candidate of [
    base,
    `${stem}.ts`,
    `${stem}.tsx`,
    `${stem}.js`,
    `${stem}.mjs`,
    `${base}/index.ts`,
    `${base}/index.js`,
  ]) {
    if (known.has(candidate)) return candidate;
  }
  return undefined;
}

const JS_EXPORT =
  /^export\s+(?:default\s+)?(?:declare\s+)?(?:async\s+)?(?:abstract\s+)?(function\*?|class|const|let|var|interface|type|enum|namespace)\s+([A-Za-z_$][\w$]*)([^\n{=;]*)/gm;
const JS_EXPORT_LIST = /^export\s+(?:type\s+)?\{([^}]*)\}(\s*from\s*["'][^"']+["'])?/gm;
const CJS_EXPORT = /^(?:module\.)?exports\.([A-Za-z_$][\w$]*)\s*=/gm;
const PY_DEF = /^(?:async\s+)?(def|class)\s+([A-Za-z]\w*)\s*(\([^)]*\))?/gm;

/** One line per exported symbol: its kind, name and (for functions) parameters. */
export function exportedSymbols(path: string, content: string): string[] {
  const out: string[] = [];
  if (path.endsWith(".py")) {
    for (const m of content.matchAll(PY_DEF)) {
      out.push(`${m[1]} ${m[2]}${m[1] === "def" ? short(m[3] ?? "()") : ""}`);
    }
    return out;
  }
  for (const m of content.matchAll(JS_EXPORT)) {
    const kind = (m[1] ?? "").replace("*", "");
    const rest = kind === "function" ? short((m[3] ?? "").trim()) : "";
    out.push(`${kind} ${m[2]}${rest}`);
  }
  for (const m of content.matchAll(JS_EXPORT_LIST)) {
    const names = (m[1] ?? "")
      .split(",")
      .map((n) => n.trim())
      .filter((n) => n !== "");
    if (names.length > 0) out.push(`export { ${short(names.join(", "))} }${m[2] ?? ""}`);
  }
  for (const m of content.matchAll(CJS_EXPORT)) out.push(`exports.${m[1]}`);
  return out.slice(0, 30);
}

const short = (text: string) => (text.length > 120 ? `${text.slice(0, 120)}…` : text);

/** The manifests, test configuration and example tests, under their paths. */
function keyFiles(files: ReadonlyMap<string, string>, paths: string[]): string {
  const manifests = paths.filter((p) => MANIFESTS.includes(p));
  const configs = paths.filter(
    (p) => TEST_CONFIG.test(p.slice(p.lastIndexOf("/") + 1)) && p.split("/").length <= 2,
  );
  const tests = exampleTests(files, paths);
  const parts: string[] = [];
  const show = (title: string, list: string[], max: number) => {
    if (list.length === 0) {
      parts.push(`## ${title}\nNone found.`);
      return;
    }
    parts.push(
      `## ${title}\n${list.map((p) => fileBlock(p, files.get(p) ?? "", max)).join("\n\n")}`,
    );
  };
  show("Package manifests", manifests, MANIFEST_CHARS);
  show("Test configuration", configs.slice(0, 4), MANIFEST_CHARS);
  const allTests = paths.filter(isTestFile).length;
  show(
    `Existing tests (${tests.length} of ${allTests}; list them with list and a glob such as "*.test.*")`,
    tests,
    TEST_CHARS,
  );
  return parts.join("\n\n");
}

function fileBlock(path: string, content: string, max: number): string {
  const shown =
    content.length > max
      ? `${content.slice(0, max)}\n[… ${content.length - max} more characters; view the file for the rest]`
      : content;
  return `### ${path}\n\`\`\`\`\n${shown}\n\`\`\`\``;
}

/**
 * Two or three representative tests: from different folders, preferring those of ordinary size
 * (a typical test, not a fixture or a thousand-line suite) and those next to the source.
 */
function exampleTests(files: ReadonlyMap<string, string>, paths: string[]): string[] {
  const candidates = paths
    .filter((p) => isTestFile(p) && /\.([cm]?[jt]sx?|py|go|rb)$/.test(p) && !/fixture/i.test(p))
    .map((p) => ({ path: p, size: files.get(p)?.length ?? 0 }))
    .filter((c) => c.size > 100)
    .sort(
      (a, b) => Math.abs(a.size - 2_500) - Math.abs(b.size - 2_500) || (a.path < b.path ? -1 : 1),
    );
  const chosen: string[] = [];
  const folders = new Set<string>();
  for (const { path } of candidates) {
    const folder = path.slice(0, Math.max(0, path.lastIndexOf("/")));
    if (folders.has(folder) && candidates.length > EXAMPLE_TESTS) continue;
    folders.add(folder);
    chosen.push(path);
    if (chosen.length === EXAMPLE_TESTS) break;
  }
  return chosen.sort();
}
