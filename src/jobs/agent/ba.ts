import { fenceUntrusted } from "../../agents/prompts.ts";
import { type BaOutput, type Brief, renderBriefMarkdown } from "../../agents/schemas.ts";
import { advance, targetOf } from "../../app/advance.ts";
import { languageCode } from "../../core/language.ts";
import { fenceFor, lineDiff } from "../../core/line-diff.ts";
import { neutralise } from "../../core/neutralise.ts";
import { criteriaOf, stableCriteria } from "../../core/trace.ts";
import { StageOutputError } from "../../errors.ts";
import { fitComment, renderMarkdown, stageName } from "../../views.ts";
import { contentHash } from "../deps.ts";
import { replyMarker } from "../effects.ts";
import { standingContext } from "./ba-context.ts";
import { type AgentJob, conversationText, readArtifacts } from "./context.ts";

/** The BA agent's reply in the issue; while drafting, it may write the brief. */
export async function baReply({
  deps,
  feature,
  data,
  messages,
  run,
  firstRun,
  ensureCurrent,
}: AgentJob): Promise<void> {
  const key = data.commentId ? `ba-${data.commentId}` : `ba-${data.key}`;
  const marker = replyMarker(feature.id, key);
  const artifacts = await readArtifacts(deps.store, feature.id);
  const drafting = feature.stage === "drafting";
  const standing = drafting
    ? { pipelineContext: "", gateArtifact: "", alignment: "" }
    : await standingContext(deps, feature, artifacts);
  const { output } = await run<BaOutput>({
    mode: drafting ? "clarify" : "answer",
    conversation: conversationText(messages),
    brief: artifacts.brief?.content ?? "",
    revision: revisionText(data.instructions),
    ...standing,
  });

  // Stopped meanwhile (a cancel): neither the brief nor the reply is kept or posted.
  await ensureCurrent("the BA's reply");
  const language = await keepLanguage(deps, feature, output);
  let briefVersion: string | null = null;
  let brief = "";
  if (output.brief && drafting) {
    brief = renderBrief(artifacts.brief?.content ?? "", output.brief);
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
  // Posted as the app: the model's words are shown, never acted on (no pings, no remote images).
  const safe = { githubWebUrl: deps.config.githubWebUrl };
  const body = renderMarkdown(
    "comments/ba-reply",
    {
      reply: neutralise(output.reply, safe),
      brief: neutralise(brief, safe),
      briefVersion: briefVersion ?? "",
      diff: "",
      suggestion: drafting ? "" : suggestedRevise(output.proposedRevise),
    },
    language,
  );
  await ensureCurrent("the BA's reply");
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
  await advance(
    deps.store,
    feature.id,
    { type: "agent_finished", agent: "ba", artifactVersion: briefVersion },
    {},
    { jobVersion: data.version },
  );
}

/**
 * The language the issue author writes in, as the BA reports it with each reply, is kept on
 * the feature before anything is posted: the reply, the status and every later comment of the
 * app in the issue are written in it. A reply that names none leaves the last one.
 */
async function keepLanguage(
  deps: AgentJob["deps"],
  feature: AgentJob["feature"],
  output: BaOutput,
): Promise<string | null> {
  const reported = languageCode(output.language);
  if (reported === null || reported === feature.language) return feature.language;
  await deps.store.updateFeatureLanguage(feature.id, reported);
  return reported;
}

/**
 * The `/revise` the BA proposes, as a command a person can copy: shown, never executed (only
 * a person's own comment is a command). One line in a code block that no text can close, where
 * GitHub renders no mention, link or image, so the words are copied exactly as proposed.
 */
function suggestedRevise(text: string | undefined): string {
  const line = (text ?? "").replace(/\s+/g, " ").trim();
  if (!line) return "";
  const command = `/revise ${line}`;
  return `${fenceFor(command)}\n${command}\n${fenceFor(command)}`;
}

/** The `/revise` text as the BA reads it: data from a person, fenced like every comment. */
function revisionText(instructions: string | undefined): string {
  return instructions ? fenceUntrusted("/revise request", instructions, 8_000) : "";
}

/** The brief as markdown, its criteria keeping the ids they had in the previous version. */
function renderBrief(previous: string, brief: Brief): string {
  const acceptanceCriteria = stableCriteria(criteriaOf(previous), brief.acceptanceCriteria);
  return renderBriefMarkdown({ ...brief, acceptanceCriteria });
}

/**
 * `/revise` at a gate: the BA amends the approved brief with the requested change, the
 * difference is posted in the issue, and the amended brief is what the spec is written from.
 * The amendment is saved under its own step, so a retried job reuses it instead of amending
 * the amended brief again.
 */
export async function reviseBrief(job: AgentJob, instructions: string): Promise<string> {
  const { deps, feature, data, messages } = job;
  const step = `${data.key}-brief`;
  const [saved] = await deps.store.stepArtifacts(feature.id, step);
  if (saved) return saved.content;

  const artifacts = await readArtifacts(deps.store, feature.id);
  const before = artifacts.brief?.content ?? "";
  const { output } = await job.run<BaOutput>(
    {
      mode: "revise",
      conversation: conversationText(messages),
      brief: before,
      revision: revisionText(instructions),
      pipelineContext: `A person with write access asked for a change with \`/revise\` at the ${stageName(feature.stage).toLowerCase()} stage. Apply it to the brief; the specification is then written again from the amended brief.`,
    },
    "ba",
  );
  if (!output.brief) {
    throw new StageOutputError("the BA agent did not return the amended brief for /revise");
  }
  const after = renderBrief(before, output.brief);
  await job.ensureCurrent("the amended brief");
  const language = await keepLanguage(deps, feature, output);
  await deps.store.saveArtifact({
    featureId: feature.id,
    stage: "brief",
    path: "brief.md",
    content: after,
    contentHash: contentHash(after),
    step,
  });
  const diff = lineDiff(before, after, { context: 2 });
  const marker = replyMarker(feature.id, `revise-${data.key}`);
  const body = renderMarkdown(
    "comments/ba-reply",
    {
      reply: output.reply,
      brief: "",
      briefVersion: "",
      suggestion: "",
      diff: before === after ? "" : `${fenceFor(diff)}diff\n${diff}\n${fenceFor(diff)}`,
    },
    language,
  );
  await job.ensureCurrent("the amended brief's reply");
  const comment = await deps.github.ensureComment(
    targetOf(feature),
    feature.issueNumber,
    marker,
    fitComment(body, marker),
    { firstRun: job.firstRun },
  );
  await deps.store.recordMessage({
    featureId: feature.id,
    githubCommentId: comment.id,
    role: "assistant",
    author: "BA agent",
    body: output.reply,
  });
  return after;
}
