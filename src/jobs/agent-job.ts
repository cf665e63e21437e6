import type { Job } from "bullmq";
import type { FeatureRecord } from "../adapters/store/store.ts";
import { advance, targetOf } from "../advance.ts";
import { fenceUntrusted } from "../agents/prompts.ts";
import { modelSetting } from "../agents/registry.ts";
import { type AgentCall, BudgetExceededError, runAgent } from "../agents/run-agent.ts";
import { type AlignmentOutput, type BaOutput, renderBriefMarkdown } from "../agents/schemas.ts";
import type { AgentName } from "../core/feature.ts";
import { describeStage } from "../core/pipeline.ts";
import { parseInstallationSettings } from "../installation-settings.ts";
import type { ModelPort } from "../ports/model.ts";
import { fitComment, renderMarkdown } from "../views.ts";
import { contentHash, isFirstRun, type JobDeps } from "./deps.ts";
import { implement } from "./implement-job.ts";
import type { AgentJobData } from "./intents.ts";
import { resolveModelKey } from "./model-key.ts";
import { replyMarker } from "./perform-effects.ts";
import { loadRepoContext, type RepoContext } from "./repo-context.ts";
import { writeStageArtifact } from "./stage-job.ts";

export interface AgentJobDeps extends JobDeps {
  model: ModelPort;
}

/** What every agent step of one job shares: the feature, its repository, the key, one runner. */
export interface AgentJob {
  deps: AgentJobDeps;
  feature: FeatureRecord;
  data: AgentJobData;
  jobId: string;
  repoContext: RepoContext;
  messages: Message[];
  /** The installation's model key; lives only in this job's memory. */
  apiKey: string;
  /** Nothing of this job can have happened before (see `isFirstRun`). */
  firstRun: boolean;
  /** Runs `agent` (the job's own by default) with the shared context plus `context`. */
  run<T>(
    context: Record<string, unknown>,
    agent?: AgentName,
  ): Promise<{ output: T; runId: number }>;
  /** The call description for agents that drive their own loop (the implementer). */
  call(context: Record<string, unknown>, agent?: AgentName): AgentCall;
}

/** Loads what every agent needs, once per job. Null when the feature is gone. */
export async function openAgentJob(
  deps: AgentJobDeps,
  data: AgentJobData,
  jobId: string,
  firstRun = false,
): Promise<AgentJob | null> {
  const feature = await deps.store.findFeature(data.featureId);
  if (!feature) return null;
  const repoContext = await loadRepoContext(deps, feature);
  const installationRow = await deps.store.findInstallation(feature.installationId);
  const installation = parseInstallationSettings(installationRow?.settings);
  await checkMonthlyBudget(deps, feature.installationId, installation.budget_monthly_usd);
  const apiKey = resolveModelKey(deps, feature.installationId, installationRow);
  const messages = await deps.store.listMessages(feature.id);
  const base = baseContext(feature, repoContext, messages);
  const call = (context: Record<string, unknown>, agent: AgentName = data.agent): AgentCall => ({
    agent,
    featureId: feature.id,
    installationId: feature.installationId,
    jobId,
    apiKey,
    // The repository's .github/practical.yml wins over the installation's defaults.
    setting: modelSetting(agent, {
      ...repoContext.config,
      models: { ...installation.models, ...repoContext.config.models },
    }),
    context: { ...base, ...context },
    budgetUsd: repoContext.config.budget_usd ?? installation.budget_feature_usd,
  });
  return {
    deps,
    feature,
    data,
    jobId,
    repoContext,
    messages,
    apiKey,
    firstRun,
    call,
    run: (context, agent) => runAgent(deps, call(context, agent)),
  };
}

/** Runs one agent for one feature and feeds its result back into the pipeline. */
export async function runAgentJob(deps: AgentJobDeps, job: Job<AgentJobData>): Promise<void> {
  const opened = await openAgentJob(deps, job.data, job.id ?? "", isFirstRun(job));
  if (!opened) return;
  switch (job.data.agent) {
    case "ba":
      await baReply(opened);
      break;
    case "alignment_review":
      await gateReview(opened);
      break;
    case "spec":
    case "plan":
    case "tests":
      await writeStageArtifact(opened);
      break;
    case "implement":
      await implement(opened);
      break;
    default:
      throw Object.assign(new Error(`the ${job.data.agent} agent does not run as its own job`), {
        unrecoverable: true,
      });
  }
  await deps.relay.kick();
}

/** No new model call once the installation has spent its monthly budget (UTC calendar month). */
async function checkMonthlyBudget(deps: JobDeps, installationId: number, budget?: number) {
  if (budget === undefined) return;
  const now = new Date();
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const spent = await deps.store.installationSpend(installationId, monthStart);
  if (spent >= budget) {
    throw new BudgetExceededError(
      `the installation's monthly budget of $${budget.toFixed(2)} is spent ($${spent.toFixed(2)} this month); an admin can raise it on the dashboard`,
    );
  }
}

type Message = Awaited<ReturnType<JobDeps["store"]["listMessages"]>>[number];

function baseContext(feature: FeatureRecord, repoContext: RepoContext, messages: Message[]) {
  const opening = messages.find((m) => m.github_comment_id === null && m.role === "user");
  const body = opening?.body ?? `# ${feature.issueTitle}`;
  return {
    repo: `${feature.repoOwner}/${feature.repoName}`,
    defaultBranch: repoContext.defaultBranch,
    issueNumber: feature.issueNumber,
    issueTitle: fenceUntrusted("issue title", feature.issueTitle, 300),
    issueBody: fenceUntrusted("issue body", body),
    conventions: repoContext.conventions,
    extraInstructions: repoContext.config.instructions ?? "",
    stage: feature.stage,
  };
}

/** The newest messages first, so a thread of a thousand comments stays within bounds. */
export function conversationText(messages: Message[], maxChars = 40_000): string {
  const turns: string[] = [];
  let size = 0;
  for (const m of messages.slice(1).reverse()) {
    const turn = `${m.author} (${m.role === "assistant" ? "BA agent" : "user"}):\n${m.body.slice(0, 8_000)}`;
    if (size + turn.length > maxChars) break;
    turns.unshift(turn);
    size += turn.length;
  }
  return fenceUntrusted(
    "issue conversation",
    turns.join("\n\n") || "(no comments yet)",
    maxChars + 1_000,
  );
}

async function baReply({ deps, feature, data, messages, run, firstRun }: AgentJob): Promise<void> {
  const key = data.commentId ? `ba-${data.commentId}` : `ba-${data.key}`;
  const marker = replyMarker(feature.id, key);
  const artifacts = await deps.store.latestArtifacts(feature.id);
  const drafting = feature.stage === "drafting";
  const { output } = await run<BaOutput>({
    mode: drafting ? "clarify" : "answer",
    conversation: conversationText(messages),
    brief: artifacts.brief?.content ?? "",
    pipelineContext: drafting
      ? ""
      : `Stage: ${describeStage(feature.stage)}. Changes to the brief go through \`/revise <text>\`.`,
  });

  let briefVersion: string | null = null;
  let brief = "";
  if (output.brief && drafting) {
    brief = renderBriefMarkdown(output.brief);
    briefVersion = contentHash(brief);
    if (artifacts.brief?.content_hash !== briefVersion) {
      await deps.store.saveArtifact({
        featureId: feature.id,
        stage: "brief",
        path: "brief.md",
        content: brief,
        contentHash: briefVersion,
      });
    }
  }
  const body = renderMarkdown("comments/ba-reply", {
    reply: output.reply,
    brief,
    briefVersion: briefVersion ?? "",
  });
  const comment = await deps.github.ensureComment(
    targetOf(feature),
    feature.issueNumber,
    marker,
    fitComment(body, marker),
    { firstRun },
  );
  await deps.store.recordMessage({
    featureId: feature.id,
    githubCommentId: comment.id,
    inReplyTo: data.commentId ?? null,
    role: "assistant",
    author: "BA agent",
    body: output.reply,
  });
  await advance(deps.store, feature.id, {
    type: "agent_finished",
    agent: "ba",
    artifactVersion: briefVersion,
  });
}

/** The alignment reviewer's APPROVE/REVISE recommendation at a gate; humans decide. */
async function gateReview({ deps, feature, data, messages, run }: AgentJob): Promise<void> {
  const artifacts = await deps.store.latestArtifacts(feature.id);
  const gate = data.gate ?? "brief";
  const { output, runId } = await run<AlignmentOutput>({
    gate,
    brief: artifacts.brief?.content ?? "",
    spec: artifacts.spec?.content ?? "",
    plan: artifacts.plan?.content ?? "",
    tests: artifacts.tests?.content ?? "",
    diff: "",
    conversation: conversationText(messages, 10_000),
  });
  await deps.store.setAgentRunDetail(runId, {
    gate,
    recommendation: output.recommendation,
    reasons: output.reasons,
    summary: output.summary,
  });
  await advance(deps.store, feature.id, {
    type: "agent_finished",
    agent: "alignment_review",
    artifactVersion: null,
  });
}
