// The repository's CI on the commits the app makes: every other app's check runs and the
// commit statuses, read again whenever a CI webhook comes in and once more when the wait is
// over. Each reading is recorded per commit; a result on the branch head goes to the pipeline.

import type { CiState } from "../adapters/store/ci-results.ts";
import type { FeatureRecord } from "../adapters/store/features.ts";
import type { CiCheck } from "../adapters/store/schema.ts";
import { advance, targetOf } from "../app/advance.ts";
import { ciJobId } from "../app/job-ids.ts";
import { type RepoConfig, readRepoConfig } from "../config/repo-config.ts";
import type { CiReport } from "../core/events.ts";
import { isTerminal } from "../core/stages.ts";
import { taskToFix } from "../core/tasks.ts";
import type { CiCheckReport } from "../ports/github.ts";
import type { JobIntent } from "../ports/queue.ts";
import type { JobDeps } from "./deps.ts";
import { statusIntent } from "./status.ts";

export interface CiJobData {
  featureId: number;
  sha: string;
  /** The wait is over: no check by now means the repository has no CI for this commit. */
  deadline?: boolean;
}

/** Coalesced per commit: a burst of webhooks (a suite and its runs) is one reading. */
const READ_DELAY_MS = 500;

export function ciIntent(featureId: number, sha: string, deadlineMs?: number): JobIntent {
  const deadline = deadlineMs !== undefined;
  // A wait no longer than the read delay ends with the first reading: it is that reading (the
  // webhooks of the burst coalesce into it), not a second one.
  const first = deadlineMs !== undefined && deadlineMs <= READ_DELAY_MS;
  return {
    queue: "pipeline",
    name: "ci",
    jobId: ciJobId(featureId, sha, deadline && !first),
    data: { featureId, sha, ...(deadline ? { deadline: true } : {}) } satisfies CiJobData,
    debounceMs: deadline && !first ? deadlineMs : READ_DELAY_MS,
  };
}

/** How long to wait for a first CI report on a commit. */
export function ciWaitMs(deps: JobDeps, config: RepoConfig): number {
  return Math.round((config.ci.wait_minutes ?? deps.config.ciWaitMinutes) * 60_000);
}

/** Starts following a commit the app has just made: read now, and again when the wait is over. */
export async function followCi(
  deps: JobDeps,
  featureId: number,
  sha: string,
  stage: string,
  config: RepoConfig,
): Promise<void> {
  await deps.store.followCommit(featureId, sha, stage);
  const waitMs = ciWaitMs(deps, config);
  // A wait no longer than the read delay: the deadline's reading is the first one.
  if (waitMs > READ_DELAY_MS) await deps.queue.enqueue(ciIntent(featureId, sha));
  await deps.queue.enqueue(ciIntent(featureId, sha, waitMs));
}

/** Pending while anything runs (or may yet start); red when a check failed; green otherwise. */
export function summariseCi(checks: Pick<CiCheck, "state">[], waited: boolean): CiState {
  if (checks.length === 0) return waited ? "none" : "pending";
  if (checks.some((c) => c.state === "pending")) return "pending";
  return checks.some((c) => c.state === "failure") ? "failure" : "success";
}

/** What the pipeline is told about a recorded reading. */
export function ciReport(sha: string, state: CiState, checks: CiCheck[]): CiReport {
  const failing = checks.filter((c) => c.state === "failure");
  const report: CiReport = { sha, state, failing: failing.map((c) => c.name) };
  const first = failing[0];
  if (first) report.detail = `${first.name}: ${first.conclusion ?? "failure"}`;
  return report;
}

/** The report of a feature's commit; red on a plan task's commit names the task to fix. */
export async function featureCiReport(
  deps: JobDeps,
  feature: Pick<FeatureRecord, "id" | "tasks">,
  sha: string,
  state: CiState,
  checks: CiCheck[],
): Promise<CiReport> {
  const report = ciReport(sha, state, checks);
  if (state !== "failure" || feature.tasks.length === 0) return report;
  const task = taskToFix(feature.tasks, await deps.store.ciResults(feature.id), {
    sha,
    failing: report.failing,
  });
  return task ? { ...report, task } : report;
}

export async function runCiCheck(deps: JobDeps, data: CiJobData): Promise<void> {
  // The deadline and a webhook's reading may run at once: one at a time per commit.
  await deps.store.withLock(`ci-${data.featureId}-${data.sha}`, async () => {
    // The followed commit first: it is recorded after the feature's head moved to it.
    const followed = await deps.store.ciResult(data.featureId, data.sha);
    if (!followed) return; // not a commit the app made (someone else's push)
    // The deadline only tells "no CI" from "CI not reported yet": a commit with a result has
    // been reported to the pipeline already, and any later change arrives as a webhook.
    if (data.deadline && followed.state !== "pending") return;
    const feature = await deps.store.findFeature(data.featureId);
    if (!feature || isTerminal(feature.stage)) return;
    const repo = targetOf(feature);
    const { config } = await readRepoConfig(deps.github, repo);
    const ignored = new Set(config.ci.ignore);
    const reports = (await deps.github.ciChecks(repo, data.sha)).filter(
      (c) => c.appId !== deps.config.appId && !ignored.has(c.name),
    );
    const checks = reports.map(toCheck);
    const waited =
      data.deadline === true || Date.now() - followed.createdAt.getTime() >= ciWaitMs(deps, config);
    const state = summariseCi(checks, waited);
    if (!(await deps.store.recordCi(feature.id, data.sha, state, checks))) return;
    deps.log.info(
      { featureId: feature.id, sha: data.sha, state, checks: checks.length },
      "CI reading recorded",
    );
    await deps.queue.enqueue(statusIntent(feature.id));
    if (state !== "pending" && data.sha === feature.headSha) {
      await advance(deps.store, feature.id, {
        type: "ci_reported",
        ...(await featureCiReport(deps, feature, data.sha, state, checks)),
      });
      await deps.relay.kick();
    }
  });
}

function toCheck(report: CiCheckReport): CiCheck {
  return {
    name: report.name,
    kind: report.kind,
    id: report.id,
    app: report.app,
    state: report.state,
    conclusion: report.conclusion,
    url: report.url ?? report.detailsUrl,
  };
}
