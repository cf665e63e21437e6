// What the archive hides stays safe: a file left out by export-ignore is read on its first view
// and never overwritten unread; symbolic links and submodules are never written; a cut tree is
// said in every listing.

import { describe, expect, it } from "vitest";
import { WorkingCopy } from "../../../src/agents/implementer/working-copy.ts";
import { DEFAULT_PATH_POLICY } from "../../../src/core/paths.ts";
import type { Snapshot } from "../../../src/ports/github.ts";

const ON_GITHUB: Record<string, string> = { "tests/app.test.js": "test('app', () => {});\n" };

function copy(snapshot: Partial<Snapshot> = {}) {
  return new WorkingCopy(
    {
      sha: "a".repeat(40),
      files: new Map([["src/app.js", "export const app = 1;\n"]]),
      hidden: new Set(["tests/app.test.js"]),
      special: new Map([
        ["app-link.js", "a symbolic link"],
        ["vendor/lib", "a submodule"],
      ]),
      ...snapshot,
    },
    DEFAULT_PATH_POLICY,
    [],
    { readHidden: async (path) => ON_GITHUB[path] ?? null },
  );
}

describe("files the archive left out", () => {
  it("refuses to create over a hidden file, lists it, and edits it once it has been viewed", async () => {
    const wc = copy();
    const created = await wc.execute("create", { path: "tests/app.test.js", content: "x\n" });
    expect(created.isError).toBe(true);
    expect(created.text).toMatch(/left out of the snapshot .*export-ignore.*view it first/);
    expect((await wc.execute("list", { path: "tests" })).text).toContain(
      "tests/app.test.js (left out of the archive by .gitattributes; view reads it)",
    );

    const viewed = await wc.execute("view", { path: "tests/app.test.js" });
    expect(viewed).toMatchObject({ isError: false });
    expect(viewed.text).toContain("test('app'");
    const edited = await wc.execute("str_replace", {
      path: "tests/app.test.js",
      old_str: "test('app'",
      new_str: "test('the app'",
    });
    expect(edited.isError).toBe(false);
    expect(wc.changes()).toEqual([
      { path: "tests/app.test.js", content: "test('the app', () => {});\n" },
    ]);
  });

  it("never writes over a symbolic link or a submodule", async () => {
    const wc = copy();
    const link = await wc.execute("create", { path: "app-link.js", content: "x\n" });
    expect(link.text).toMatch(/"app-link\.js" is a symbolic link in the repository/);
    const submodule = await wc.execute("create", { path: "vendor/lib", content: "x\n" });
    expect(submodule.text).toMatch(/"vendor\/lib" is a submodule in the repository/);
    expect(wc.changes()).toEqual([]);
  });

  it("says in every listing when GitHub cut the tree short", async () => {
    const listing = await copy({ truncated: true }).execute("list", { path: "" });
    expect(listing.text).toMatch(/cut this repository's file tree short/);
  });
});
