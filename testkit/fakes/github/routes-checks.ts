// Check runs and check suites. Runs made through the API belong to the fake's app; each
// (app, head sha) pair gets one suite, as on GitHub. Annotations accumulate across updates.
import { forbidden, notFound, validationFailed } from "./errors.ts";
import {
  intParam,
  json,
  paginate,
  type RouteContext,
  type RouteResult,
  type RouteTable,
} from "./server.ts";
import type { CheckRunInput, CheckRunRec, FakeState, StatusRec } from "./state.ts";

/** Where a job log's download link points (GitHub's is a short-lived blob storage URL). */
export const JOB_LOG_PREFIX = "/_codeload/_job-logs/";

/** Serves a job log's plain text at the address the logs route redirected to. */
export function jobLogDownload(state: FakeState, path: string): RouteResult {
  const id = Number(path.slice(JOB_LOG_PREFIX.length));
  const log = state.jobLogs.get(id);
  if (log === undefined) return { status: 404, body: { message: "Not Found" } };
  return { status: 200, raw: { data: log, contentType: "text/plain; charset=utf-8" } };
}

/** The combined status: the latest status of each context, and the overall state. */
function combinedStatus(ctx: RouteContext, statuses: StatusRec[], sha: string) {
  const latest = new Map<string, StatusRec>();
  for (const status of statuses) {
    const current = latest.get(status.context);
    if (!current || status.id > current.id) latest.set(status.context, status);
  }
  const list = [...latest.values()].sort((a, b) => b.id - a.id);
  const states = new Set(list.map((s) => s.state));
  const state =
    states.has("error") || states.has("failure")
      ? "failure"
      : list.length === 0 || states.has("pending")
        ? "pending"
        : "success";
  const repoApi = `${ctx.core.urls.api}/repos/${ctx.params.owner}/${ctx.params.repo}`;
  return {
    state,
    sha,
    total_count: list.length,
    statuses: list.map((s) => ({
      url: `${repoApi}/statuses/${sha}`,
      avatar_url: null,
      id: s.id,
      node_id: Buffer.from(`StatusContext:${s.id}`).toString("base64"),
      state: s.state,
      description: s.description,
      target_url: s.targetUrl,
      context: s.context,
      created_at: s.createdAt,
      updated_at: s.updatedAt,
    })),
    repository: ctx.core.shapes.repo(ctx.repo()),
    commit_url: `${repoApi}/commits/${sha}`,
    url: `${repoApi}/commits/${sha}/status`,
  };
}

function latestPerName(runs: CheckRunRec[]): CheckRunRec[] {
  const latest = new Map<string, CheckRunRec>();
  for (const run of runs) {
    const key = `${run.app.id}:${run.name}`;
    const current = latest.get(key);
    if (!current || run.id > current.id) latest.set(key, run);
  }
  return [...latest.values()];
}

function filterRuns(ctx: RouteContext, runs: CheckRunRec[]): CheckRunRec[] {
  const name = ctx.query.get("check_name");
  const status = ctx.query.get("status");
  const appId = ctx.query.get("app_id");
  let result = runs
    .filter((run) => !name || run.name === name)
    .filter((run) => !status || run.status === status)
    .filter((run) => !appId || String(run.app.id) === appId);
  if ((ctx.query.get("filter") ?? "latest") === "latest") result = latestPerName(result);
  return result.sort((a, b) => b.id - a.id);
}

function runList(ctx: RouteContext, runs: CheckRunRec[]) {
  return paginate(ctx, runs, (page) => ({
    total_count: runs.length,
    check_runs: page.map((run) => ctx.core.shapes.checkRun(run)),
  }));
}

/**
 * `output.summary` and `output.text` are documented as "Maximum length: 65535 characters", but
 * GitHub counts UTF-8 bytes: "summary exceeds a maximum bytesize of 65535"
 * (https://github.com/github/docs/issues/35252, https://github.com/dorny/test-reporter/issues/57).
 */
function checkOutputBytes(input: CheckRunInput): CheckRunInput {
  for (const field of ["summary", "text"] as const) {
    const value = input.output?.[field];
    if (typeof value === "string" && Buffer.byteLength(value, "utf8") > 65_535) {
      throw validationFailed([
        {
          resource: "CheckRun",
          code: "custom",
          field,
          message: `${field} exceeds a maximum bytesize of 65535`,
        },
      ]);
    }
  }
  return input;
}

export function registerCheckRoutes(r: RouteTable): void {
  // https://docs.github.com/en/rest/commits/statuses#get-the-combined-status-for-a-specific-reference
  r.add("GET /repos/{owner}/{repo}/commits/{ref}/status", "token", (ctx) => {
    const repo = ctx.repo();
    const sha = ctx.core.state.resolveRef(repo, ctx.params.ref ?? "");
    if (!sha) throw notFound();
    const statuses = ctx.core.state.statuses.filter((s) => s.repo === repo && s.sha === sha);
    return json(200, combinedStatus(ctx, statuses, sha));
  });
  // "Gets a redirect URL to download a plain text file of logs for a workflow job. This link
  // expires after 1 minute. Look for Location: in the response header": 302, and Octokit's
  // fetch follows it. For GitHub Actions the job id is the job's check run id. Without the
  // app's `actions` permission GitHub answers 403.
  // https://docs.github.com/en/rest/actions/workflow-jobs#download-job-logs-for-a-workflow-run
  r.add("GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs", "token", (ctx) => {
    const { state, urls } = ctx.core;
    if (!state.app.permissions.actions) throw forbidden();
    const id = intParam(ctx, "job_id");
    const run = state.checkRuns.get(id);
    if (!run || run.repo !== ctx.repo() || run.app.slug !== "github-actions") throw notFound();
    if (!state.jobLogs.has(id)) throw notFound();
    return {
      status: 302,
      headers: { location: `${urls.web}${JOB_LOG_PREFIX}${id}` },
      body: undefined,
    };
  });
  r.add("POST /repos/{owner}/{repo}/check-runs", "token", (ctx) => {
    const run = ctx.core.state.createCheckRun(
      ctx.repo(),
      ctx.core.state.app,
      checkOutputBytes(ctx.body as CheckRunInput),
    );
    return json(201, ctx.core.shapes.checkRun(run));
  });
  r.add("GET /repos/{owner}/{repo}/check-runs/{check_run_id}", "token", (ctx) =>
    json(
      200,
      ctx.core.shapes.checkRun(ctx.core.state.checkRun(ctx.repo(), intParam(ctx, "check_run_id"))),
    ),
  );
  r.add("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", "token", (ctx) => {
    const { state, shapes } = ctx.core;
    const run = state.checkRun(ctx.repo(), intParam(ctx, "check_run_id"));
    state.updateCheckRun(run, state.app, checkOutputBytes(ctx.body as CheckRunInput));
    return json(200, shapes.checkRun(run));
  });
  r.add("GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations", "token", (ctx) => {
    const run = ctx.core.state.checkRun(ctx.repo(), intParam(ctx, "check_run_id"));
    return paginate(
      ctx,
      run.annotations.map((_, i) => ctx.core.shapes.annotation(run, i)),
    );
  });
  r.add("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", "token", (ctx) => {
    const repo = ctx.repo();
    const sha = ctx.core.state.resolveRef(repo, ctx.params.ref ?? "");
    if (!sha) throw notFound();
    const runs = [...ctx.core.state.checkRuns.values()].filter(
      (run) => run.repo === repo && run.headSha === sha,
    );
    return runList(ctx, filterRuns(ctx, runs));
  });
  r.add("GET /repos/{owner}/{repo}/commits/{ref}/check-suites", "token", (ctx) => {
    const repo = ctx.repo();
    const sha = ctx.core.state.resolveRef(repo, ctx.params.ref ?? "");
    if (!sha) throw notFound();
    const appId = ctx.query.get("app_id");
    const suites = [...ctx.core.state.checkSuites.values()].filter(
      (suite) =>
        suite.repo === repo && suite.headSha === sha && (!appId || String(suite.app.id) === appId),
    );
    return paginate(ctx, suites, (page) => ({
      total_count: suites.length,
      check_suites: page.map((suite) => ctx.core.shapes.checkSuite(suite)),
    }));
  });
  r.add("GET /repos/{owner}/{repo}/check-suites/{check_suite_id}", "token", (ctx) => {
    const repo = ctx.repo();
    const suite = ctx.core.state.checkSuites.get(intParam(ctx, "check_suite_id"));
    if (!suite || suite.repo !== repo) throw notFound();
    return json(200, ctx.core.shapes.checkSuite(suite));
  });
  r.add("GET /repos/{owner}/{repo}/check-suites/{check_suite_id}/check-runs", "token", (ctx) => {
    const repo = ctx.repo();
    const suite = ctx.core.state.checkSuites.get(intParam(ctx, "check_suite_id"));
    if (!suite || suite.repo !== repo) throw notFound();
    return runList(ctx, filterRuns(ctx, ctx.core.state.suiteRuns(suite)));
  });
}
