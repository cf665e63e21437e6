// How the repository's CI on each stage commit reads in the status comment, the PR body and
// the dashboard: the contract tests' commit (red is expected there), every code commit (named by
// its task) and the docs commit.
// The words are view data (`ci.*` in views/locales/): the core says which message, and with
// what values.

/** What the view needs of a recorded CI result (the store's rows have this shape). */
export interface CiResult {
  sha: string;
  stage: string;
  state: string;
  checks: { name: string; state: string; url: string | null }[];
}

/** A message of the views' locales (`views/locales/<language>.json`) and its values. */
export interface CiMessage {
  key: string;
  values: Record<string, string | number>;
}

export interface CiRow {
  label: CiMessage;
  sha: string;
  state: string;
  icon: string;
  text: CiMessage;
  checks: { name: string; url: string; icon: string }[];
}

const ICONS: Record<string, string> = {
  success: "🟢",
  failure: "🔴",
  pending: "🟡",
  none: "⚪",
};

/**
 * The commits whose CI means something: the contract tests (red expected), the code and the
 * docs. The spec and plan commits hold documents the app writes for people, so their CI is not
 * followed (it would cost two reads a commit and decide nothing).
 */
export const CI_STAGES: ReadonlySet<string> = new Set(["tests", "code", "docs"]);

const failingChecks = (result: CiResult) =>
  result.checks.filter((c) => c.state === "failure").map((c) => c.name);

/** What CI said about the contract tests, where people approve them; null before any result. */
export function testsGateNote(result: CiResult | undefined, waitMinutes: number): CiMessage | null {
  if (!result) return null;
  const failing = failingChecks(result);
  switch (result.state) {
    case "failure":
      return {
        key: failing.length === 1 ? "ci.tests.failure_one" : "ci.tests.failure_other",
        values: { count: failing.length, checks: failing.join(", ") },
      };
    case "success":
      return { key: "ci.tests.success", values: {} };
    case "none":
      return { key: "ci.tests.none", values: { minutes: waitMinutes } };
    default:
      return { key: "ci.tests.pending", values: {} };
  }
}

function codeNote(result: CiResult, waitMinutes: number, head: boolean): CiMessage {
  switch (result.state) {
    case "success":
      return { key: "ci.code.success", values: {} };
    case "failure":
      return { key: "ci.code.failure", values: { checks: failingChecks(result).join(", ") } };
    case "none":
      // Only the head decides readiness; an earlier commit's silence is just that.
      return { key: head ? "ci.code.none_head" : "ci.code.none", values: { minutes: waitMinutes } };
    default:
      return { key: "ci.code.pending", values: {} };
  }
}

/**
 * One row per tests, code and docs commit. `taskLabels` names the task commits (`Code T002`,
 * `Code T002 (fix 1)`); the other code commits read `Code`, then `Code (fix n)`.
 */
export function ciRows(
  results: CiResult[],
  waitMinutes: number,
  taskLabels: ReadonlyMap<string, string> = new Map(),
): CiRow[] {
  const shown = results.filter((r) => CI_STAGES.has(r.stage));
  let code = 0;
  let fixes = 0;
  return shown.map((r, i) => {
    const task = taskLabels.get(r.sha);
    // A code commit that is no task's, after the first code commit, is a fix round's.
    if (r.stage === "code" && code++ > 0 && task === undefined) fixes++;
    return {
      label: rowLabel(r.stage, task, fixes),
      sha: r.sha.slice(0, 7),
      state: r.state,
      icon: ICONS[r.state] ?? "",
      text:
        r.stage === "tests"
          ? (testsGateNote(r, waitMinutes) ?? { key: "ci.tests.pending", values: {} })
          : codeNote(r, waitMinutes, i === shown.length - 1),
      checks: r.checks.map((c) => ({ name: c.name, url: c.url ?? "", icon: ICONS[c.state] ?? "" })),
    };
  });
}

function rowLabel(stage: string, task: string | undefined, fixes: number): CiMessage {
  if (stage === "tests") return { key: "ci.label.tests", values: {} };
  if (stage === "docs") return { key: "ci.label.docs", values: {} };
  if (task !== undefined) return { key: "ci.label.task", values: { task } };
  if (fixes > 0) return { key: "ci.label.code_fix", values: { round: fixes } };
  return { key: "ci.label.code", values: {} };
}

/** A plan task as the status comment and the PR body list it. */
export interface TaskRow {
  id: string;
  title: string;
  done: boolean;
  /** Pending, writing, or committed with its short sha and fix commits. */
  state: CiMessage;
  /** The CI of the task's latest commit, once committed. */
  ci: CiMessage | null;
}

/**
 * Each task's state: pending, writing (the implementer is on it), or committed with its short
 * sha (and the fix commits sent back to it), and the CI of its latest commit.
 */
export function taskRows(
  tasks: { id: string; title: string; done: boolean; commits?: string[] | undefined }[],
  results: CiResult[],
  writing: ReadonlySet<string>,
): TaskRow[] {
  const bySha = new Map(results.map((r) => [r.sha, r]));
  const short = (sha: string) => sha.slice(0, 7);
  return tasks.map((t) => {
    const [first, ...fixCommits] = t.commits ?? [];
    const latest = t.commits?.at(-1);
    const state: CiMessage =
      first === undefined
        ? { key: writing.has(t.id) ? "task.writing" : "task.pending", values: {} }
        : fixCommits.length > 0
          ? {
              key: "task.committed_fixed",
              values: { sha: short(first), fixes: fixCommits.map(short).join(", ") },
            }
          : { key: "task.committed", values: { sha: short(first) } };
    const ci: CiMessage | null =
      latest === undefined
        ? null
        : { key: `task.ci.${bySha.get(latest)?.state ?? "pending"}`, values: {} };
    return { id: t.id, title: t.title, done: t.done || first !== undefined, state, ci };
  });
}

/** The labels of the task commits for `ciRows`: `T002` (`T002, T003` for a group), then `T002 (fix 1)`, … */
export function taskCommitLabels(
  tasks: { id: string; commits?: string[] | undefined }[],
): Map<string, string> {
  const owners = new Map<string, { ids: string[]; fix: number }>();
  for (const t of tasks) {
    for (const [fix, sha] of (t.commits ?? []).entries()) {
      const owner = owners.get(sha) ?? { ids: [], fix };
      owner.ids.push(t.id);
      owners.set(sha, owner);
    }
  }
  return new Map(
    [...owners].map(([sha, { ids, fix }]) => [
      sha,
      `${ids.join(", ")}${fix > 0 ? ` (fix ${fix})` : ""}`,
    ]),
  );
}
