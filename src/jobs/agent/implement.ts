// The code stage and its fix rounds: the implementer works over a snapshot of the branch head
// through tools, and everything it wrote becomes one commit.

import type { PlanTaskProgress } from "../../adapters/store/schema.ts";
import { runImplementer } from "../../agents/implementer/loop.ts";
import { fenceUntrusted } from "../../agents/prompts.ts";
import { advance, targetOf } from "../../app/advance.ts";
import { LOG_BUDGET_CHARS, trimLog } from "../../core/ci-log.ts";
import type { FixSource } from "../../core/effects.ts";
import { checkTasksDone } from "../../core/trace.ts";
import type { RepoRef } from "../../ports/github.ts";
import { renderMarkdown } from "../../views.ts";
import { contentHash } from "../deps.ts";
import { REVIEWS } from "../intents.ts";
import { branchOf, type CodeChanges, codeChanges, commitStep } from "./branch.ts";
import { type AgentJob, readArtifacts } from "./context.ts";
import { pathPolicy } from "./protected-files.ts";

export async function implement(job: AgentJob): Promise<void> {
  const { deps, feature, data, repoContext } = job;
  const repo = targetOf(feature);
  let [saved] = await deps.store.stepArtifacts(feature.id, data.key);
  if (!saved) {
    // The branch as it is now: the implementer reads (and so builds on) anyone's pushes.
    const snapshot = await deps.github.snapshot(repo, branchOf(feature, repoContext.config));
    if (snapshot.truncated) {
      deps.log.warn({ featureId: feature.id, sha: snapshot.sha }, "GitHub truncated the file tree");
    }
    const artifacts = await readArtifacts(deps.store, feature.id);
    const findings = data.fix ? await readFindings(job, repo, data.fix) : "";
    const result = await runImplementer(deps, {
      call: job.call({
        mode: data.fix ? "fix" : "implement",
        brief: artifacts.brief?.content ?? "",
        spec: artifacts.spec?.content ?? "",
        plan: artifacts.plan?.content ?? "",
        tasks: taskList(feature.tasks),
        tests: artifacts.tests?.content ?? "",
        findings,
      }),
      snapshot,
      // The snapshot is the baseline: a package.json write is protected when its scripts change.
      policy: {
        ...pathPolicy(repoContext.config, artifacts.plan?.content ?? ""),
        baseline: snapshot.files,
      },
      secretLiterals: [job.apiKey],
      readOnly: artifacts.tests?.files.map((f) => f.path) ?? [],
      readHidden: (path) => deps.github.readFile(repo, path, snapshot.sha),
    });
    // A task is done when the change touches what the plan said it would.
    const checked = checkTasksDone(
      feature.tasks,
      result.finish.tasksDone,
      result.changes.map((c) => c.path),
    );
    const notDone = checked.notDone.map(
      (t) =>
        `${t.id} was reported done, but none of its planned files changed (${t.files.join(", ")}).`,
    );
    const code: CodeChanges = {
      changes: result.changes,
      summary: [result.finish.summary, ...notDone].join("\n\n"),
      tasksDone: checked.done,
      basedOn: snapshot.sha,
    };
    const content = JSON.stringify(code);
    await job.ensureCurrent("the implementer's changes");
    await deps.store.transaction(async (tx) => {
      await tx.saveArtifact({
        featureId: feature.id,
        stage: "code",
        path: "changes.json",
        content,
        contentHash: contentHash(content),
        step: data.key,
      });
      const done = new Set(code.tasksDone);
      await tx.updateFeatureLinks(feature.id, {
        tasks: feature.tasks.map((t) => ({ ...t, done: t.done || done.has(t.id) })),
      });
    });
    [saved] = await deps.store.stepArtifacts(feature.id, data.key);
  }
  if (!saved) throw new Error("the implementer's changes were not saved");
  const code = codeChanges(saved.content);
  const { sha, protectedChanges } = await commitStep(
    job,
    {
      key: data.key,
      subject: data.fix
        ? `fix: ${fixSubject(data.fix)} for #${feature.issueNumber}`
        : `feat: implement #${feature.issueNumber}`,
      files: code.changes,
    },
    code.basedOn,
  );
  await advance(
    deps.store,
    feature.id,
    {
      type: "agent_finished",
      agent: "implement",
      artifactVersion: sha,
      ...(protectedChanges ? { protectedChanges } : {}),
    },
    {},
    { jobVersion: data.version },
  );
}

/** Each task as the plan gave it: title, files, what to do, and the requirements it serves. */
export function taskList(tasks: PlanTaskProgress[]): string {
  return tasks
    .map((t) => {
      const requirements = t.requirements ?? [...new Set(t.detail?.match(/\bFR-\d+\b/g) ?? [])];
      return [
        `### ${t.id} ${t.title}${t.done ? " (done)" : ""}`,
        ...(t.files && t.files.length > 0 ? [`Files: ${t.files.join(", ")}`] : []),
        ...(requirements.length > 0 ? [`Requirements: ${requirements.join(", ")}`] : []),
        ...(t.detail ? [t.detail] : []),
      ].join("\n");
    })
    .join("\n\n");
}

function fixSubject(fix: FixSource): string {
  switch (fix.kind) {
    case "reviews":
      return `address ${fix.failed.join(", ")} review findings`;
    case "changes_requested":
      return `address review by @${fix.by}`;
    case "fix_command":
      return `apply /fix from @${fix.by}`;
    case "fix_findings":
      return "address check run findings";
    case "ci":
      return "make CI pass";
    case "retry":
      return "resume fixing";
  }
}

/** What to fix, read from where the request came from; all of it is data, never instructions. */
async function readFindings(job: AgentJob, repo: RepoRef, fix: FixSource): Promise<string> {
  const { deps, feature, data } = job;
  const request = data.instructions ? `${data.instructions}\n\n` : "";
  switch (fix.kind) {
    case "reviews": {
      const parts: string[] = [];
      for (const review of REVIEWS) {
        const run = await deps.store.latestAgentRun(feature.id, review);
        const detail = run?.detail as
          | { verdict?: string; summary?: string; findings?: unknown[] }
          | undefined;
        if (detail?.verdict !== "fail") continue;
        parts.push(
          `## ${review}: ${detail.summary ?? ""}\n\n${renderMarkdown("checks/findings", { findings: detail.findings ?? [] })}`,
        );
      }
      return request + fenceUntrusted("review findings", parts.join("\n\n"), 60_000);
    }
    case "changes_requested": {
      if (feature.prNumber === null) return request;
      const review = await deps.github.readReview(repo, feature.prNumber, fix.reviewId);
      const comments = review.comments
        .map((c) => `- ${c.path}${c.line ? `:${c.line}` : ""}: ${c.body}`)
        .join("\n");
      return (
        request +
        fenceUntrusted(`pull request review by ${fix.by}`, `${review.body}\n\n${comments}`, 40_000)
      );
    }
    case "fix_command":
      return fenceUntrusted(`/fix request by ${fix.by}`, data.instructions ?? "", 8_000);
    case "fix_findings": {
      const run = await deps.github.readCheckRun(repo, fix.checkRunId);
      return request + fenceUntrusted(`check run ${run.name}`, checkText(run), 40_000);
    }
    case "ci": {
      if (fix.sha) {
        return (
          request +
          fenceUntrusted("repository CI failures", await ciFailures(job, repo, fix.sha), 60_000)
        );
      }
      const runs = await deps.github.failedChecksOfSuite(repo, fix.checkSuiteId);
      return (
        request + fenceUntrusted("repository CI failures", runs.map(checkText).join("\n\n"), 40_000)
      );
    }
    case "retry":
      return request;
  }
}

/**
 * The failing checks of a commit: each check run's annotations and report and, for GitHub
 * Actions, its job log trimmed to the failures; for other CI the run's output text and where
 * to see more; for a status its description and link.
 */
async function ciFailures(job: AgentJob, repo: RepoRef, sha: string): Promise<string> {
  const { deps, feature } = job;
  const recorded = await deps.store.ciResult(feature.id, sha);
  const failing = (recorded?.checks ?? []).filter((c) => c.state === "failure");
  if (failing.length === 0) return `CI failed on ${sha}, but no failing check was recorded.`;
  const budget = Math.floor(LOG_BUDGET_CHARS / failing.length);
  const parts: string[] = [];
  for (const check of failing) {
    if (check.kind === "status") {
      parts.push(
        `## ${check.name} (commit status: ${check.conclusion ?? "failure"})\n\n${check.url ?? ""}`,
      );
      continue;
    }
    const run = await deps.github.readCheckRun(repo, check.id);
    let more: string;
    if (check.app === "github-actions") {
      const log = await deps.github.jobLog(repo, check.id);
      more =
        log === null
          ? "The job's log could not be read (the app may not have been granted `actions: read` yet); only the check's own report is above."
          : `Job log (failing parts):\n\n${trimLog(log, budget)}`;
    } else {
      const text = await deps.github.checkRunText(repo, check.id);
      more = `${text.slice(0, budget)}\n\nDetails: ${check.url ?? "none given"}`;
    }
    parts.push(`${checkText(run)}\n\n${more}`);
  }
  return parts.join("\n\n");
}

function checkText(run: {
  name: string;
  conclusion: string | null;
  title: string | null;
  summary: string | null;
  annotations: { path: string; line: number; message: string }[];
}): string {
  const lines = run.annotations.map((a) => `- ${a.path}:${a.line}: ${a.message}`).join("\n");
  return `## ${run.name} (${run.conclusion ?? "unknown"}): ${run.title ?? ""}\n\n${run.summary ?? ""}\n\n${lines}`;
}
