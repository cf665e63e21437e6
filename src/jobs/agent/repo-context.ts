import type { FeatureRecord } from "../../adapters/store/features.ts";
import { fenceUntrusted } from "../../agents/prompts.ts";
import { type RepoConfig, readRepoConfig } from "../../config/repo-config.ts";
import type { JobDeps } from "../deps.ts";

const CONVENTION_FILES = ["AGENTS.md", "CLAUDE.md", ".github/copilot-instructions.md"];
const TTL_MS = 60_000;
const cache = new Map<string, { until: number; value: RepoContext }>();

export interface RepoContext {
  defaultBranch: string;
  /** The repository's GraphQL node id. */
  repositoryId: string;
  config: RepoConfig;
  /** The repository's own instructions for agents, fenced as data; "" when none. */
  conventions: string;
}

/** The repository's config and conventions, read once a minute at most per repository. */
export async function loadRepoContext(deps: JobDeps, feature: FeatureRecord): Promise<RepoContext> {
  const key = `${feature.installationId}/${feature.repoOwner}/${feature.repoName}`;
  const hit = cache.get(key);
  if (hit && hit.until > Date.now()) return hit.value;
  const repo = {
    installationId: feature.installationId,
    owner: feature.repoOwner,
    repo: feature.repoName,
  };
  const { defaultBranch, nodeId: repositoryId } = await deps.github.getRepository(repo);
  const { config } = await readRepoConfig(deps.github, repo);
  // The conventions come from the default branch's snapshot, which the agents read anyway (the
  // worker shares it): no read of their own, and no 404 for each one the repository lacks.
  // Only one the archive leaves out (`.gitattributes` export-ignore) is read on its own.
  const snapshot = await deps.github.snapshot(repo, defaultBranch);
  const parts: string[] = [];
  for (const path of CONVENTION_FILES) {
    const text =
      snapshot.files.get(path) ??
      (snapshot.hidden?.has(path) ? await deps.github.readFile(repo, path, snapshot.sha) : null);
    if (text) parts.push(fenceUntrusted(path, text, 8_000));
  }
  const value = { defaultBranch, repositoryId, config, conventions: parts.join("\n") };
  cache.set(key, { until: Date.now() + TTL_MS, value });
  return value;
}
