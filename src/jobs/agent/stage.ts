import { StageOutputError } from "../../errors.ts";
// The spec, plan and contract-tests stages: one agent call, one commit, then the gate.

import type { PlanOutput, SpecOutput, TestsOutput } from "../../agents/schemas.ts";
import { advance, targetOf } from "../../app/advance.ts";
import { checkWriteBatch, type PathPolicy } from "../../core/paths.ts";
import { findSecrets } from "../../core/secrets.ts";
import type { FileChange } from "../../ports/github.ts";
import { contentHash } from "../deps.ts";
import { commitStep, docsFolder } from "./branch.ts";
import { type AgentJob, readArtifacts } from "./context.ts";
import { pathPolicy } from "./protected-files.ts";

type StageAgent = "spec" | "plan" | "tests";

const SUBJECTS: Record<StageAgent, string> = {
  spec: "docs: brief and specification",
  plan: "docs: implementation plan",
  tests: "test: contract tests",
};

/**
 * Runs the stage's agent unless this job step saved its output already (a retried job does not
 * pay for the model twice), commits the files, and moves the feature to its gate with the
 * commit SHA as the artifact's version.
 */
export async function writeStageArtifact(job: AgentJob): Promise<void> {
  const { deps, feature, data } = job;
  const agent = data.agent as StageAgent;
  let saved = await deps.store.stepArtifacts(feature.id, data.key);
  if (saved.length === 0) {
    const files = await produce(job, agent);
    await deps.store.transaction(async (tx) => {
      for (const file of files.files) {
        await tx.saveArtifact({
          featureId: feature.id,
          stage: file.stage,
          path: file.path,
          content: file.content,
          contentHash: contentHash(file.content),
          step: data.key,
        });
      }
      if (files.tasks) await tx.updateFeatureLinks(feature.id, { tasks: files.tasks });
    });
    saved = await deps.store.stepArtifacts(feature.id, data.key);
  }
  const files: FileChange[] = saved.map((a) => ({ path: a.path, content: a.content }));
  // After /revise, contract tests the new set no longer has are deleted, not left behind.
  const written = new Set(files.map((f) => f.path));
  for (const path of await deps.store.committedPaths(feature.id, agent, data.key)) {
    if (!written.has(path)) files.push({ path, content: null });
  }
  const { sha, protectedChanges } = await commitStep(job, {
    key: data.key,
    subject: `${SUBJECTS[agent]} for #${feature.issueNumber}`,
    files,
  });
  await advance(deps.store, feature.id, {
    type: "agent_finished",
    agent,
    artifactVersion: sha,
    ...(protectedChanges ? { protectedChanges } : {}),
  });
}

interface Produced {
  files: { stage: string; path: string; content: string }[];
  tasks?: { id: string; title: string; done: boolean }[];
}

async function produce(job: AgentJob, agent: StageAgent): Promise<Produced> {
  const { deps, feature, repoContext } = job;
  const artifacts = await readArtifacts(deps.store, feature.id);
  const docs = docsFolder(feature, repoContext.config);
  const brief = artifacts.brief?.content ?? "";
  const repoFiles = listing(
    await deps.github.listFiles(targetOf(feature), repoContext.defaultBranch),
  );

  switch (agent) {
    case "spec": {
      const { output } = await job.run<SpecOutput>({
        brief,
        revision: job.data.instructions ?? "",
        repoFiles,
      });
      return {
        files: [
          { stage: "brief", path: `${docs}/brief.md`, content: brief },
          { stage: "spec", path: `${docs}/spec.md`, content: ensureNewline(output.markdown) },
        ],
      };
    }
    case "plan": {
      const { output } = await job.run<PlanOutput>({
        brief,
        spec: artifacts.spec?.content ?? "",
        repoFiles,
      });
      return {
        files: [
          { stage: "plan", path: `${docs}/plan.md`, content: ensureNewline(output.markdown) },
        ],
        tasks: output.tasks.map((t) => ({ id: t.id, title: t.title, done: false })),
      };
    }
    case "tests": {
      const { output } = await job.run<TestsOutput>({
        brief,
        spec: artifacts.spec?.content ?? "",
        plan: artifacts.plan?.content ?? "",
        repoFiles,
      });
      const files = checkedFiles(
        output,
        pathPolicy(repoContext.config, artifacts.plan?.content ?? ""),
        [job.apiKey],
      );
      return { files: files.map((f) => ({ stage: "tests", ...f })) };
    }
  }
}

/** The contract tests go through the same path policy and secret scan as the implementer. */
function checkedFiles(output: TestsOutput, policy: PathPolicy, secrets: string[]) {
  const batch = checkWriteBatch(output.files, policy);
  if (!batch.ok) {
    const reasons = batch.errors.map((e) => `${e.path}: ${e.reason}`).join("; ");
    throw new StageOutputError(`the contract tests were not committed: ${reasons}`);
  }
  const files = batch.files.map((f) => ({ path: f.path, content: String(f.content) }));
  for (const file of files) {
    const found = findSecrets(file.content, secrets);
    if (found.length > 0) {
      throw new StageOutputError(
        `the contract tests were not committed: ${file.path} contains what looks like a secret (${found[0]?.kind})`,
      );
    }
  }
  return files;
}

/** The repository's file list for the prompt, bounded. */
function listing(files: string[], max = 400): string {
  const paths = [...files].sort();
  const shown = paths.slice(0, max).join("\n");
  return paths.length > max ? `${shown}\n[… ${paths.length - max} more files]` : shown;
}

function ensureNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}
