// How the repository's CI on each stage commit reads in the status comment, the PR body and
// the dashboard: the contract tests' commit (red is expected there) and every code commit.

/** What the view needs of a recorded CI result (the store's rows have this shape). */
export interface CiResult {
  sha: string;
  stage: string;
  state: string;
  checks: { name: string; state: string; url: string | null }[];
}

export interface CiRow {
  label: string;
  sha: string;
  state: string;
  icon: string;
  text: string;
  checks: { name: string; url: string; icon: string }[];
}

const ICONS: Record<string, string> = {
  success: "🟢",
  failure: "🔴",
  pending: "🟡",
  none: "⚪",
};

/** What CI said about the contract tests, where people approve them. */
export function testsGateNote(result: CiResult | undefined, waitMinutes: number): string {
  if (!result) return "";
  const failing = result.checks.filter((c) => c.state === "failure");
  switch (result.state) {
    case "failure":
      return `CI ran the contract tests: ${failing.length} failing check${failing.length === 1 ? "" : "s"} (${failing.map((c) => c.name).join(", ")}) — as expected before the code.`;
    case "success":
      return "⚠️ The contract tests **passed** before any code was written: they may not test the new behaviour.";
    case "none":
      return `No CI reported on this commit within ${waitMinutes} minutes: the tests are unverified.`;
    default:
      return "CI is running on the contract tests…";
  }
}

/**
 * One row per tests and code commit. `taskLabels` names the task commits (`Code T002`,
 * `Code T002 (fix 1)`); the other code commits read `Code`, then `Code (fix n)`.
 */
export function ciRows(
  results: CiResult[],
  waitMinutes: number,
  taskLabels: ReadonlyMap<string, string> = new Map(),
): CiRow[] {
  const shown = results.filter((r) => r.stage === "tests" || r.stage === "code");
  const lastCode = shown.findLast((r) => r.stage === "code");
  let code = 0;
  let fixes = 0;
  return shown.map((r) => {
    const tests = r.stage === "tests";
    const task = taskLabels.get(r.sha);
    // A code commit that is no task's, after the first code commit, is a fix round's.
    if (!tests && code++ > 0 && task === undefined) fixes++;
    const text = tests
      ? testsGateNote(r, waitMinutes)
      : r.state === "success"
        ? "green"
        : r.state === "failure"
          ? `red: ${r.checks
              .filter((c) => c.state === "failure")
              .map((c) => c.name)
              .join(", ")}`
          : r.state === "none"
            ? // Only the head decides readiness; an earlier commit's silence is just that.
              `no CI reported within ${waitMinutes} minutes${r === lastCode ? ": ready on the reviews alone" : ""}`
            : "waiting for CI";
    return {
      label: tests
        ? "Contract tests"
        : task !== undefined
          ? `Code ${task}`
          : `Code${fixes > 0 ? ` (fix ${fixes})` : ""}`,
      sha: r.sha.slice(0, 7),
      state: r.state,
      icon: ICONS[r.state] ?? "",
      text,
      checks: r.checks.map((c) => ({ name: c.name, url: c.url ?? "", icon: ICONS[c.state] ?? "" })),
    };
  });
}

/** A plan task as the status comment and the PR body list it. */
export interface TaskRow {
  id: string;
  title: string;
  done: boolean;
  /** `pending`, `writing`, or `committed \`abc1234\`` with its fix commits. */
  state: string;
  /** The CI of the task's latest commit, once committed: icon and word. */
  ci: string;
}

const TASK_CI: Record<string, string> = {
  success: "🟢 CI green",
  failure: "🔴 CI red",
  pending: "🟡 CI pending",
  none: "⚪ no CI reported",
};

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
  return tasks.map((t) => {
    const commits = t.commits ?? [];
    const latest = commits.at(-1);
    const short = (sha: string) => `\`${sha.slice(0, 7)}\``;
    const fixes = commits.slice(1).map(short).join(", ");
    const state =
      commits[0] !== undefined
        ? `committed ${short(commits[0])}${fixes ? `, fixed in ${fixes}` : ""}`
        : writing.has(t.id)
          ? "writing"
          : "pending";
    const ci = latest === undefined ? "" : (TASK_CI[bySha.get(latest)?.state ?? "pending"] ?? "");
    return { id: t.id, title: t.title, done: t.done || commits.length > 0, state, ci };
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
