// The commit path's own check of every file a stage commits (path policy, secret scanner,
// protected files), and the `Build Practical / protected files` check run that holds a pull
// request with protected changes until a person says `/approve protected`.

import type { FeatureRecord } from "../../adapters/store/features.ts";
import { targetOf } from "../../app/advance.ts";
import type { RepoConfig } from "../../config/repo-config.ts";
import { fenceFor, lineDiff } from "../../core/line-diff.ts";
import { codeSpan } from "../../core/neutralise.ts";
import {
  checkWriteBatch,
  checkWritePath,
  DEFAULT_PATH_POLICY,
  type PathPolicy,
  protectedChange,
  protectedPattern,
} from "../../core/paths.ts";
import { StageOutputError } from "../../errors.ts";
import type { FileChange, RepoRef } from "../../ports/github.ts";
import type { JobDeps } from "../deps.ts";

export const PROTECTED_CHECK = "Build Practical / protected files";
const protectedCheckId = (featureId: number) => `feature-${featureId}/protected-files`;

/** The repository's path policy: the defaults, narrowed by `.github/practical.yml`. */
export function pathPolicy(config: RepoConfig, plan = ""): PathPolicy {
  return {
    ...DEFAULT_PATH_POLICY,
    allowed: config.paths.allowed,
    denied: [...DEFAULT_PATH_POLICY.denied, ...config.paths.denied],
    protectedAllowed: config.paths.protected_allowed,
    plan,
  };
}

export interface ProtectedFile {
  path: string;
  why: string;
  before: string | null;
  after: string | null;
}

/**
 * Checks a step's files as the commit will write them, whatever stage wrote them: the path
 * policy (protected files only where the repository allows them and the plan names them) and
 * the secret scanner. Throws a StageOutputError naming every problem (never a secret); returns
 * the protected files the commit changes.
 */
export async function checkCommitFiles(
  deps: JobDeps,
  repo: RepoRef,
  files: FileChange[],
  options: { policy: PathPolicy; secrets: string[]; ref: string; what: string },
): Promise<ProtectedFile[]> {
  // What protected files and package.json scripts were before the change.
  const baseline = new Map<string, string>();
  for (const file of files) {
    if (protectedPattern(file.path) === null && !/(^|\/)package\.json$/i.test(file.path)) continue;
    const before = await deps.github.readFile(repo, file.path, options.ref);
    if (before !== null) baseline.set(file.path, before);
  }
  const policy: PathPolicy = { ...options.policy, baseline };
  const writes = files.flatMap((f) =>
    f.content === null ? [] : [{ path: f.path, content: f.content }],
  );
  const batch = checkWriteBatch(writes, policy, options.secrets);
  const errors = batch.ok ? [] : [...batch.errors];
  for (const file of files) {
    if (file.content !== null) continue;
    const checked = checkWritePath(file.path, policy);
    if (!checked.ok) errors.push({ path: file.path, reason: checked.reason });
  }
  if (errors.length > 0) {
    const reasons = errors.map((e) => `${e.path ? `${e.path}: ` : ""}${e.reason}`).join("; ");
    throw new StageOutputError(`${options.what} was not committed: ${reasons}`);
  }
  return files.flatMap((file) => {
    const before = baseline.get(file.path);
    const why = protectedChange(file.path, file.content, before);
    return why === null
      ? []
      : [{ path: file.path, why, before: before ?? null, after: file.content }];
  });
}

/** A failing check run on `sha` listing each protected file the commit changed, with its diff. */
export async function publishProtectedCheck(
  deps: JobDeps,
  feature: FeatureRecord,
  sha: string,
  files: ProtectedFile[],
  pendingSince: string | null,
) {
  const sections = files.map((f) => {
    const diff = lineDiff(f.before, f.after);
    const fence = fenceFor(diff);
    return `### ${codeSpan(f.path)}\n\nProtected because ${f.why}.\n\n${fence}diff\n${diff}\n${fence}`;
  });
  const earlier =
    pendingSince !== null && pendingSince !== sha
      ? `The protected files changed in commit \`${pendingSince.slice(0, 7)}\` still wait for approval.\n\n`
      : "";
  await deps.github.ensureCheckRun(targetOf(feature), {
    headSha: sha,
    name: PROTECTED_CHECK,
    externalId: protectedCheckId(feature.id),
    status: "completed",
    conclusion: "failure",
    title: `${files.length || "Earlier"} protected file change${files.length === 1 ? "" : "s"} need a person's approval`,
    summary: `${earlier}This pull request changes files the repository's CI or tooling runs or trusts. Read each change below; a person with write access approves them with \`/approve protected\` on the issue #${feature.issueNumber}. Until then the pull request stays a draft.\n\n${sections.join("\n\n")}`,
  });
}

/** The check run passes once a person approved the protected files. */
export async function approveProtectedCheck(
  deps: JobDeps,
  feature: FeatureRecord,
  approver: string,
  commit: string,
) {
  if (!feature.headSha) return;
  await deps.github.ensureCheckRun(targetOf(feature), {
    headSha: feature.headSha,
    name: PROTECTED_CHECK,
    externalId: protectedCheckId(feature.id),
    status: "completed",
    conclusion: "success",
    title: `Approved by @${approver}`,
    summary: `The protected file changes up to commit \`${commit.slice(0, 7)}\` were approved by @${approver} with \`/approve protected\`.`,
  });
}
