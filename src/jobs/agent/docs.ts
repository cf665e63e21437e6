// The docs stage: after the code, the docs agent updates what users read (README, docs/, a
// CHANGELOG the repository keeps, doc comments of what the feature added) through the editor's
// tools, and everything it wrote becomes one commit. A run that finds nothing worth documenting
// makes no commit and says why.

import { DOCS_EDITOR, runEditor } from "../../agents/implementer/loop.ts";
import { fenceUntrusted } from "../../agents/prompts.ts";
import { targetOf } from "../../app/advance.ts";
import { docsWriteRefusal } from "../../core/docs-paths.ts";
import { contentHash } from "../deps.ts";
import { branchOf, commitStep, finishEditingStep } from "./branch.ts";
import { type AgentJob, readArtifacts } from "./context.ts";
import { type DocsChanges, docsChanges } from "./docs-record.ts";
import { pathPolicy } from "./protected-files.ts";
import { readSnapshot, repositoryView } from "./repository.ts";

export async function documentFeature(job: AgentJob): Promise<void> {
  const { deps, feature, data, repoContext } = job;
  const repo = targetOf(feature);
  let [saved] = await deps.store.stepArtifacts(feature.id, data.key);
  if (!saved) {
    const snapshot = await readSnapshot(job, branchOf(feature, repoContext.config));
    const artifacts = await readArtifacts(deps.store, feature.id);
    // The feature's code commits: everything on the branch after the contract tests' commit.
    const since = artifacts.tests?.commit_sha ?? repoContext.defaultBranch;
    const changed = await deps.github.diff(repo, since, snapshot.sha);
    const readHidden = (path: string) => deps.github.readFile(repo, path, snapshot.sha);
    const overview = repositoryView(snapshot, readHidden);
    const result = await runEditor(
      deps,
      {
        call: job.call({
          brief: artifacts.brief?.content ?? "",
          spec: artifacts.spec?.content ?? "",
          plan: artifacts.plan?.content ?? "",
          codeDiff: fenceUntrusted(
            "code diff",
            changed.map((c) => `--- ${c.path} (${c.status})\n${c.patch}`).join("\n\n"),
            120_000,
            "code",
          ),
          ...overview.context,
        }),
        snapshot,
        policy: {
          ...pathPolicy(repoContext.config, artifacts.plan?.content ?? ""),
          baseline: snapshot.files,
        },
        secretLiterals: [job.apiKey],
        readOnly: artifacts.tests?.files.map((f) => f.path) ?? [],
        writeLimit: docsWriteRefusal({
          codePaths: changed.filter((c) => c.status !== "removed").map((c) => c.path),
          pipelineFolder: repoContext.config.docs_folder,
        }),
        readHidden,
      },
      DOCS_EDITOR,
    );
    const docs: DocsChanges = {
      changes: result.changes,
      summary: result.finish.summary,
      basedOn: snapshot.sha,
    };
    const content = JSON.stringify(docs);
    await job.ensureCurrent("the docs agent's changes");
    await deps.store.saveArtifact({
      featureId: feature.id,
      stage: "docs",
      path: "changes.json",
      content,
      contentHash: contentHash(content),
      step: data.key,
    });
    [saved] = await deps.store.stepArtifacts(feature.id, data.key);
  }
  if (!saved) throw new Error("the docs agent's changes were not saved");
  const docs = docsChanges(saved.content);
  if (docs.changes.length === 0) {
    // Nothing worth documenting: no commit; the status shows the agent's reason.
    await finishEditingStep(job, "docs", { sha: null });
    return;
  }
  const committed = await commitStep(
    job,
    { key: data.key, subject: `docs: document #${feature.issueNumber}`, files: docs.changes },
    docs.basedOn,
  );
  await finishEditingStep(job, "docs", committed);
}
