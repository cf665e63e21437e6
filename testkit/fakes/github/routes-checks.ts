// Check runs and check suites. Runs made through the API belong to the fake's app; each
// (app, head sha) pair gets one suite, as on GitHub. Annotations accumulate across updates.
import { notFound, validationFailed } from "./errors.ts";
import { intParam, json, paginate, type RouteContext, type RouteTable } from "./server.ts";
import type { CheckRunInput, CheckRunRec } from "./state.ts";

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
