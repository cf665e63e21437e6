// The layout's rules, checked on the source: no import cycle (type-only imports included), the
// pure core imports no I/O, and test/, scripts/ and testkit/ depend on each other one way only.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { projectPath } from "../../src/project-root.ts";

const ROOT = projectPath();

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "node_modules" ? [] : sourceFiles(path);
    return /\.(ts|mts|mjs)$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Every relative module a file imports or re-exports, `import type` and `import()` included. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/g),
    ...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1] ?? "");
  return specifiers
    .filter((s) => s.startsWith("."))
    .map((s) => relative(ROOT, resolve(dirname(file), s)));
}

const FILES = ["src", "testkit", "scripts", "test"].flatMap((dir) => sourceFiles(join(ROOT, dir)));
const GRAPH = new Map(FILES.map((f) => [relative(ROOT, f), importsOf(f)]));

/** The import cycles (strongly connected components of more than one file, or a self-import). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    indices.set(node, index);
    low.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, indices.get(next) ?? 0));
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component);
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}

const importing = (from: string, to: string) =>
  [...GRAPH].flatMap(([file, imports]) =>
    file.startsWith(from)
      ? imports.filter((i) => i.startsWith(to)).map((i) => `${file} → ${i}`)
      : [],
  );

describe("the layout", () => {
  it("has no import cycle, type-only imports included", () => {
    expect(GRAPH.size).toBeGreaterThan(100);
    expect(cycles(GRAPH)).toEqual([]);
  });

  it("keeps the core pure: src/core imports only src/core and the domain errors", () => {
    const allowed = (target = "") => target.startsWith("src/core/") || target === "src/errors.ts";
    expect(importing("src/core/", "").filter((edge) => !allowed(edge.split(" → ")[1]))).toEqual([]);
  });

  it("lets src/ import nothing of testkit/, test/ or scripts/", () => {
    expect([
      ...importing("src/", "testkit/"),
      ...importing("src/", "test/"),
      ...importing("src/", "scripts/"),
    ]).toEqual([]);
  });

  it("lets testkit/ import neither test/ nor scripts/, and test/ and scripts/ not each other", () => {
    expect([
      ...importing("testkit/", "test/"),
      ...importing("testkit/", "scripts/"),
      ...importing("scripts/", "test/"),
      // The one exception: the test of the Node version guard imports the guard itself.
      ...importing("test/", "scripts/").filter((e) => !e.endsWith("scripts/require-node.mjs")),
    ]).toEqual([]);
  });
});
