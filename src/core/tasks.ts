// The implementer works through the plan task by task: the order it takes them in, the tasks a
// small plan groups into one step, each step's commit message, and which task a red CI on the
// branch head sends back to. Pure.

/** What this module reads of a plan task and its progress (the store's `PlanTaskProgress`). */
export interface TaskProgress {
  id: string;
  title: string;
  requirements?: string[] | undefined;
  dependsOn?: string[] | undefined;
  /** Tasks of a small plan sharing a group are done in one run and one commit. */
  group?: string | undefined;
  /** The task's commit, then the commits of the fix rounds sent back to it, oldest first. */
  commits?: string[] | undefined;
}

/** One implementer run and one commit: a task, or a group of consecutive tasks. */
export interface TaskUnit<T extends TaskProgress = TaskProgress> {
  ids: string[];
  tasks: T[];
}

/**
 * The tasks in dependency order: each after the tasks it depends on, otherwise in the plan's
 * order (a dependency on an unknown task is ignored; tasks caught in a cycle keep plan order).
 */
export function dependencyOrder<T extends TaskProgress>(tasks: readonly T[]): T[] {
  const known = new Set(tasks.map((t) => t.id));
  const placed = new Set<string>();
  const ordered: T[] = [];
  let left = [...tasks];
  while (left.length > 0) {
    const ready = left.find((t) =>
      (t.dependsOn ?? []).every((d) => placed.has(d) || !known.has(d) || d === t.id),
    );
    // A cycle: take the first remaining task rather than stop.
    const next = ready ?? (left[0] as T);
    ordered.push(next);
    placed.add(next.id);
    left = left.filter((t) => t !== next);
  }
  return ordered;
}

/**
 * The implementer's steps: the tasks in dependency order, consecutive tasks of the same group
 * joined into one step. Group members that are not adjacent in that order stay separate steps,
 * so a task never runs before one it depends on.
 */
export function taskUnits<T extends TaskProgress>(tasks: readonly T[]): TaskUnit<T>[] {
  const units: TaskUnit<T>[] = [];
  for (const task of dependencyOrder(tasks)) {
    const last = units.at(-1);
    const lastGroup = last?.tasks.at(-1)?.group;
    if (last && task.group && lastGroup === task.group) {
      last.ids.push(task.id);
      last.tasks.push(task);
    } else {
      units.push({ ids: [task.id], tasks: [task] });
    }
  }
  return units;
}

/** The step key of a unit within the implementing job (`implement-v7-T002`): one commit each. */
export const unitStepKey = (jobKey: string, unit: TaskUnit): string =>
  `${jobKey}-${unit.ids.join("-")}`;

/** `T002` or `T002, T003`: the scope of a unit's commits. */
export const unitScope = (unit: TaskUnit): string => unit.ids.join(", ");

/** The requirement ids a unit serves, in plan order, once each. */
export function unitRequirements(unit: TaskUnit): string[] {
  return [...new Set(unit.tasks.flatMap((t) => t.requirements ?? []))];
}

/**
 * `feat(T002): Route /health in src/server.js`; a group's titles joined with "; ". A title is
 * the plan's words: one line, and never a step marker that would pass for another step's commit.
 */
export function unitSubject(unit: TaskUnit): string {
  const title = unit.tasks
    .map((t) =>
      t.title
        .replace(/\s+/g, " ")
        .replace(/practical-step\s*:/gi, "Practical-Step")
        .trim(),
    )
    .join("; ")
    .slice(0, 200);
  return `feat(${unitScope(unit)}): ${title}`;
}

/**
 * The git trailers of a task's commits: the requirements it serves and the issue
 * (`git interpret-trailers` reads `Key: value` lines in the message's last paragraph).
 */
export function unitTrailers(unit: TaskUnit, issueNumber: number): string[] {
  const requirements = unitRequirements(unit);
  return [
    ...(requirements.length > 0 ? [`Requirements: ${requirements.join(", ")}`] : []),
    `Refs: #${issueNumber}`,
  ];
}

/** The unit that holds task `id`, or null. */
export function unitOf<T extends TaskProgress>(
  tasks: readonly T[],
  id: string,
): TaskUnit<T> | null {
  return taskUnits(tasks).find((u) => u.ids.includes(id)) ?? null;
}

/** The task whose commit (or fix commit) `sha` is, or null for any other commit. */
export function taskOfCommit<T extends TaskProgress>(tasks: readonly T[], sha: string): T | null {
  return tasks.find((t) => (t.commits ?? []).includes(sha)) ?? null;
}

/** What this module reads of a recorded CI result. */
export interface CommitCi {
  sha: string;
  checks: { name: string; state: string }[];
}

/**
 * The task a red CI on the branch head is sent back to, or null when no task broke it. Each
 * task commit builds on the previous ones, so a check that was green on a task's commit and is
 * red on the head was broken by a later task: the first task committed after the last commit on
 * which every failing check was green (none when that was the last task: the docs commit, a
 * review fix or someone's push broke it). When the checks never passed it is the head's own
 * task; when the head is no task's commit (the docs commit), the last task if they were red on
 * its commit, else none (a check that never ran on the tasks).
 */
export function taskToFix<T extends TaskProgress>(
  tasks: readonly T[],
  results: readonly CommitCi[],
  head: { sha: string; failing: string[] },
): string | null {
  const owner = taskOfCommit(tasks, head.sha);
  const firsts = taskUnits(tasks)
    .map((u) => ({ id: u.ids[0] ?? "", sha: u.tasks[0]?.commits?.[0] }))
    .filter((c): c is { id: string; sha: string } => c.sha !== undefined);
  const bySha = new Map(results.map((r) => [r.sha, r]));
  const greenOn = (sha: string) => {
    const checks = bySha.get(sha)?.checks ?? [];
    return (
      head.failing.length > 0 &&
      head.failing.every((name) => checks.some((c) => c.name === name && c.state === "success"))
    );
  };
  const lastGreen = firsts.findLastIndex((c) => greenOn(c.sha));
  if (lastGreen >= 0) return firsts[lastGreen + 1]?.id ?? owner?.id ?? null;
  if (owner) return owner.id;
  const last = firsts.at(-1);
  const redOnLast = bySha
    .get(last?.sha ?? "")
    ?.checks.some((c) => head.failing.includes(c.name) && c.state === "failure");
  return redOnLast ? (last?.id ?? null) : null;
}
