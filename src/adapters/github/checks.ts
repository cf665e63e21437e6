import { githubStatusOf } from "../../errors.ts";
import type {
  CheckAnnotation,
  CheckRunReport,
  CheckRunRequest,
  CiCheckReport,
  RepoRef,
} from "../../ports/github.ts";
import { fitCheckOutput } from "../../views.ts";
import type { Octokit } from "./client.ts";

// Check runs: the reviews' results on the PR head, and the failures read back.

/** GitHub's limit of annotations per check run create/update request. */
const ANNOTATIONS_PER_REQUEST = 50;
/** Annotations read back per check run. */
const ANNOTATIONS_READ = 50;
const FAILED_CONCLUSIONS = new Set(["failure", "timed_out", "cancelled", "action_required"]);

function cut(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

type ApiAnnotation = {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
};

function apiAnnotation(a: CheckAnnotation): ApiAnnotation {
  return {
    path: a.path,
    start_line: a.start_line,
    end_line: a.end_line,
    annotation_level: a.annotation_level,
    message: a.message,
    ...(a.title !== undefined ? { title: a.title } : {}),
  };
}

function annotationKey(a: {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level?: string | null;
  message?: string | null;
  title?: string | null;
}): string {
  return JSON.stringify([
    a.path,
    a.start_line,
    a.end_line,
    a.annotation_level ?? "",
    a.message ?? "",
    a.title ?? "",
  ]);
}

function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

export async function ensureCheckRun(octokit: Octokit, repo: RepoRef, request: CheckRunRequest) {
  const { owner, repo: name } = repo;
  const runs = request.firstRun
    ? []
    : await octokit.paginate(octokit.rest.checks.listForRef, {
        owner,
        repo: name,
        ref: request.headSha,
        check_name: request.name,
        filter: "all",
        per_page: 100,
      });
  const existing = runs
    .filter((run) => run.external_id === request.externalId)
    .sort((a, b) => b.id - a.id)[0];

  let annotations = (request.annotations ?? []).map(apiAnnotation);
  if (existing && annotations.length > 0) {
    // GitHub appends annotations on every update: send only those the run lacks, so a
    // repeated call (or one resumed after a failure) does not duplicate them.
    const present = new Map<string, number>();
    const old = await octokit.paginate(octokit.rest.checks.listAnnotations, {
      owner,
      repo: name,
      check_run_id: existing.id,
      per_page: 100,
    });
    for (const a of old) present.set(annotationKey(a), (present.get(annotationKey(a)) ?? 0) + 1);
    annotations = annotations.filter((a) => {
      const left = present.get(annotationKey(a)) ?? 0;
      if (left === 0) return true;
      present.set(annotationKey(a), left - 1);
      return false;
    });
  }
  const [first = [], ...rest] = chunks(annotations, ANNOTATIONS_PER_REQUEST);
  const title = request.title;
  const summary = fitCheckOutput(request.summary);
  const completed = request.status === "completed";
  const fields = {
    name: request.name,
    external_id: request.externalId,
    status: request.status,
    ...(completed
      ? { conclusion: request.conclusion ?? "neutral", completed_at: new Date().toISOString() }
      : {}),
    output: {
      title,
      summary,
      ...(request.text !== undefined ? { text: fitCheckOutput(request.text) } : {}),
      ...(first.length > 0 ? { annotations: first } : {}),
    },
    ...(request.actions
      ? {
          actions: request.actions.slice(0, 3).map((a) => ({
            label: cut(a.label, 20),
            description: cut(a.description, 40),
            identifier: a.identifier,
          })),
        }
      : {}),
  };
  const { data: run } = existing
    ? await octokit.rest.checks.update({
        owner,
        repo: name,
        check_run_id: existing.id,
        ...fields,
      })
    : await octokit.rest.checks.create({
        owner,
        repo: name,
        head_sha: request.headSha,
        ...fields,
      });
  for (const batch of rest) {
    await octokit.rest.checks.update({
      owner,
      repo: name,
      check_run_id: run.id,
      output: { title, summary, annotations: batch },
    });
  }
  return { id: run.id, url: run.html_url ?? run.url };
}

export async function readCheckRun(
  octokit: Octokit,
  repo: RepoRef,
  checkRunId: number,
): Promise<CheckRunReport> {
  const { data } = await octokit.rest.checks.get({
    owner: repo.owner,
    repo: repo.repo,
    check_run_id: checkRunId,
  });
  return report(octokit, repo, data);
}

export async function failedChecksOfSuite(
  octokit: Octokit,
  repo: RepoRef,
  checkSuiteId: number,
): Promise<CheckRunReport[]> {
  const runs = await octokit.paginate(octokit.rest.checks.listForSuite, {
    owner: repo.owner,
    repo: repo.repo,
    check_suite_id: checkSuiteId,
    per_page: 100,
  });
  const failed = runs.filter((run) => run.conclusion && FAILED_CONCLUSIONS.has(run.conclusion));
  const reports: CheckRunReport[] = [];
  for (const run of failed) reports.push(await report(octokit, repo, run));
  return reports;
}

async function report(
  octokit: Octokit,
  repo: RepoRef,
  run: {
    id: number;
    name: string;
    conclusion: string | null;
    output: { title: string | null; summary: string | null; annotations_count: number };
  },
): Promise<CheckRunReport> {
  let annotations: CheckRunReport["annotations"] = [];
  if (run.output.annotations_count > 0) {
    const { data } = await octokit.rest.checks.listAnnotations({
      owner: repo.owner,
      repo: repo.repo,
      check_run_id: run.id,
      per_page: ANNOTATIONS_READ,
    });
    annotations = data.map((a) => ({
      path: a.path,
      line: a.start_line,
      message: a.message ?? "",
    }));
  }
  return {
    id: run.id,
    name: run.name,
    conclusion: run.conclusion,
    title: run.output.title,
    summary: run.output.summary,
    annotations,
  };
}

const PASSING_CONCLUSIONS = new Set(["success", "neutral", "skipped"]);

/**
 * The CI on a commit: check runs of every app (`filter=latest`: the latest run of each name,
 * so a re-run replaces an old failure) and the combined status (the latest of each context).
 * https://docs.github.com/en/rest/checks/runs#list-check-runs-for-a-git-reference
 * https://docs.github.com/en/rest/commits/statuses#get-the-combined-status-for-a-specific-reference
 */
/** What one GraphQL query reads of a commit's CI: see `ciChecks`. */
const CI_QUERY = `query($owner: String!, $name: String!, $oid: GitObjectID!) {
  repository(owner: $owner, name: $name) {
    object(oid: $oid) {
      ... on Commit {
        checkSuites(first: 100) {
          nodes {
            app { databaseId slug }
            checkRuns(first: 100, filterBy: { checkType: LATEST }) {
              nodes { databaseId name status conclusion url detailsUrl title summary }
            }
          }
        }
        status { contexts { context state targetUrl description } }
      }
    }
  }
}`;

interface CiQueryResult {
  repository: {
    object: {
      checkSuites?: {
        nodes: {
          app: { databaseId: number; slug: string } | null;
          checkRuns: {
            nodes: {
              databaseId: number;
              name: string;
              status: string;
              conclusion: string | null;
              url: string | null;
              detailsUrl: string | null;
              title: string | null;
              summary: string | null;
            }[];
          };
        }[];
      };
      status?: {
        contexts: {
          context: string;
          state: string;
          targetUrl: string | null;
          description: string | null;
        }[];
      } | null;
    } | null;
  } | null;
}

/**
 * Every check run (the latest of each name, per app) and commit status on `sha`, in one
 * GraphQL query where REST takes two reads (check runs for a ref, and the combined status).
 * A query is not a content-creating request, and costs 1 point of the GraphQL limit.
 * https://docs.github.com/en/graphql/reference/objects#commit
 * https://docs.github.com/en/graphql/reference/objects#checkrun
 * https://docs.github.com/en/graphql/reference/objects#statuscontext
 */
export async function ciChecks(
  octokit: Octokit,
  repo: RepoRef,
  sha: string,
): Promise<CiCheckReport[]> {
  const data = await octokit.graphql<CiQueryResult>(CI_QUERY, {
    owner: repo.owner,
    name: repo.repo,
    oid: sha,
  });
  const commit = data.repository?.object;
  const reports: CiCheckReport[] = [];
  for (const suite of commit?.checkSuites?.nodes ?? []) {
    for (const run of suite.checkRuns.nodes) {
      // GraphQL spells the REST values as upper-case enums.
      const conclusion = run.conclusion?.toLowerCase() ?? null;
      reports.push({
        kind: "check_run",
        id: run.databaseId,
        name: run.name,
        app: suite.app?.slug ?? "",
        appId: suite.app?.databaseId ?? null,
        state:
          run.status !== "COMPLETED"
            ? "pending"
            : conclusion && PASSING_CONCLUSIONS.has(conclusion)
              ? "success"
              : "failure",
        conclusion,
        url: run.url,
        detailsUrl: run.detailsUrl,
        description: [run.title, run.summary].filter(Boolean).join("\n\n"),
      });
    }
  }
  for (const status of commit?.status?.contexts ?? []) {
    const state = status.state.toLowerCase();
    reports.push({
      kind: "status",
      id: 0,
      name: status.context,
      app: "",
      appId: null,
      state:
        state === "pending" || state === "expected"
          ? "pending"
          : state === "success"
            ? "success"
            : "failure",
      conclusion: state,
      url: status.targetUrl,
      detailsUrl: status.targetUrl,
      description: status.description ?? "",
    });
  }
  return reports;
}

export async function checkRunText(
  octokit: Octokit,
  repo: RepoRef,
  checkRunId: number,
): Promise<string> {
  const { data } = await octokit.rest.checks.get({
    owner: repo.owner,
    repo: repo.repo,
    check_run_id: checkRunId,
  });
  return data.output.text ?? "";
}

/**
 * GitHub answers 302 with a short-lived download URL; Octokit's fetch follows it and returns the
 * plain-text log. 403 (no `actions: read`), 404 and 410 (expired) mean there is no log to read.
 * https://docs.github.com/en/rest/actions/workflow-jobs#download-job-logs-for-a-workflow-run
 */
export async function jobLog(
  octokit: Octokit,
  repo: RepoRef,
  jobId: number,
): Promise<string | null> {
  try {
    const { data } = await octokit.rest.actions.downloadJobLogsForWorkflowRun({
      owner: repo.owner,
      repo: repo.repo,
      job_id: jobId,
    });
    if (typeof data === "string") return data;
    if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
    return String(data ?? "");
  } catch (error) {
    const status = githubStatusOf(error);
    if (status === 403 || status === 404 || status === 410) return null;
    throw error;
  }
}
