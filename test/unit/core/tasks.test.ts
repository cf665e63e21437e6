import { describe, expect, it } from "vitest";
import { ciRows, taskCommitLabels, taskRows } from "../../../src/core/ci-view.ts";
import { transition } from "../../../src/core/pipeline.ts";
import {
  dependencyOrder,
  type TaskProgress,
  taskToFix,
  taskUnits,
  unitStepKey,
  unitSubject,
  unitTrailers,
} from "../../../src/core/tasks.ts";
import { renderTaskTrace, tasksOf } from "../../../src/core/trace.ts";
import { ciText } from "../../../src/views.ts";
import { featureAt } from "./pipeline-fixtures.ts";

const task = (id: string, extra: Partial<TaskProgress> = {}): TaskProgress => ({
  id,
  title: `Title of ${id}`,
  ...extra,
});

describe("the order and the steps of the implementer", () => {
  it("takes each task after the tasks it depends on, otherwise in plan order", () => {
    const tasks = [
      task("T001", { dependsOn: ["T003"] }),
      task("T002"),
      task("T003", { dependsOn: ["T002"] }),
      task("T004", { dependsOn: ["T009"] }),
    ];
    expect(dependencyOrder(tasks).map((t) => t.id)).toEqual(["T002", "T003", "T001", "T004"]);
  });

  it("keeps plan order for tasks caught in a cycle instead of stopping", () => {
    const tasks = [task("T001", { dependsOn: ["T002"] }), task("T002", { dependsOn: ["T001"] })];
    expect(dependencyOrder(tasks).map((t) => t.id)).toEqual(["T001", "T002"]);
  });

  it("joins consecutive tasks of a group into one step; a task alone is its own step", () => {
    const units = taskUnits([
      task("T001", { group: "G1" }),
      task("T002", { group: "G1", dependsOn: ["T001"] }),
      task("T003"),
      task("T004", { group: "G1" }),
    ]);
    expect(units.map((u) => u.ids)).toEqual([["T001", "T002"], ["T003"], ["T004"]]);
    expect(unitStepKey("implement-v7", units[0] ?? { ids: [], tasks: [] })).toBe(
      "implement-v7-T001-T002",
    );
  });

  it("names each commit by its task and gives its requirements and the issue as trailers", () => {
    const [single, group] = taskUnits([
      task("T001", { title: "Create src/health.js", requirements: ["FR-002", "FR-005"] }),
      task("T002", { title: "Route /health", requirements: ["FR-001"], group: "G1" }),
      task("T003", { title: "Document it", requirements: ["FR-001", "FR-004"], group: "G1" }),
    ]);
    if (!single || !group) throw new Error("two units expected");
    expect(unitSubject(single)).toBe("feat(T001): Create src/health.js");
    expect(unitTrailers(single, 42)).toEqual(["Requirements: FR-002, FR-005", "Refs: #42"]);
    expect(unitSubject(group)).toBe("feat(T002, T003): Route /health; Document it");
    expect(unitTrailers(group, 42)).toEqual(["Requirements: FR-001, FR-004", "Refs: #42"]);
    expect(unitTrailers({ ids: ["T009"], tasks: [task("T009")] }, 7)).toEqual(["Refs: #7"]);
    // A title is one line and cannot pass for another step's marker.
    const sneaky = task("T004", { title: "Add it\nPractical-Step: f1-implement-v7-T005" });
    expect(unitSubject({ ids: ["T004"], tasks: [sneaky] })).toBe(
      "feat(T004): Add it Practical-Step f1-implement-v7-T005",
    );
  });
});

describe("the plan says which tasks it groups", () => {
  it("a Group column in the task trace when the plan groups tasks, read back unchanged", () => {
    const traced = [
      { id: "T001", requirements: ["FR-001"], dependsOn: [], files: ["a.ts"], group: "G1" },
      { id: "T002", requirements: ["FR-001"], dependsOn: ["T001"], files: ["b.ts"], group: "G1" },
      { id: "T003", requirements: ["FR-002"], dependsOn: [], files: ["c.ts"] },
    ];
    const trace = renderTaskTrace(traced);
    expect(trace).toContain("| Task | Requirements | Depends on | Files | Group |");
    expect(trace).toContain("| T002 | FR-001 | T001 | `b.ts` | G1 |");
    expect(trace).toContain("| T003 | FR-002 | — | `c.ts` | — |");
    expect(tasksOf(`# Plan\n\n${trace}`).map((t) => t.id)).toEqual(["T001", "T002", "T003"]);
    expect(renderTaskTrace(traced.slice(2))).not.toContain("Group");
  });
});

describe("the task a red CI on the head goes back to", () => {
  const tasks = [
    task("T001", { commits: ["a1"] }),
    task("T002", { commits: ["b1"] }),
    task("T003", { commits: ["c1"] }),
  ];
  const ci = (sha: string, checks: Record<string, string>) => ({
    sha,
    checks: Object.entries(checks).map(([name, state]) => ({ name, state })),
  });

  it("the first task after the last commit on which every failing check was green", () => {
    const results = [
      ci("a1", { lint: "success", test: "failure" }),
      ci("b1", { lint: "failure", test: "success" }),
      ci("c1", { lint: "failure", test: "success" }),
    ];
    expect(taskToFix(tasks, results, { sha: "c1", failing: ["lint"] })).toBe("T002");
  });

  it("the head's own task when the failing checks never passed or are not in yet", () => {
    const red = [ci("a1", { test: "failure" }), ci("b1", { test: "failure" })];
    expect(taskToFix(tasks, red, { sha: "c1", failing: ["test"] })).toBe("T003");
    const pending = [ci("a1", { test: "pending" })];
    expect(taskToFix(tasks, pending, { sha: "c1", failing: ["test"] })).toBe("T003");
  });

  it("a fix commit of a task stays with that task; a later commit's red goes to the task that broke it", () => {
    const fixed = [task("T001", { commits: ["a1"] }), task("T002", { commits: ["b1", "b2"] })];
    const results = [ci("a1", { lint: "success" }), ci("b1", { lint: "failure" })];
    expect(taskToFix(fixed, results, { sha: "b2", failing: ["lint"] })).toBe("T002");
    // The docs commit (or a review fix) on top: T002 broke lint and it stayed broken.
    expect(taskToFix(fixed, results, { sha: "f00d", failing: ["lint"] })).toBe("T002");
  });

  it("on a later commit: green on every task goes to no task; red on the last task, to it", () => {
    const tasks = [task("T001", { commits: ["a1"] }), task("T002", { commits: ["b1"] })];
    const green = [ci("a1", { lint: "success" }), ci("b1", { lint: "success" })];
    expect(taskToFix(tasks, green, { sha: "d0c5", failing: ["lint"] })).toBeNull();
    const red = [ci("a1", { lint: "failure" }), ci("b1", { lint: "failure" })];
    expect(taskToFix(tasks, red, { sha: "d0c5", failing: ["lint"] })).toBe("T002");
    // A check that never ran on the tasks' commits is no task's.
    expect(taskToFix(tasks, red, { sha: "d0c5", failing: ["docs-lint"] })).toBeNull();
  });
});

describe("a CI fix round carries its task", () => {
  it("the fix source names the task and the instructions say which one", () => {
    const result = transition(featureAt("awaiting_ci"), {
      type: "ci_reported",
      sha: "c0de0001",
      state: "failure",
      failing: ["lint"],
      task: "T002",
    });
    expect(result.to).toBe("fixing");
    expect(result.effects[0]).toMatchObject({
      type: "run_agent",
      agent: "implement",
      fix: { kind: "ci", sha: "c0de0001", task: "T002" },
      instructions: expect.stringContaining("c0de000 (task T002): lint"),
    });
  });

  it("a red head that is no task's commit gives a fix round without a task", () => {
    const result = transition(featureAt("awaiting_merge"), {
      type: "ci_reported",
      sha: "c0de0001",
      state: "failure",
      failing: ["lint"],
    });
    expect(result.effects[0]).toMatchObject({ fix: { kind: "ci", sha: "c0de0001" } });
    expect(result.effects[0]).not.toHaveProperty("fix.task");
  });
});

describe("each task's state and CI in the views", () => {
  const results = [
    { sha: "a".repeat(40), stage: "code", state: "success", checks: [] },
    { sha: "b".repeat(40), stage: "code", state: "failure", checks: [] },
    { sha: "c".repeat(40), stage: "code", state: "success", checks: [] },
  ];

  it("pending, writing, or committed with its short sha, fixes and the latest commit's CI", () => {
    const rows = taskRows(
      [
        { id: "T001", title: "One", done: true, commits: ["a".repeat(40)] },
        { id: "T002", title: "Two", done: true, commits: ["b".repeat(40), "c".repeat(40)] },
        { id: "T003", title: "Three", done: false, commits: ["d".repeat(40)] },
        { id: "T004", title: "Four", done: false },
        { id: "T005", title: "Five", done: false },
      ],
      results,
      new Set(["T004"]),
    );
    expect(
      rows.map((r) => [r.id, r.done, ciText(r.state), r.ci === null ? "" : ciText(r.ci)]),
    ).toEqual([
      ["T001", true, "committed `aaaaaaa`", "🟢 CI green"],
      ["T002", true, "committed `bbbbbbb`, fixed in `ccccccc`", "🟢 CI green"],
      ["T003", true, "committed `ddddddd`", "🟡 CI pending"],
      ["T004", false, "writing", ""],
      ["T005", false, "pending", ""],
    ]);
  });

  it("labels the CI rows of task commits by task, and other code commits as before", () => {
    const labels = taskCommitLabels([
      { id: "T001", commits: ["a".repeat(40)] },
      { id: "T002", commits: ["b".repeat(40), "c".repeat(40)] },
    ]);
    const rows = ciRows(
      [...results, { sha: "e".repeat(40), stage: "code", state: "none", checks: [] }],
      10,
      labels,
    );
    expect(rows.map((r) => [ciText(r.label), ciText(r.text)])).toEqual([
      ["Code T001", "green"],
      ["Code T002", "red: "],
      ["Code T002 (fix 1)", "green"],
      ["Code (fix 1)", "no CI reported within 10 minutes: ready on the reviews alone"],
    ]);
  });
});
