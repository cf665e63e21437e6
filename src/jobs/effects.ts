import type { Job } from "bullmq";
import type { FeatureRecord } from "../adapters/store/features.ts";
import { type EffectsJobData, isSuperseded } from "../app/advance.ts";
import { agentJobPrefix, reviewJobPrefix } from "../app/job-ids.ts";
import type { Effect, ReplyEffect } from "../core/effects.ts";
import type { RepoRef } from "../ports/github.ts";
import { fitComment, renderMarkdown } from "../views.ts";
import { approveProtectedCheck } from "./agent/protected-files.ts";
import { ciIntent } from "./ci.ts";
import { isFirstRun, type JobDeps } from "./deps.ts";
import { agentIntent, reviewsIntent } from "./intents.ts";
import { statusIntent } from "./status.ts";

/** The hidden marker that finds a reply again, so a retried job edits instead of reposting. */
export function replyMarker(featureId: number | null, key: string): string {
  return `<!-- practical:reply feature=${featureId ?? "none"} key=${key} -->`;
}

/** A reply's comment body, carrying its marker. */
function replyOf(effect: ReplyEffect, feature: FeatureRecord | null, issueNumber: number) {
  const marker = replyMarker(feature?.id ?? null, effect.key);
  const body = renderMarkdown(
    `comments/${effect.view}`,
    { ...effect.data, issueNumber },
    feature?.language,
  );
  return { marker, body: fitComment(body, marker) };
}

/** Performs one transition's effects in order. Every step is idempotent. */
export async function performEffects(deps: JobDeps, job: Job<EffectsJobData>): Promise<void> {
  const { featureId, target, effects, version } = job.data;
  const repo: RepoRef = target;
  const feature = featureId === null ? null : await deps.store.findFeature(featureId);
  const firstRun = isFirstRun(job);
  for (const effect of effects) {
    await performEffect(deps, repo, target.issueNumber, feature, effect, firstRun, version);
  }
}

async function performEffect(
  deps: JobDeps,
  repo: RepoRef,
  issueNumber: number,
  feature: FeatureRecord | null,
  effect: Effect,
  firstRun: boolean,
  version: number | undefined,
): Promise<void> {
  switch (effect.type) {
    case "react":
      await deps.github.addReaction(
        repo,
        effect.commentId === null ? { issueNumber } : { commentId: effect.commentId },
        effect.content,
      );
      return;
    case "reply": {
      const { marker, body } = replyOf(effect, feature, issueNumber);
      const ensure = () =>
        deps.github.ensureComment(repo, issueNumber, marker, body, {
          firstRun: firstRun && !effect.shared,
        });
      // A shared reply (one notice for many jobs) is looked up and created under a lock, or
      // concurrent jobs would each find none and each create one.
      await (effect.shared ? deps.store.withLock(marker, ensure) : ensure());
      return;
    }
    case "sync_status":
      if (feature) await deps.queue.enqueue(statusIntent(feature.id));
      return;
    // A job whose start a later cancel or retry already superseded is not started at all.
    case "run_agent":
      if (feature && !isSuperseded(feature, version)) {
        await deps.queue.enqueue(agentIntent(feature.id, effect, version));
      }
      return;
    case "run_reviews":
      if (feature && !isSuperseded(feature, version)) {
        await deps.queue.enqueue(reviewsIntent(feature.id, effect.key, version));
      }
      return;
    case "cancel_jobs":
      if (feature) {
        await deps.queue.removeJobs(agentJobPrefix(feature.id));
        await deps.queue.removeJobs(reviewJobPrefix(feature.id));
      }
      return;
    case "remove_label":
      await deps.github.removeLabel(repo, issueNumber, effect.name);
      return;
    case "close_issue":
      await deps.github.closeIssue(repo, issueNumber, effect.reason);
      return;
    case "mark_pr_ready":
      if (feature?.prNumber) {
        const announce = effect.announce && {
          issueNumber,
          ...replyOf(effect.announce, feature, issueNumber),
          firstRun,
        };
        await deps.github.markPullRequestReady(repo, feature.prNumber, announce);
      }
      return;
    case "check_ci":
      if (feature) await deps.queue.enqueue(ciIntent(feature.id, effect.sha));
      return;
    case "approve_protected":
      if (feature) await approveProtectedCheck(deps, feature, effect.approver, effect.commit);
      return;
    case "record_approval":
      return; // recorded in the transaction that produced it
  }
}
