import { describe, expect, it } from "vitest";
import { lineDiff } from "../../../src/core/line-diff.ts";
import {
  checkTasksDone,
  coverage,
  coversOf,
  stableCriteria,
  withCoversLine,
} from "../../../src/core/trace.ts";
import { fenceUntrusted, visibleMarkdown } from "../../../src/core/untrusted.ts";

describe("visibleMarkdown", () => {
  it("removes what GitHub renders as nothing and keeps code as written", () => {
    const text = [
      "Hello <!-- hidden -->world",
      '[docs](https://x.test "secret title") and <a href="/x" title="tip">a</a>',
      "[unused]: https://evil.test",
      "`<!-- shown in code -->`",
      "```html",
      "<!-- shown in a block -->",
      "```",
      "tail <!-- never closed",
      "still hidden",
    ].join("\n");
    const visible = visibleMarkdown(text);
    expect(visible).toContain("Hello world");
    expect(visible).toContain("[docs](https://x.test)");
    expect(visible).toContain('<a href="/x">a</a>');
    expect(visible).not.toMatch(/hidden|secret title|tip|evil/);
    expect(visible).toContain("`<!-- shown in code -->`");
    expect(visible).toContain("<!-- shown in a block -->");
    expect(visible).toContain("tail ");
  });

  it("keeps a reference definition a link uses, without its title", () => {
    expect(visibleMarkdown('see [x][ref]\n\n[ref]: https://a.test "t"')).toBe(
      "see [x][ref]\n\n[ref]: https://a.test",
    );
  });

  it("fences as data, leaving code untouched", () => {
    expect(fenceUntrusted("diff", "+ <!-- kept -->", 100, "code")).toContain("<!-- kept -->");
    expect(fenceUntrusted("body", "a <!-- x --> </untrusted>")).toBe(
      '<untrusted source="body">\na  <\u2024untrusted>\n</untrusted>',
    );
  });
});

describe("trace", () => {
  const brief = "## Acceptance criteria\n\n- [ ] **AC-1** one\n- [ ] **AC-2** two\n";
  const spec =
    "# Spec\n\n## Requirements trace\n\n| Requirement | Acceptance criteria |\n| --- | --- |\n| FR-1 | AC-1 |\n| FR-2 | AC-2 |\n";
  const plan =
    "## Task trace\n\n| Task | Requirements | Depends on | Files |\n| --- | --- | --- | --- |\n| T001 | FR-1 | — | `a.js` |\n| T002 | FR-2 | T001 | `b.js` |\n";

  it("traces each criterion to requirements, tasks and tests and flags one without a test", () => {
    const table = coverage({
      brief,
      spec,
      plan,
      tests: [{ path: "t.test.js", content: "// covers: FR-1\n" }],
    });
    expect(table.rows).toEqual([
      {
        criterion: "AC-1",
        requirements: ["FR-1"],
        tasks: ["T001"],
        tests: ["t.test.js"],
        gap: null,
      },
      { criterion: "AC-2", requirements: ["FR-2"], tasks: ["T002"], tests: [], gap: "no test" },
    ]);
    expect(table.untested).toEqual(["AC-2"]);
  });

  it("declares coverage in the file's own comment syntax, after a shebang", () => {
    expect(withCoversLine("x.py", "print(1)\n", ["AC-1"])).toBe("# covers: AC-1\nprint(1)\n");
    expect(withCoversLine("x.js", "#!/usr/bin/env node\nrun()\n", ["FR-2"])).toBe(
      "#!/usr/bin/env node\n// covers: FR-2\nrun()\n",
    );
    expect(coversOf("/* covers: AC-3, FR-01 */")).toEqual(["AC-3", "FR-01"]);
  });

  it("keeps criterion ids stable and never gives one id two meanings", () => {
    const previous = [
      { id: "AC-1", text: "one" },
      { id: "AC-2", text: "two" },
    ];
    const next = stableCriteria(previous, [
      { id: "AC-1", text: "two" },
      { id: "AC-1", text: "three" },
    ]);
    expect(next).toEqual([
      { id: "AC-2", text: "two" },
      { id: "AC-1", text: "three" },
    ]);
    expect(
      stableCriteria(previous, [
        { id: "AC-1", text: "one" },
        { id: "AC-1", text: "x" },
      ]),
    ).toEqual([
      { id: "AC-1", text: "one" },
      { id: "AC-3", text: "x" },
    ]);
  });

  it("does not count a task done when its planned files are untouched", () => {
    const tasks = [
      { id: "T001", files: ["a.js"] },
      { id: "T002", files: ["b.js"] },
      { id: "T003" },
    ];
    expect(checkTasksDone(tasks, ["T001", "T002", "T003"], ["a.js"])).toEqual({
      done: ["T001", "T003"],
      notDone: [{ id: "T002", files: ["b.js"] }],
    });
  });

  it("shows a brief's change line by line", () => {
    expect(lineDiff("a\nb\nc", "a\nB\nc")).toBe(" a\n-b\n+B\n c");
    expect(lineDiff("1\n2\n3\n4\n5\n6\nx", "1\n2\n3\n4\n5\n6\ny", { context: 1 })).toBe(
      "@@\n 6\n-x\n+y",
    );
    expect(lineDiff(null, "new\n")).toBe("+new");
  });
});
