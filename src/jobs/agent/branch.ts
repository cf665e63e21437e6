// The feature branch and its pull request: one commit per stage, one draft PR found again by
// its head branch, its body rebuilt from the database after a stage's commits.

import type { FeatureRecord } from "../../adapters/store/features.ts";
import type { TitleOutput } from "../../agents/schemas.ts";
import { advance, targetOf } from "../../app/advance.ts";
import type { RepoConfig } from "../../config/repo-config.ts";
import { CI_STAGES, ciRows, taskCommitLabels, taskRows } from "../../core/ci-view.ts";
import { encodePathSegment, markdownFileLink, neutralise } from "../../core/neutralise.ts";
import type { FileChange } from "../../ports/github.ts";
import { renderMarkdown } from "../../views.ts";
import { followCi } from "../ci.ts";
import type { JobDeps } from "../deps.ts";
import { type AgentJob, readArtifacts } from "./context.ts";
import { docsChanges } from "./docs-record.ts";
import { checkCommitFiles, pathPolicy, publishProtectedCheck } from "./protected-files.ts";

/** `<prefix><issue>-<slug>`, fixed once the first commit is made. */
export function branchOf(feature: FeatureRecord, config: RepoConfig): string {
  return feature.branch ?? `${config.branch_prefix}${feature.issueNumber}-${feature.slug}`;
}

/** Where the brief, spec and plan of a feature are committed. */
export function docsFolder(feature: FeatureRecord, config: RepoConfig): string {
  return `${config.docs_folder.replace(/\/+$/, "")}/${feature.issueNumber}-${feature.slug}`;
}

/** The trailer that finds a step's commit again when its job runs twice. */
export const stepMarker = (featureId: number, key: string) =>
  `Practical-Step: f${featureId}-${key}`;

export interface Step {
  /** The job key; unique per step and attempt of the pipeline (e.g. `spec-v7`). */
  key: string;
  subject: string;
  files: FileChange[];
  /** Git trailers (`Requirements: FR-1`, `Refs: #12`) before the step's marker. */
  trailers?: string[];
  /** The plan tasks this commit carries out or fixes: recorded with their progress. */
  tasks?: string[];
  /**
   * False when a later commit of the same job follows at once (the plan's next task): the PR
   * body is rewritten after that one, a write per stage rather than per commit. The status
   * comment shows each task as it lands.
   */
  refreshPullRequest?: boolean;
}

/**
 * Commits a step's files as one commit on the feature branch, on top of the head the app last
 * saw (never overwriting someone else's push), then opens or refreshes the draft PR.
 */
export async function commitStep(job: AgentJob, step: Step, basedOn = job.feature.headSha) {
  const { deps, feature, repoContext } = job;
  const branch = branchOf(feature, repoContext.config);
  // Every stage's files pass the same policy and secret scanner as the implementer's writes.
  const plan = (await readArtifacts(deps.store, feature.id)).plan?.content ?? "";
  const protectedFiles = await checkCommitFiles(deps, targetOf(feature), step.files, {
    policy: pathPolicy(repoContext.config, plan),
    secrets: [job.apiKey],
    ref: basedOn ?? repoContext.defaultBranch,
    what: `the commit "${step.subject}"`,
  });
  const marker = stepMarker(feature.id, step.key);
  // Trailers end the message, one paragraph, the marker last (git interpret-trailers reads them).
  const message = step.trailers
    ? `${step.subject}\n\n${[...step.trailers, marker].join("\n")}`
    : `${step.subject}\n\nFor #${feature.issueNumber}.\n\n${marker}`;
  // The feature's first commit is likely to create the branch: the draft PR is opened with it.
  const pullRequest =
    !feature.headSha && !feature.prNumber
      ? {
          title: await pullRequestTitle(job),
          body: await pullRequestBody(deps, feature, repoContext.config, step.key),
        }
      : undefined;
  // The last moment to drop a superseded job's work: nothing of it reaches the branch.
  await job.ensureCurrent(`the commit "${step.subject}"`);
  const committed = await deps.github.commitFiles(targetOf(feature), {
    branch,
    base: repoContext.defaultBranch,
    message,
    marker,
    files: step.files,
    basedOn,
    firstRun: job.firstRun,
    repositoryId: repoContext.repositoryId,
    ...(pullRequest ? { pullRequest } : {}),
  });
  const { sha, unchanged, branchCreated } = committed;
  if (committed.pullRequest) {
    await deps.store.updateFeatureLinks(feature.id, { prNumber: committed.pullRequest.number });
  }
  // Nothing to commit: the app has not read the head's other changes (someone else's push),
  // so the next step keeps checking against the head it last wrote.
  const headSha = unchanged && basedOn ? basedOn : sha;
  await deps.store.updateFeatureLinks(feature.id, { branch, headSha });
  await deps.store.setArtifactCommit(feature.id, step.key, sha);
  if (step.tasks && !unchanged) await recordTaskCommit(deps, feature.id, step.tasks, sha);
  // After the head moved: a CI reading of this commit may then go to the pipeline.
  const stage = job.data.agent === "implement" ? "code" : job.data.agent;
  if (CI_STAGES.has(stage)) await followCi(deps, feature.id, sha, stage, repoContext.config);
  if (step.refreshPullRequest !== false && !committed.pullRequest) {
    // Read again: this step has just saved its artifacts and task progress, which the PR shows.
    const updated = (await deps.store.findFeature(feature.id)) ?? { ...feature, branch, headSha };
    await ensurePullRequest(job, updated, branchCreated === true);
  }
  if (protectedFiles.length > 0 || (feature.protectedPending && !unchanged)) {
    await publishProtectedCheck(
      deps,
      feature,
      sha,
      protectedFiles,
      feature.protectedPending ?? null,
    );
  }
  return { sha, protectedChanges: protectedFiles.length > 0 };
}

/** The tasks' progress: committed, with `sha` appended to their commits (once). */
// The implementing job is the only writer of the task progress while it runs.
async function recordTaskCommit(deps: JobDeps, featureId: number, ids: string[], sha: string) {
  const feature = await deps.store.findFeature(featureId);
  if (!feature) return;
  // Progress first: whoever sees the task's commit sees the stuck sweep's clock restarted.
  await deps.store.markProgress(featureId);
  await deps.store.updateFeatureLinks(featureId, {
    tasks: feature.tasks.map((t) =>
      ids.includes(t.id) && !(t.commits ?? []).includes(sha)
        ? { ...t, done: true, commits: [...(t.commits ?? []), sha] }
        : t,
    ),
  });
}

async function ensurePullRequest(job: AgentJob, feature: FeatureRecord, newBranch: boolean) {
  const { deps, repoContext } = job;
  await job.ensureCurrent("the pull request");
  const pr = await deps.github.ensurePullRequest(targetOf(feature), {
    head: branchOf(feature, repoContext.config),
    base: repoContext.defaultBranch,
    title: await pullRequestTitle(job),
    body: await pullRequestBody(deps, feature, repoContext.config),
    knownNumber: feature.prNumber,
    newBranch,
  });
  if (pr.number !== feature.prNumber) {
    await deps.store.updateFeatureLinks(feature.id, { prNumber: pr.number });
  }
}

/** The title agent's answer, asked once per feature and kept. */
async function pullRequestTitle(job: AgentJob): Promise<string> {
  const { deps, feature } = job;
  const [kept] = await deps.store.stepArtifacts(feature.id, "title");
  if (kept) return kept.content;
  const artifacts = await readArtifacts(deps.store, feature.id);
  const { output } = await job.run<TitleOutput>(
    { brief: artifacts.brief?.content ?? feature.issueTitle },
    "title",
  );
  await deps.store.saveArtifact({
    featureId: feature.id,
    stage: "title",
    path: "title",
    content: output.title,
    contentHash: "",
    step: "title",
  });
  return output.title;
}

const PR_STAGES = [
  { stage: "brief", label: "Brief", gate: "brief" },
  { stage: "spec", label: "Specification", gate: "spec" },
  { stage: "plan", label: "Plan", gate: "plan" },
  { stage: "tests", label: "Contract tests", gate: "tests" },
  { stage: "code", label: "Code", gate: null },
  { stage: "docs", label: "Docs", gate: null },
] as const;

/** The PR body: stages with links to each committed file, the approvals, the tasks. */
export async function pullRequestBody(
  deps: JobDeps,
  feature: FeatureRecord,
  config: RepoConfig,
  /** The step being committed with this body: its artifacts count as committed. */
  committing?: string,
): Promise<string> {
  const [artifacts, approvals, ci, taskCode] = await Promise.all([
    readArtifacts(deps.store, feature.id),
    deps.store.listApprovals(feature.id),
    deps.store.ciResults(feature.id),
    deps.store.artifactsOfCommits(
      feature.id,
      feature.tasks.flatMap((t) => t.commits ?? []),
    ),
  ]);
  const branch = branchOf(feature, config).split("/").map(encodePathSegment).join("/");
  const blob = `${deps.config.githubWebUrl}/${feature.repoOwner}/${feature.repoName}/blob/${branch}/`;
  // Paths, titles and the summary are the models' words: shown, never acted on.
  const safe = { githubWebUrl: deps.config.githubWebUrl };
  // The code of every task commit, then the latest code step (a fix round) when it is not one.
  const codeSteps = [
    ...taskCode.filter((a) => a.stage === "code"),
    ...(artifacts.code && !taskCode.some((a) => a.id === artifacts.code?.id)
      ? [artifacts.code]
      : []),
  ].map((a) => codeChanges(a.content));
  const written = (changes: FileChange[]) =>
    changes.filter((f) => f.content !== null).map((f) => f.path);
  const code =
    codeSteps.length > 0
      ? {
          paths: [...new Set(codeSteps.flatMap((c) => written(c.changes)))],
          summary: clip(codeSteps.map((c) => c.summary).join("\n\n"), SUMMARY_CHARS),
        }
      : null;
  const docs = artifacts.docs ? docsChanges(artifacts.docs.content) : null;
  const stages = PR_STAGES.filter(({ stage }) => stage !== "docs" || feature.docs !== false).map(
    ({ stage, label, gate }) => {
      const artifact = artifacts[stage];
      const paths =
        stage === "code"
          ? (code?.paths ?? [])
          : stage === "docs"
            ? written(docs?.changes ?? [])
            : (artifact?.files.map((f) => f.path) ?? []);
      const approval = gate ? approvals.findLast((a) => a.gate === gate) : undefined;
      const committed =
        artifact?.commit_sha != null || (committing !== undefined && artifact?.step === committing);
      return {
        label,
        done: committed || (stage === "brief" && approval !== undefined),
        files: committed ? paths.map((p) => ({ link: markdownFileLink(p, blob) })) : [],
        approval: approval
          ? {
              approver: approval.approver,
              version: approval.artifact_version,
              stale: gate !== null && feature.artifacts[gate] !== approval.artifact_version,
            }
          : null,
      };
    },
  );
  return renderMarkdown("pr/body", {
    issueNumber: feature.issueNumber,
    briefTitle: neutralise(artifacts.brief?.content.match(/^# (.+)$/m)?.[1] ?? "", safe),
    stages,
    tasks: taskRows(
      feature.tasks.map((t) => ({ ...t, title: neutralise(t.title, safe) })),
      ci,
      new Set(),
    ),
    summary: neutralise(code?.summary ?? "", safe),
    ci: ciRows(ci, deps.config.ciWaitMinutes, taskCommitLabels(feature.tasks)),
  });
}

/** The implementer's summaries in the PR body: thirty tasks' worth would crowd out the rest. */
const SUMMARY_CHARS = 12_000;

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** What the implementer's step saved: the changed files and its own summary. */
export interface CodeChanges {
  changes: FileChange[];
  summary: string;
  tasksDone: string[];
  /** The snapshot the implementer read: the commit must build on it. */
  basedOn: string;
}

export function codeChanges(content: string): CodeChanges {
  return JSON.parse(content) as CodeChanges;
}

/**
 * Tells the pipeline an editing agent (the implementer, the docs agent) is done with its step:
 * the commit it made (null: nothing to commit) and whether it changed protected files.
 */
export async function finishEditingStep(
  job: AgentJob,
  agent: "implement" | "docs",
  committed: { sha: string | null; protectedChanges?: boolean },
): Promise<void> {
  await advance(
    job.deps.store,
    job.feature.id,
    {
      type: "agent_finished",
      agent,
      artifactVersion: committed.sha,
      ...(committed.protectedChanges ? { protectedChanges: true } : {}),
    },
    {},
    { jobVersion: job.data.version },
  );
}
