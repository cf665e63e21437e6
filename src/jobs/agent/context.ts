import type { LatestArtifacts } from "../../adapters/store/artifacts.ts";
import type { FeatureRecord } from "../../adapters/store/features.ts";
import type { Store } from "../../adapters/store/store.ts";
import { fenceUntrusted } from "../../agents/prompts.ts";
import { modelSetting } from "../../agents/registry.ts";
import type { RepoReader } from "../../agents/repository/reader.ts";
import { type AgentCall, runAgent } from "../../agents/run-agent.ts";
import {
  featureBudgetUsd,
  monthlyBudgetUsd,
  monthStart,
  parseInstallationSettings,
} from "../../config/installation-settings.ts";
import type { AgentName } from "../../core/feature.ts";
import { isHeard } from "../../core/stages.ts";
import { BudgetExceededError } from "../../errors.ts";
import type { ModelPort } from "../../ports/model.ts";
import type { JobDeps } from "../deps.ts";
import type { AgentJobData } from "../intents.ts";
import { resolveModelKey } from "./model-key.ts";
import { loadRepoContext, type RepoContext } from "./repo-context.ts";
import type { StopWatch } from "./stop.ts";

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
  /** Aborted once a cancel, the sweep or a retry superseded the job (see stop.ts). */
  signal: AbortSignal;
  /** Throws JobSupersededError when the job is superseded: called just before acting. */
  ensureCurrent(what: string): Promise<void>;
  /** Runs `agent` (the job's own by default) with the shared context plus `context`. */
  run<T>(
    context: Record<string, unknown>,
    agent?: AgentName,
    extras?: {
      /** The branch snapshot its read tools answer from. */
      repository?: RepoReader | undefined;
      /** Checks the schema cannot express (ids that must exist), told to the model once. */
      check?: ((output: T) => string[]) | undefined;
    },
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
  stop: Pick<StopWatch, "signal" | "ensureCurrent"> = NEVER_STOPPED,
): Promise<AgentJob | null> {
  const feature = await deps.store.findFeature(data.featureId);
  if (!feature) return null;
  const repoContext = await loadRepoContext(deps, feature);
  const installationRow = await deps.store.findInstallation(feature.installationId);
  const installation = parseInstallationSettings(installationRow?.settings);
  const monthly = monthlyBudgetUsd(installation);
  await checkMonthlyBudget(deps, feature.installationId, monthly);
  const apiKey = resolveModelKey(deps, feature.installationId, installationRow);
  const messages = heardMessages(await deps.store.listMessages(feature.id), feature.issueAuthor);
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
    budgetUsd: featureBudgetUsd(installation, repoContext.config.budget_usd),
    monthlyBudgetUsd: monthly,
    signal: stop.signal,
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
    signal: stop.signal,
    ensureCurrent: (what) => stop.ensureCurrent(what),
    call,
    run: (context, agent, extras = {}) =>
      runAgent(deps, {
        ...call(context, agent),
        repository: extras.repository,
        check: extras.check as AgentCall["check"],
      }),
  };
}

/** A job run outside the worker's stop watch (checks, evals): never stopped. */
const NEVER_STOPPED = {
  signal: new AbortController().signal,
  ensureCurrent: async () => {},
};

/** No new model call once the installation has spent its monthly budget (UTC calendar month). */
async function checkMonthlyBudget(deps: JobDeps, installationId: number, budget: number) {
  const spent = await deps.store.installationSpend(installationId, monthStart());
  if (spent >= budget) {
    throw new BudgetExceededError(
      `the installation's monthly budget of $${budget.toFixed(2)} is spent ($${spent.toFixed(2)} this month); an admin can raise it on the dashboard`,
    );
  }
}

export type Message = Awaited<ReturnType<JobDeps["store"]["listMessages"]>>[number];

/**
 * The conversation the agents read: the issue itself, the app's replies, and the comments of
 * the issue author and collaborators. On a public repository anyone can comment; a passer-by's
 * comments would crowd the author's own answers out of the bounded conversation.
 */
export function heardMessages(messages: Message[], issueAuthor: string): Message[] {
  return messages.filter(
    (m) =>
      m.role === "assistant" ||
      m.github_comment_id === null ||
      isHeard(m.author, m.author_permission, issueAuthor),
  );
}

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

/**
 * The newest artifact of each stage as the agents read it: a stage whose step wrote several
 * files (the contract tests) reads as all of them, each under its path.
 */
export async function readArtifacts(store: Store, featureId: number): Promise<LatestArtifacts> {
  const latest = await store.latestArtifacts(featureId);
  for (const artifact of Object.values(latest)) {
    if (artifact.files.length > 1) {
      artifact.content = artifact.files
        .map((f) => `### ${f.path}\n\n\`\`\`\`\n${f.content}\n\`\`\`\``)
        .join("\n\n");
    }
  }
  return latest;
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
