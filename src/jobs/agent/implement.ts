// The code stage and its fix rounds. The implementer works through the plan's tasks in
// dependency order, one run and one commit per task (or group of small tasks), each run over a
// snapshot of the branch with the previous task's commit in it. A fix round is one run on top of
// the branch head; a CI failure sent back to a task works on that task only.

import type { PlanTaskProgress } from "../../adapters/store/schema.ts";
import { runImplementer } from "../../agents/implementer/loop.ts";
import { fenceUntrusted } from "../../agents/prompts.ts";
import { targetOf } from "../../app/advance.ts";
import { LOG_BUDGET_CHARS, trimLog } from "../../core/ci-log.ts";
import type { FixSource } from "../../core/effects.ts";
import {
  type TaskUnit,
  taskUnits,
  unitOf,
  unitScope,
  unitStepKey,
  unitSubject,
  unitTrailers,
} from "../../core/tasks.ts";
import { checkTasksDone } from "../../core/trace.ts";
import type { FileChange, RepoRef, Snapshot } from "../../ports/github.ts";
import { renderMarkdown } from "../../views.ts";
import { contentHash } from "../deps.ts";
import { REVIEWS } from "../intents.ts";
import { statusIntent } from "../status.ts";
import {
  branchOf,
  type CodeChanges,
  codeChanges,
  commitStep,
  finishEditingStep,
  type Step,
} from "./branch.ts";
import { type AgentJob, readArtifacts } from "./context.ts";
import { pathPolicy } from "./protected-files.ts";
import { readSnapshot } from "./repository.ts";

export async function implement(job: AgentJob): Promise<void> {
  const committed = job.data.fix ? await fixRound(job, job.data.fix) : await implementTasks(job);
  await finishEditingStep(job, "implement", committed);
}

interface Committed {
  sha: string;
  protectedChanges: boolean;
}

/**
 * Every task unit, in order, one commit each. A job that runs again (a crash, a retry) finds
 * the units it saved by their step keys, and a later job of the same plan (`/retry`) the units
 * with commits in the task progress; none is committed twice: its commit is found again by its
 * marker (and its protected files checked again), and the run goes on from the first unit
 * without saved changes.
 */
async function implementTasks(job: AgentJob): Promise<Committed> {
  const { deps, feature, data } = job;
  // A feature planned before tasks were kept: the whole plan in one run, as one commit.
  const units: TaskUnit<PlanTaskProgress>[] =
    feature.tasks.length > 0 ? taskUnits(feature.tasks) : [{ ids: [], tasks: [] }];
  let snapshot: Snapshot | null = null;
  let head: string | null = null;
  let anyProtected = false;
  let pendingProtected = feature.protectedPending ?? null;
  for (const unit of units) {
    // Stopped between tasks (/cancel, the sweep, a retry): no further task starts.
    job.signal.throwIfAborted();
    let key = unit.ids.length > 0 ? unitStepKey(data.key, unit) : data.key;
    let [saved] = await deps.store.stepArtifacts(feature.id, key);
    const earlier = unit.tasks[0]?.commits?.[0];
    if (!saved && earlier && unit.tasks.every((t) => (t.commits ?? []).length > 0)) {
      // Committed by an earlier job of this plan (a /retry after a failure): found again under
      // its own step, never redone.
      [saved] = (await deps.store.artifactsOfCommits(feature.id, [earlier])).filter(
        (a) => a.stage === "code",
      );
      if (saved?.step) key = saved.step;
    }
    let code: CodeChanges;
    if (saved) {
      code = codeChanges(saved.content);
    } else {
      // The branch as it is now, read once: the implementer reads (and so builds on) anyone's
      // pushes. Later tasks build on this snapshot with the commits made since.
      snapshot ??= await readBranch(job);
      code = await runUnit(job, unit, snapshot, key);
    }
    const step: Step =
      unit.ids.length > 0
        ? {
            key,
            subject: unitSubject(unit),
            files: code.changes,
            trailers: unitTrailers(unit, feature.issueNumber),
            tasks: unit.ids,
            refreshPullRequest: unit === units.at(-1),
          }
        : { key, subject: `feat: implement #${feature.issueNumber}`, files: code.changes };
    const committed = await commitStep(
      // Protected files of an earlier task still wait: each later commit's check says so.
      { ...job, feature: { ...job.feature, protectedPending: pendingProtected } },
      step,
      code.basedOn,
    );
    if (committed.protectedChanges) pendingProtected ??= committed.sha;
    anyProtected ||= committed.protectedChanges;
    head = committed.sha;
    if (snapshot) snapshot = withChanges(snapshot, committed.sha, code.changes);
    // The task list shows this task committed and the next one being written.
    await deps.queue.enqueue(statusIntent(feature.id));
  }
  if (head === null) throw new Error("the plan has no task to implement");
  return { sha: head, protectedChanges: anyProtected };
}

/** One implementer run for one unit, its changes saved under the unit's step key. */
async function runUnit(
  job: AgentJob,
  unit: TaskUnit<PlanTaskProgress>,
  snapshot: Snapshot,
  key: string,
): Promise<CodeChanges> {
  const { deps, feature } = job;
  const tasks = await currentTasks(job);
  const result = await runOnSnapshot(job, snapshot, {
    mode: "implement",
    tasks: taskList(tasks),
    current: unit.ids.length > 0 ? taskList(unit.tasks) : "",
    findings: "",
  });
  // A task is done when the change touches what the plan said it would.
  const checked = checkTasksDone(
    unit.tasks,
    unit.ids.length > 0 ? unit.ids : result.finish.tasksDone,
    result.changes.map((c) => c.path),
  );
  const notDone = checked.notDone.map(
    (t) => `${t.id}: none of its planned files changed (${t.files.join(", ")}).`,
  );
  const code: CodeChanges = {
    changes: result.changes,
    summary: [result.finish.summary, ...notDone].join("\n\n"),
    tasksDone: unit.ids.length > 0 ? unit.ids : checked.done,
    basedOn: snapshot.sha,
  };
  await saveChanges(job, key, code);
  const [saved] = await deps.store.stepArtifacts(feature.id, key);
  if (!saved) throw new Error("the implementer's changes were not saved");
  return codeChanges(saved.content);
}

/**
 * A fix round: one run on top of the branch head. A CI failure sent back to a task gives the
 * implementer that task only, and its commit says which task it fixes.
 */
async function fixRound(job: AgentJob, fix: FixSource): Promise<Committed> {
  const { deps, feature, data } = job;
  const repo = targetOf(feature);
  const unit = fix.kind === "ci" && fix.task ? unitOf(feature.tasks, fix.task) : null;
  let [saved] = await deps.store.stepArtifacts(feature.id, data.key);
  if (!saved) {
    const snapshot = await readBranch(job);
    const findings = await readFindings(job, repo, fix);
    const result = await runOnSnapshot(job, snapshot, {
      mode: "fix",
      tasks: taskList(unit ? unit.tasks : feature.tasks),
      current: unit ? taskList(unit.tasks) : "",
      findings,
    });
    await saveChanges(job, data.key, {
      changes: result.changes,
      summary: result.finish.summary,
      tasksDone: [],
      basedOn: snapshot.sha,
    });
    [saved] = await deps.store.stepArtifacts(feature.id, data.key);
  }
  if (!saved) throw new Error("the implementer's changes were not saved");
  const code = codeChanges(saved.content);
  return commitStep(
    job,
    unit
      ? {
          key: data.key,
          subject: `fix(${unitScope(unit)}): ${fixSubject(fix)}`,
          files: code.changes,
          trailers: unitTrailers(unit, feature.issueNumber),
          tasks: unit.ids,
        }
      : {
          key: data.key,
          subject: `fix: ${fixSubject(fix)} for #${feature.issueNumber}`,
          files: code.changes,
        },
    code.basedOn,
  );
}

/** The branch as it is now: the implementer reads (and so builds on) anyone's pushes. */
const readBranch = (job: AgentJob) =>
  readSnapshot(job, branchOf(job.feature, job.repoContext.config));

/** The snapshot after a commit of `changes` on top of it: what the next task reads. */
export function withChanges(snapshot: Snapshot, sha: string, changes: FileChange[]): Snapshot {
  const files = new Map(snapshot.files);
  const hidden = new Set(snapshot.hidden ?? []);
  for (const change of changes) {
    hidden.delete(change.path);
    if (change.content === null) files.delete(change.path);
    else files.set(change.path, change.content);
  }
  return { ...snapshot, sha, files, hidden };
}

/** The task progress as stored now (earlier units of this job have recorded their commits). */
async function currentTasks(job: AgentJob): Promise<PlanTaskProgress[]> {
  return (await job.deps.store.findFeature(job.feature.id))?.tasks ?? job.feature.tasks;
}

async function runOnSnapshot(
  job: AgentJob,
  snapshot: Snapshot,
  context: { mode: "implement" | "fix"; tasks: string; current: string; findings: string },
) {
  const { deps, feature, repoContext } = job;
  const repo = targetOf(feature);
  const artifacts = await readArtifacts(deps.store, feature.id);
  return runImplementer(deps, {
    call: job.call({
      ...context,
      brief: artifacts.brief?.content ?? "",
      spec: artifacts.spec?.content ?? "",
      plan: artifacts.plan?.content ?? "",
      tests: artifacts.tests?.content ?? "",
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
}

async function saveChanges(job: AgentJob, key: string, code: CodeChanges): Promise<void> {
  const content = JSON.stringify(code);
  await job.ensureCurrent("the implementer's changes");
  await job.deps.store.saveArtifact({
    featureId: job.feature.id,
    stage: "code",
    path: "changes.json",
    content,
    contentHash: contentHash(content),
    step: key,
  });
}

/** Each task as the plan gave it: title, files, what to do, and the requirements it serves. */
export function taskList(tasks: PlanTaskProgress[]): string {
  return tasks
    .map((t) => {
      const requirements = t.requirements ?? [...new Set(t.detail?.match(/\bFR-\d+\b/g) ?? [])];
      const committed = (t.commits ?? []).length > 0;
      return [
        `### ${t.id} ${t.title}${committed ? " (committed)" : t.done ? " (done)" : ""}`,
        ...(t.dependsOn && t.dependsOn.length > 0 ? [`Depends on: ${t.dependsOn.join(", ")}`] : []),
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
      if ("sha" in fix) {
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
