import { type BaOutput, renderBriefMarkdown } from "../../agents/schemas.ts";
import { advance, targetOf } from "../../app/advance.ts";
import { neutralise } from "../../core/neutralise.ts";
import { describeStage } from "../../core/pipeline.ts";
import { fitComment, renderMarkdown } from "../../views.ts";
import { contentHash } from "../deps.ts";
import { replyMarker } from "../effects.ts";
import { type AgentJob, conversationText, readArtifacts } from "./context.ts";

/** The BA agent's reply in the issue; while drafting, it may write the brief. */
export async function baReply({
  deps,
  feature,
  data,
  messages,
  run,
  firstRun,
}: AgentJob): Promise<void> {
  const key = data.commentId ? `ba-${data.commentId}` : `ba-${data.key}`;
  const marker = replyMarker(feature.id, key);
  const artifacts = await readArtifacts(deps.store, feature.id);
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
  // Posted as the app: the model's words are shown, never acted on (no pings, no remote images).
  const safe = { githubWebUrl: deps.config.githubWebUrl };
  const body = renderMarkdown("comments/ba-reply", {
    reply: neutralise(output.reply, safe),
    brief: neutralise(brief, safe),
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
