import { PermanentError } from "../errors.ts";
// The three PR reviews (a BullMQ flow: three `review` children, one `verdict` parent). Each
// review publishes one check run on the head it reviewed; the verdict feeds the pipeline.

import type { Job } from "bullmq";
import type { LatestArtifacts } from "../adapters/store/artifacts.ts";
import { fenceUntrusted } from "../agents/prompts.ts";
import type { AlignmentOutput, Finding, ReviewOutput } from "../agents/schemas.ts";
import { advance, targetOf } from "../app/advance.ts";
import { FIX_FINDINGS_ACTION, RERUN_REVIEW_ACTION } from "../core/commands.ts";
import { neutralise, neutraliseCell } from "../core/neutralise.ts";
import type { CheckAnnotation, RepoRef } from "../ports/github.ts";
import { renderMarkdown } from "../views.ts";
import { type AgentJobDeps, openAgentJob, readArtifacts } from "./agent/context.ts";
import { docsChanges } from "./agent/docs-record.ts";
import { readRepository } from "./agent/repository.ts";
import { type StopWatch, wasStopped, watchForStop } from "./agent/stop.ts";
import { featureCiReport } from "./ci.ts";
import { isFirstRun } from "./deps.ts";
import type { AgentJobData, ReviewJobData } from "./intents.ts";

type Review = NonNullable<ReviewJobData["review"]>;

/** Stable check run names: branch protection rules can require them. */
export const CHECK_NAMES: Record<Review, string> = {
  security_review: "Build Practical / security",
  code_review: "Build Practical / code review",
  alignment_review: "Build Practical / alignment",
};

const SHORT_NAMES: Record<Review, string> = {
  security_review: "security",
  code_review: "code review",
  alignment_review: "alignment",
};

export interface ReviewResult {
  review: Review;
  pass: boolean;
}

interface Verdict {
  pass: boolean;
  summary: string;
  findings: Finding[];
  runId: number;
}

export async function runReview(
  deps: AgentJobDeps,
  job: Job<ReviewJobData>,
): Promise<ReviewResult> {
  const review = job.data.review ?? "security_review";
  const stop = watchForStop(deps, job.data.featureId, job.data.version);
  try {
    return await performReview(deps, job, review, stop);
  } catch (error) {
    // Stopped: no check run, and the verdict (superseded too) is dropped.
    if (wasStopped(deps.log, stop, error, { id: job.id, featureId: job.data.featureId })) {
      return { review, pass: false };
    }
    throw error;
  } finally {
    stop.close();
  }
}

async function performReview(
  deps: AgentJobDeps,
  job: Job<ReviewJobData>,
  review: Review,
  stop: StopWatch,
): Promise<ReviewResult> {
  await stop.ensureCurrent("the review");
  const data: AgentJobData = { featureId: job.data.featureId, agent: review, key: job.data.key };
  if (job.data.version !== undefined) data.version = job.data.version;
  const opened = await openAgentJob(deps, data, job.id ?? "", false, stop);
  if (!opened) return { review, pass: false };
  const { feature, repoContext } = opened;
  if (!feature.headSha || !feature.prNumber) {
    throw new PermanentError("there is no pull request with code to review");
  }
  const repo = targetOf(feature);
  // The app's last commit, which these reviews were started for: its sha is known, so the
  // branch is not read back (a later push is reviewed by the next round, not this one).
  const head = feature.headSha;
  const changed = await deps.github.diff(repo, repoContext.defaultBranch, head);
  const diff = fenceUntrusted(
    "pull request diff",
    changed.map((c) => `--- ${c.path} (${c.status})\n${c.patch}`).join("\n\n"),
    150_000,
    "code",
  );
  const files = changed.map((c) => `${c.status} ${c.path}`).join("\n");
  const artifacts = await readArtifacts(deps.store, feature.id);
  // Reviews judge code: a head the implementer's commit never reached has nothing to review.
  if (!artifacts.code?.commit_sha) {
    throw new PermanentError(
      "the implementer's code commit is missing, so there is no code to review",
    );
  }
  const repository = await readRepository(opened, head);
  const documents = {
    brief: artifacts.brief?.content ?? "",
    spec: artifacts.spec?.content ?? "",
    plan: artifacts.plan?.content ?? "",
    tests: artifacts.tests?.content ?? "",
    ...repository.context,
  };

  let verdict: Verdict;
  if (review === "alignment_review") {
    const docs = await docsForReview(deps, repo, artifacts);
    const { output, runId } = await opened.run<AlignmentOutput>(
      { ...documents, gate: "code", diff, docs, conversation: "" },
      undefined,
      { repository: repository.reader },
    );
    verdict = {
      pass: output.recommendation === "APPROVE",
      summary: output.summary,
      findings: output.reasons.map((reason) => ({
        severity: output.recommendation === "APPROVE" ? "info" : "high",
        title: reason.slice(0, 200),
        detail: reason,
      })),
      runId,
    };
  } else {
    const { output, runId } = await opened.run<ReviewOutput>(
      { ...documents, files, diff },
      undefined,
      { repository: repository.reader },
    );
    // Fail closed: a "pass" that lists a critical or high finding is a failure.
    const blocking = output.findings.some(
      (f) => f.severity === "critical" || f.severity === "high",
    );
    verdict = {
      pass: output.verdict === "pass" && !blocking,
      summary: output.summary,
      findings: output.findings,
      runId,
    };
  }

  const run = await deps.store.latestAgentRun(feature.id, review);
  // The views name every field (strict templates): optional ones default to empty.
  // The model's words are shown, never acted on: no mentions, no remote images, no HTML.
  const safe = { githubWebUrl: deps.config.githubWebUrl };
  const shown = verdict.findings.map((f) => ({
    path: "",
    line: 0,
    ...f,
    category: neutraliseCell(f.category ?? "", safe),
    title: neutraliseCell(f.title, safe),
    detail: neutralise(f.detail, safe),
  }));
  await stop.ensureCurrent(`the ${review} check run`);
  const check = await deps.github.ensureCheckRun(repo, {
    headSha: head,
    name: CHECK_NAMES[review],
    externalId: `feature-${feature.id}/${job.data.key}/${review}`,
    // The key is new for every round: only a retried job can have created the run already.
    firstRun: isFirstRun(job),
    status: "completed",
    conclusion: verdict.pass ? "success" : "failure",
    title: `${verdict.pass ? "Passed" : "Failed"}: ${verdict.findings.length} finding${verdict.findings.length === 1 ? "" : "s"}`,
    summary: renderMarkdown("checks/review", {
      summary: neutralise(verdict.summary, safe),
      findings: shown,
      model: run?.model ?? "",
      inputTokens: run?.input_tokens ?? 0,
      outputTokens: run?.output_tokens ?? 0,
      cacheReadTokens: run?.cache_read_tokens ?? 0,
      costUsd: Number(run?.cost_usd ?? 0),
    }),
    text: renderMarkdown("checks/findings", {
      findings: shown,
    }),
    annotations: annotations(verdict.findings),
    actions: [
      ...(verdict.pass
        ? []
        : [
            {
              label: "Fix findings",
              description: "Send these findings to the implementer.",
              identifier: FIX_FINDINGS_ACTION,
            },
          ]),
      {
        label: "Re-run review",
        description: "Run the three reviews again on this head.",
        identifier: RERUN_REVIEW_ACTION,
      },
    ],
  });
  await deps.store.setAgentRunDetail(verdict.runId, {
    review,
    verdict: verdict.pass ? "pass" : "fail",
    summary: verdict.summary,
    findings: verdict.findings,
    checkRunId: check.id,
    headSha: head,
  });
  await advance(
    deps.store,
    feature.id,
    { type: "agent_finished", agent: review, artifactVersion: null },
    {},
    { jobVersion: job.data.version },
  );
  await deps.relay.kick();
  return { review, pass: verdict.pass };
}

/**
 * The docs commit on its own, for the alignment reviewer to check the docs against the brief:
 * its diff, or the docs agent's reason for changing nothing; "" when there was no docs stage.
 */
async function docsForReview(
  deps: AgentJobDeps,
  repo: RepoRef,
  artifacts: LatestArtifacts,
): Promise<string> {
  const saved = artifacts.docs;
  if (!saved) return "";
  const docs = docsChanges(saved.content);
  if (!saved.commit_sha) {
    return fenceUntrusted(
      "docs agent",
      `No docs commit: nothing was worth documenting. ${docs.summary}`,
      5_000,
    );
  }
  const changed = await deps.github.diff(repo, docs.basedOn, saved.commit_sha);
  return fenceUntrusted(
    "docs commit diff",
    changed.map((c) => `--- ${c.path} (${c.status})\n${c.patch}`).join("\n\n"),
    60_000,
    "code",
  );
}

/** The flow's parent: all three reviews finished; pass only if every one passed. */
export async function runVerdict(deps: AgentJobDeps, job: Job<ReviewJobData>): Promise<void> {
  const results = Object.values(await job.getChildrenValues<ReviewResult>());
  const failed = (Object.keys(SHORT_NAMES) as Review[])
    .filter((review) => !results.some((r) => r.review === review && r.pass))
    .map((review) => SHORT_NAMES[review]);
  // The head's CI as recorded by now: a result that came in during the reviews counts here.
  const feature = await deps.store.findFeature(job.data.featureId);
  const recorded = feature?.headSha ? await deps.store.ciResult(feature.id, feature.headSha) : null;
  await advance(
    deps.store,
    job.data.featureId,
    {
      type: "review_verdict",
      pass: failed.length === 0,
      failed,
      ...(feature && recorded
        ? {
            ci: await featureCiReport(deps, feature, recorded.sha, recorded.state, recorded.checks),
          }
        : {}),
    },
    {},
    { jobVersion: job.data.version },
  );
  await deps.relay.kick();
}

const LEVELS: Record<Finding["severity"], CheckAnnotation["annotation_level"]> = {
  critical: "failure",
  high: "failure",
  medium: "warning",
  low: "notice",
  info: "notice",
};

function annotations(findings: Finding[]): CheckAnnotation[] {
  return findings.flatMap((f) =>
    f.path && f.line
      ? [
          {
            path: f.path,
            start_line: f.line,
            end_line: Math.max(f.line, f.endLine ?? f.line),
            annotation_level: LEVELS[f.severity],
            title: f.title,
            message: f.detail.slice(0, 4000),
          },
        ]
      : [],
  );
}
