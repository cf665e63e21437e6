// The branch snapshot an agent reads: the read tools' files and the overview its prompt carries.

import { fenceUntrusted } from "../../agents/prompts.ts";
import { repoOverview } from "../../agents/repository/map.ts";
import { RepoReader } from "../../agents/repository/reader.ts";
import { targetOf } from "../../app/advance.ts";
import type { Snapshot } from "../../ports/github.ts";
import type { AgentJob } from "./context.ts";

export interface RepositoryView {
  reader: RepoReader;
  /** The prompt's variables: `repoMap` (folders, exported symbols) and `repoFiles` (manifests, test configuration, example tests), fenced as data. */
  context: { repoMap: string; repoFiles: string };
}

/** Reads `ref` (default: the app's last commit on the branch, else the default branch) once. */
export async function readRepository(job: AgentJob, ref?: string): Promise<RepositoryView> {
  const { deps, feature, repoContext } = job;
  const snapshot = await readSnapshot(job, ref ?? feature.headSha ?? repoContext.defaultBranch);
  return repositoryView(snapshot, (path) =>
    deps.github.readFile(targetOf(feature), path, snapshot.sha),
  );
}

/** The repository at `ref`, with a warning in the log when GitHub cut its file tree short. */
export async function readSnapshot(job: AgentJob, ref: string): Promise<Snapshot> {
  const { deps, feature } = job;
  const snapshot = await deps.github.snapshot(targetOf(feature), ref);
  if (snapshot.truncated) {
    deps.log.warn({ featureId: feature.id, sha: snapshot.sha }, "GitHub truncated the file tree");
  }
  return snapshot;
}

/** The read tools and the prompt's overview over a snapshot. */
export function repositoryView(
  snapshot: Pick<Snapshot, "files" | "hidden" | "truncated">,
  readHidden?: (path: string) => Promise<string | null>,
): RepositoryView {
  const { files } = snapshot;
  const overview = repoOverview(files);
  return {
    reader: new RepoReader(files, {
      hidden: snapshot.hidden,
      readHidden,
      truncated: snapshot.truncated,
    }),
    context: {
      repoMap: fenceUntrusted("repository map", overview.map, 40_000),
      repoFiles: fenceUntrusted("repository key files", overview.files, 60_000),
    },
  };
}
