// How the repository's CI on each stage commit reads in the status comment, the PR body and
// the dashboard: the contract tests' commit (red is expected there) and every code commit.
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

function codeNote(result: CiResult, waitMinutes: number): CiMessage {
  switch (result.state) {
    case "success":
      return { key: "ci.code.success", values: {} };
    case "failure":
      return { key: "ci.code.failure", values: { checks: failingChecks(result).join(", ") } };
    case "none":
      return { key: "ci.code.none", values: { minutes: waitMinutes } };
    default:
      return { key: "ci.code.pending", values: {} };
  }
}

/** "Contract tests", "Code", then "Code (fix n)" for each fix round's commit. */
function rowLabel(tests: boolean, codeCommits: number): CiMessage {
  if (tests) return { key: "ci.label.tests", values: {} };
  if (codeCommits > 1) return { key: "ci.label.code_fix", values: { round: codeCommits - 1 } };
  return { key: "ci.label.code", values: {} };
}

export function ciRows(results: CiResult[], waitMinutes: number): CiRow[] {
  const shown = results.filter((r) => r.stage === "tests" || r.stage === "code");
  let code = 0;
  return shown.map((r) => {
    const tests = r.stage === "tests";
    if (!tests) code++;
    return {
      label: rowLabel(tests, code),
      sha: r.sha.slice(0, 7),
      state: r.state,
      icon: ICONS[r.state] ?? "",
      text: tests
        ? (testsGateNote(r, waitMinutes) ?? { key: "ci.tests.pending", values: {} })
        : codeNote(r, waitMinutes),
      checks: r.checks.map((c) => ({ name: c.name, url: c.url ?? "", icon: ICONS[c.state] ?? "" })),
    };
  });
}
