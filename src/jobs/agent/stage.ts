// The spec, plan and contract-tests stages: one agent call, one commit, then the gate.

import type { PlanTaskProgress } from "../../adapters/store/schema.ts";

import { fenceUntrusted } from "../../agents/prompts.ts";

import type { PlanOutput, SpecOutput, TestsOutput } from "../../agents/schemas.ts";
import { advance } from "../../app/advance.ts";
import { checkWriteBatch, type PathPolicy } from "../../core/paths.ts";
import { findSecrets } from "../../core/secrets.ts";
import {
  criteriaOf,
  PLAN_TRACE_HEADING,
  renderRequirementsTrace,
  renderTaskTrace,
  requirementsOf,
  SPEC_TRACE_HEADING,
  withCoversLine,
  withTrace,
} from "../../core/trace.ts";
import { StageOutputError } from "../../errors.ts";
import type { FileChange } from "../../ports/github.ts";
import { contentHash } from "../deps.ts";
import { reviseBrief } from "./ba.ts";
import { commitStep, docsFolder } from "./branch.ts";
import { type AgentJob, readArtifacts } from "./context.ts";
import { pathPolicy } from "./protected-files.ts";
import { readRepository } from "./repository.ts";

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
    await job.ensureCurrent(`the ${agent} agent's output`);
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
  await advance(
    deps.store,
    feature.id,
    {
      type: "agent_finished",
      agent,
      artifactVersion: sha,
      ...(protectedChanges ? { protectedChanges } : {}),
    },
    {},
    { jobVersion: data.version },
  );
}

interface Produced {
  files: { stage: string; path: string; content: string }[];
  tasks?: PlanTaskProgress[];
}

async function produce(job: AgentJob, agent: StageAgent): Promise<Produced> {
  const { deps, feature, repoContext } = job;
  const artifacts = await readArtifacts(deps.store, feature.id);
  const docs = docsFolder(feature, repoContext.config);
  const repository = await readRepository(job);

  switch (agent) {
    case "spec": {
      const revision = job.data.instructions ?? "";
      // After /revise the brief is amended first, and the spec is written from the amendment.
      const brief = revision ? await reviseBrief(job, revision) : (artifacts.brief?.content ?? "");
      const criteria = new Set(criteriaOf(brief).map((c) => c.id));
      const { output } = await job.run<SpecOutput>(
        {
          brief,
          revision: revision ? fenceUntrusted("/revise request", revision, 8_000) : "",
          ...repository.context,
        },
        undefined,
        { repository: repository.reader, check: (out) => checkSpec(out, criteria) },
      );
      const markdown = withTrace(
        output.markdown,
        SPEC_TRACE_HEADING,
        renderRequirementsTrace(output.requirements),
      );
      return {
        files: [
          { stage: "brief", path: `${docs}/brief.md`, content: brief },
          { stage: "spec", path: `${docs}/spec.md`, content: ensureNewline(markdown) },
        ],
      };
    }
    case "plan": {
      const spec = artifacts.spec?.content ?? "";
      const requirements = new Set(requirementsOf(spec).map((r) => r.id));
      const { output } = await job.run<PlanOutput>(
        { brief: artifacts.brief?.content ?? "", spec, ...repository.context },
        undefined,
        { repository: repository.reader, check: (out) => checkPlan(out, requirements) },
      );
      const markdown = withTrace(
        output.markdown,
        PLAN_TRACE_HEADING,
        renderTaskTrace(output.tasks),
      );
      return {
        files: [{ stage: "plan", path: `${docs}/plan.md`, content: ensureNewline(markdown) }],
        tasks: output.tasks.map((t) => ({
          id: t.id,
          title: t.title,
          done: false,
          files: t.files,
          detail: t.detail,
          requirements: t.requirements,
          dependsOn: t.dependsOn,
          ...(t.group ? { group: t.group } : {}),
        })),
      };
    }
    case "tests": {
      const brief = artifacts.brief?.content ?? "";
      const spec = artifacts.spec?.content ?? "";
      const known = new Set([
        ...criteriaOf(brief).map((c) => c.id),
        ...requirementsOf(spec).map((r) => r.id),
      ]);
      const { output } = await job.run<TestsOutput>(
        { brief, spec, plan: artifacts.plan?.content ?? "", ...repository.context },
        undefined,
        { repository: repository.reader, check: (out) => checkTests(out, known) },
      );
      const declared: TestsOutput = {
        ...output,
        files: output.files.map((f) => ({
          ...f,
          content: withCoversLine(f.path, f.content, f.covers),
        })),
      };
      const files = checkedFiles(
        declared,
        pathPolicy(repoContext.config, artifacts.plan?.content ?? ""),
        [job.apiKey],
      );
      return { files: files.map((f) => ({ stage: "tests", ...f })) };
    }
  }
}

const unknownIds = (ids: string[], known: Set<string>) => ids.filter((id) => !known.has(id));
const duplicates = (ids: string[]) => ids.filter((id, i) => ids.indexOf(id) !== i);

/** Every requirement cites criteria of the brief, and each id is given once. */
export function checkSpec(output: SpecOutput, criteria: Set<string>): string[] {
  const problems = output.requirements.flatMap((r) =>
    unknownIds(r.criteria, criteria).map(
      (id) => `${r.id} cites ${id}, which is not an acceptance criterion of the brief`,
    ),
  );
  for (const id of duplicates(output.requirements.map((r) => r.id))) {
    problems.push(`requirement id ${id} is used twice`);
  }
  return problems;
}

/** Every task implements requirements of the spec and depends only on earlier tasks. */
export function checkPlan(output: PlanOutput, requirements: Set<string>): string[] {
  const problems: string[] = [];
  const earlier = new Set<string>();
  for (const task of output.tasks) {
    for (const id of unknownIds(task.requirements, requirements)) {
      problems.push(`${task.id} names ${id}, which is not a requirement of the spec`);
    }
    for (const id of unknownIds(task.dependsOn, earlier)) {
      problems.push(`${task.id} depends on ${id}, which is not an earlier task`);
    }
    earlier.add(task.id);
  }
  for (const id of duplicates(output.tasks.map((t) => t.id))) {
    problems.push(`task id ${id} is used twice`);
  }
  return problems;
}

/** Every test file covers ids that exist in the brief or the spec. */
export function checkTests(output: TestsOutput, known: Set<string>): string[] {
  return output.files.flatMap((f) =>
    unknownIds(f.covers, known).map(
      (id) => `${f.path} covers ${id}, which is neither a criterion nor a requirement`,
    ),
  );
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

function ensureNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}
