// How the repository's CI on each stage commit reads in the status comment, the PR body and
// the dashboard: the contract tests' commit (red is expected there), every code commit and the
// docs commit.

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

export function ciRows(results: CiResult[], waitMinutes: number): CiRow[] {
  const shown = results.filter(
    (r) => r.stage === "tests" || r.stage === "code" || r.stage === "docs",
  );
  let code = 0;
  return shown.map((r, i) => {
    const tests = r.stage === "tests";
    if (r.stage === "code") code++;
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
            ? // Only the newest commit is what the reviews decide on.
              `no CI reported within ${waitMinutes} minutes${i === shown.length - 1 ? ": ready on the reviews alone" : ""}`
            : "waiting for CI";
    return {
      label: tests
        ? "Contract tests"
        : r.stage === "docs"
          ? "Docs"
          : `Code${code > 1 ? ` (fix ${code - 1})` : ""}`,
      sha: r.sha.slice(0, 7),
      state: r.state,
      icon: ICONS[r.state] ?? "",
      text,
      checks: r.checks.map((c) => ({ name: c.name, url: c.url ?? "", icon: ICONS[c.state] ?? "" })),
    };
  });
}
