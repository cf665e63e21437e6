import { createHash } from "node:crypto";
import type { LatestArtifacts } from "../adapters/store/artifacts.ts";
import type { FeatureRecord } from "../adapters/store/features.ts";
import { targetOf } from "../app/advance.ts";
import { statusJobId } from "../app/job-ids.ts";
import {
  featureBudgetUsd,
  monthlyBudgetUsd,
  monthStart,
  parseInstallationSettings,
} from "../config/installation-settings.ts";
import { ciRows, taskCommitLabels, taskRows, testsGateNote } from "../core/ci-view.ts";
import { GATE_STAGE, GATES, STAGES, type Stage } from "../core/feature.ts";
import { neutralise } from "../core/neutralise.ts";
import { availableCommands } from "../core/stages.ts";
import { taskUnits } from "../core/tasks.ts";
import { coverage } from "../core/trace.ts";
import type { JobIntent } from "../ports/queue.ts";
import { fitComment, renderMarkdown } from "../views.ts";
import { docsChanges } from "./agent/docs-record.ts";
import { loadRepoContext } from "./agent/repo-context.ts";
import type { JobDeps } from "./deps.ts";

/** The stages a person follows, in order, for the checklist (named by `checklist.<stage>`). */
const CHECKLIST: Stage[] = [
  "drafting",
  "spec_ready",
  "plan_ready",
  "tests_ready",
  "implementing",
  "documenting",
  "reviewing",
  "awaiting_merge",
  "done",
];
/** The happy path in order; failed, cancelled and abandoned are off it. */
const ORDER: Stage[] = STAGES.filter((s) => !["failed", "cancelled", "abandoned"].includes(s));

export const statusMarker = (featureId: number) => `<!-- practical:status feature=${featureId} -->`;
export const STAGE_LABEL_PREFIX = "practical:";
export const stageLabel = (stage: Stage) => `${STAGE_LABEL_PREFIX}${stage.replaceAll("_", "-")}`;

/** Transitions come in bursts (an agent finishes, the next starts): one status write for each burst. */
export const STATUS_DEBOUNCE_MS = 1_000;

export function statusIntent(featureId: number): JobIntent {
  return {
    queue: "pipeline",
    name: "status",
    jobId: statusJobId(featureId),
    data: { featureId },
    debounceMs: STATUS_DEBOUNCE_MS,
  };
}

/** Everything the status comment shows, read fresh so that the last sync always wins. */
export async function buildStatusData(deps: JobDeps, feature: FeatureRecord) {
  const [approvals, usage, alignment, artifacts, ci, budget] = await Promise.all([
    deps.store.listApprovals(feature.id),
    deps.store.usageTotals(feature.id),
    deps.store.latestAgentRun(feature.id, "alignment_review"),
    deps.store.latestArtifacts(feature.id),
    deps.store.ciResults(feature.id),
    budgets(deps, feature),
  ]);
  const testsCi = ci.findLast((r) => r.stage === "tests" && r.sha === feature.artifacts.tests);
  const reached = ORDER.indexOf(feature.checkpoint ?? feature.stage);
  const repoUrl = `${deps.config.githubWebUrl}/${feature.repoOwner}/${feature.repoName}`;
  const stale = GATES.filter(
    (g) =>
      feature.approvals[g] && feature.artifacts[g] && feature.approvals[g] !== feature.artifacts[g],
  );
  const safe = { githubWebUrl: deps.config.githubWebUrl };
  const review = alignment?.detail as
    | { gate?: string; recommendation?: string; reasons?: string[] }
    | undefined;
  return {
    marker: statusMarker(feature.id),
    issueNumber: feature.issueNumber,
    stage: feature.stage,
    failureReason: feature.failureReason ?? "",
    checklist: CHECKLIST.filter((stage) => stage !== "documenting" || feature.docs !== false).map(
      (stage) => {
        const index = ORDER.indexOf(stage);
        const note = stage === "documenting" ? nothingDocumented(artifacts, safe) : "";
        return {
          key: note ? "checklist.documenting_nothing" : `checklist.${stage}`,
          note,
          done: reached > index || feature.stage === "done",
          current: feature.stage === stage,
        };
      },
    ),
    approvals: approvals.map((a) => ({
      gate: a.gate,
      approver: a.approver,
      version: a.artifact_version.slice(0, 7),
      stale:
        stale.includes(a.gate as (typeof GATES)[number]) &&
        feature.approvals[a.gate as (typeof GATES)[number]] === a.artifact_version,
      at: a.created_at.toISOString().slice(0, 16).replace("T", " "),
    })),
    alignment: review?.recommendation
      ? {
          gate: review.gate ?? "",
          recommendation: review.recommendation,
          // The alignment reviewer's words: shown, never acted on.
          reasons: (review.reasons ?? []).map((r) =>
            neutralise(r.replace(/\s*[\r\n]+\s*/g, " "), {
              githubWebUrl: deps.config.githubWebUrl,
            }),
          ),
        }
      : null,
    branchUrl: feature.branch ? `${repoUrl}/tree/${feature.branch}` : "",
    branch: feature.branch ?? "",
    prUrl: feature.prNumber ? `${repoUrl}/pull/${feature.prNumber}` : "",
    prNumber: feature.prNumber ?? 0,
    usage,
    budget,
    protectedPending: feature.protectedPending ?? "",
    tasks: taskRows(
      feature.tasks.map((t) => ({
        ...t,
        title: neutralise(t.title.replace(/\s*[\r\n]+\s*/g, " "), {
          githubWebUrl: deps.config.githubWebUrl,
        }),
      })),
      ci,
      writingTasks(feature),
    ),
    tasksDone: feature.tasks.filter((t) => t.done).length,
    commands: availableCommands(feature),
    gateStage: Object.values(GATE_STAGE).includes(feature.stage),
    ci: ciRows(ci, deps.config.ciWaitMinutes, taskCommitLabels(feature.tasks)),
    testsGateNote:
      feature.stage === "tests_ready" ? testsGateNote(testsCi, deps.config.ciWaitMinutes) : null,
    coverage: coverageData(feature, artifacts),
  };
}

/** While implementing, the tasks of the first unit without a commit are being written. */
function writingTasks(feature: FeatureRecord): Set<string> {
  if (feature.stage !== "implementing") return new Set();
  const next = taskUnits(feature.tasks).find((u) => u.tasks.some((t) => !t.commits?.length));
  return new Set(next?.ids ?? []);
}

/** The docs agent's reason when it found nothing worth documenting (no docs commit), else "". */
function nothingDocumented(artifacts: LatestArtifacts, safe: { githubWebUrl: string }): string {
  const saved = artifacts.docs;
  if (!saved || saved.commit_sha) return "";
  // The docs agent's words: shown, never acted on.
  return neutralise(docsChanges(saved.content).summary.replace(/\s*[\r\n]+\s*/g, " "), safe);
}

/**
 * Criterion → requirements → tasks → tests, from the artifacts of the stages the feature has
 * now (after /revise the older spec, plan and tests no longer count); null before the spec.
 */
function coverageData(feature: FeatureRecord, artifacts: LatestArtifacts) {
  const current = (gate: "spec" | "plan" | "tests") =>
    feature.artifacts[gate] !== undefined ? artifacts[gate] : undefined;
  const brief = artifacts.brief?.content;
  const spec = current("spec");
  if (brief === undefined || spec === undefined) return null;
  const table = coverage({
    brief,
    spec: spec.content,
    plan: current("plan")?.content,
    tests: current("tests")?.files,
  });
  if (table.rows.length === 0) return null;
  const list = (values: string[]) => (values.length > 0 ? values.join(", ") : "—");
  return {
    rows: table.rows.map((r) => ({
      criterion: r.criterion,
      requirements: list(r.requirements),
      tasks: table.has.plan ? list(r.tasks) : "…",
      tests: table.has.tests ? list(r.tests.map((t) => `\`${t.replace(/[`|\r\n]/g, "")}\``)) : "…",
      gap: r.gap ? `status.gap.${r.gap.replaceAll(" ", "_")}` : "",
    })),
    untested: table.untested.join(", "),
  };
}

/** The feature's and the installation's budgets with what each has spent, for the status. */
async function budgets(deps: JobDeps, feature: FeatureRecord) {
  const [installation, monthSpent] = await Promise.all([
    deps.store.findInstallation(feature.installationId),
    deps.store.installationSpend(feature.installationId, monthStart()),
  ]);
  const settings = parseInstallationSettings(installation?.settings);
  // The repository's budget_usd wins; its config is cached for a minute by the agent jobs.
  const repoBudget = await loadRepoContext(deps, feature).then(
    (context) => context.config.budget_usd,
    () => undefined,
  );
  return {
    feature: featureBudgetUsd(settings, repoBudget),
    monthly: monthlyBudgetUsd(settings),
    monthSpent,
  };
}

/**
 * Creates or edits the one status comment and mirrors the stage in a label. A digest of what
 * was last written skips the GitHub calls when nothing changed (most transitions change one
 * line, many change nothing visible).
 */
export async function syncStatus(deps: JobDeps, feature: FeatureRecord): Promise<FeatureRecord> {
  const repo = targetOf(feature);
  const data = await buildStatusData(deps, feature);
  const body = fitComment(renderMarkdown("comments/status", data, feature.language), data.marker);
  const label = stageLabel(feature.stage);
  const bodyDigest = createHash("sha256").update(body).digest("hex").slice(0, 16);
  // What was written last time: "<body digest> <label>".
  const [writtenBody, labelSynced] = (feature.statusDigest ?? "").split(" ");
  let commentId = feature.statusCommentId;
  if (commentId === null || writtenBody !== bodyDigest) {
    const comment = await deps.github.ensureComment(repo, feature.issueNumber, data.marker, body, {
      knownId: feature.statusCommentId,
    });
    commentId = comment.id;
  }
  if (labelSynced !== label) {
    await deps.github.syncLabels(
      repo,
      feature.issueNumber,
      label,
      STAGE_LABEL_PREFIX,
      labelSynced || undefined,
    );
  }
  const digest = `${bodyDigest} ${label}`;
  if (digest !== feature.statusDigest || commentId !== feature.statusCommentId) {
    await deps.store.updateFeatureLinks(feature.id, {
      statusCommentId: commentId,
      statusDigest: digest,
    });
  }
  return { ...feature, statusCommentId: commentId, statusDigest: digest };
}
