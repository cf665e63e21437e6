import type { LatestArtifacts } from "../../adapters/store/artifacts.ts";
import type { FeatureRecord } from "../../adapters/store/features.ts";
import { fenceUntrusted } from "../../agents/prompts.ts";
import { ciRows, testsGateNote } from "../../core/ci-view.ts";
import { GATE_STAGE, GATES, type Gate } from "../../core/feature.ts";
import { ciText, stageName } from "../../views.ts";
import type { JobDeps } from "../deps.ts";

/** What the BA reads, besides the brief, to answer a question once the brief is approved. */
export interface StandingContext {
  /** Written by the app: the stage, CI's results, the failure reason. */
  pipelineContext: string;
  /** The artifact waiting at the current gate (written by an agent: fenced as data). */
  gateArtifact: string;
  /** The alignment reviewer's recommendation for the current gate (its words fenced as data). */
  alignment: string;
}

/** The gate the feature waits at, if it waits at one. */
function gateOf(stage: string): Gate | null {
  return GATES.find((g) => GATE_STAGE[g] === stage) ?? null;
}

/**
 * Where the feature stands, for a question at a gate or after a failure: the artifact people
 * are asked to approve, what the alignment reviewer recommends for it, what CI said about the
 * stage commits, and why the feature failed.
 */
export async function standingContext(
  deps: JobDeps,
  feature: FeatureRecord,
  artifacts: LatestArtifacts,
): Promise<StandingContext> {
  const gate = gateOf(feature.stage);
  const [ci, review] = await Promise.all([
    deps.store.ciResults(feature.id),
    gate ? deps.store.latestAgentRun(feature.id, "alignment_review") : undefined,
  ]);
  const wait = deps.config.ciWaitMinutes;
  const lines = [`Stage: ${stageName(feature.stage)}.`];
  if (feature.stage === "failed") {
    const at = feature.checkpoint ? ` while at "${stageName(feature.checkpoint)}"` : "";
    lines.push(
      `The feature failed${at}. Reason: ${feature.failureReason ?? "unknown"}`,
      "A person with write access can comment `/retry` to resume from where it stopped.",
    );
  }
  if (feature.stage === "tests_ready") {
    const testsCi = ci.findLast((r) => r.stage === "tests" && r.sha === feature.artifacts.tests);
    const note = testsGateNote(testsCi, wait);
    lines.push(
      `CI on the contract tests' commit: ${note ? ciText(note) : "no result recorded yet."}`,
    );
  } else {
    const rows = ciRows(ci, wait);
    if (rows.length > 0) {
      lines.push(
        "CI on the stage commits (oldest first):",
        ...rows.map((r) => `- ${ciText(r.label)} (${r.sha}): ${ciText(r.text)}`),
      );
    }
  }
  lines.push("Changes to the brief go through `/revise <text>` at a gate.");

  const artifact = gate ? artifacts[gate] : undefined;
  const detail = review?.detail as
    | { gate?: string; recommendation?: string; reasons?: string[]; summary?: string }
    | null
    | undefined;
  const reviewed = gate !== null && detail?.gate === gate && detail.recommendation;
  return {
    pipelineContext: lines.join("\n"),
    gateArtifact: artifact
      ? fenceUntrusted(`the ${gate} waiting for approval`, artifact.content, 30_000)
      : "",
    alignment: reviewed
      ? fenceUntrusted(
          `alignment review of the ${gate}`,
          [
            `Recommendation: ${detail.recommendation}`,
            detail.summary ? `Summary: ${detail.summary}` : "",
            ...(detail.reasons ?? []).map((r) => `- ${r}`),
          ]
            .filter(Boolean)
            .join("\n"),
          4_000,
        )
      : gate
        ? "The alignment review of this gate has not reported yet."
        : "",
  };
}
