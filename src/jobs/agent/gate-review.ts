import type { AlignmentOutput } from "../../agents/schemas.ts";
import { advance } from "../../app/advance.ts";
import { type AgentJob, conversationText, readArtifacts } from "./context.ts";
import { readRepository } from "./repository.ts";

/** The alignment reviewer's APPROVE/REVISE recommendation at a gate; humans decide. */
export async function gateReview(job: AgentJob): Promise<void> {
  const { deps, feature, data, messages, run } = job;
  const artifacts = await readArtifacts(deps.store, feature.id);
  const gate = data.gate ?? "brief";
  // Contract tests that CI ran green before any code existed: the reviewer is told so.
  const testsCi =
    gate === "tests" && feature.artifacts.tests
      ? await deps.store.ciResult(feature.id, feature.artifacts.tests)
      : null;
  const ciWarning =
    testsCi?.state === "success"
      ? "\n\n[CI on the contract tests' commit: the contract tests **passed** before any code was written: they may not test the new behaviour.]"
      : "";
  const repository = await readRepository(job);
  const { output, runId } = await run<AlignmentOutput>(
    {
      gate,
      brief: artifacts.brief?.content ?? "",
      spec: artifacts.spec?.content ?? "",
      plan: artifacts.plan?.content ?? "",
      tests: (artifacts.tests?.content ?? "") + ciWarning,
      diff: "",
      conversation: conversationText(messages, 10_000),
      ...repository.context,
    },
    undefined,
    { repository: repository.reader },
  );
  // A superseded review's recommendation is not recorded (the status would show it).
  await job.ensureCurrent("the alignment review");
  await deps.store.setAgentRunDetail(runId, {
    gate,
    recommendation: output.recommendation,
    reasons: output.reasons,
    summary: output.summary,
  });
  await advance(
    deps.store,
    feature.id,
    { type: "agent_finished", agent: "alignment_review", artifactVersion: null },
    {},
    { jobVersion: data.version },
  );
}
