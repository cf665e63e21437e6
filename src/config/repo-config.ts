import { parse as parseYaml, YAMLParseError } from "yaml";
import { z } from "zod";
import { AGENTS } from "../core/feature.ts";
import { EFFORTS, isModelId, MODEL_IDS, type ModelId, RETIRED_MODELS } from "../core/models.ts";
import { checkWritePath, protectedPattern } from "../core/paths.ts";
import type { GitHubPort, RepoRef } from "../ports/github.ts";

export const REPO_CONFIG_PATH = ".github/practical.yml";

/** A model id of the model table; an unknown or retired one is named with the valid ids. */
const modelId = z.string().transform((id, ctx): ModelId => {
  if (isModelId(id)) return id;
  const retired = Object.hasOwn(RETIRED_MODELS, id) ? ` (${RETIRED_MODELS[id]})` : "";
  ctx.addIssue({
    code: "custom",
    message: `unknown model "${id.slice(0, 60)}"${retired}; use one of ${MODEL_IDS.join(", ")}`,
  });
  return z.NEVER;
});

const ModelSetting = z.strictObject({
  model: modelId.optional(),
  /** Output room for the answer; the thinking room of `effort` is added. */
  max_tokens: z.number().int().min(256).max(64_000).optional(),
  effort: z.enum(EFFORTS).optional(),
});

const pathGlob = z.string().min(1).max(200);

/** The docs folder is written like any path: inside the repository and not a protected file. */
function checkDocsFolder(folder: string, ctx: z.RefinementCtx) {
  const checked = checkWritePath(`${folder.replace(/\/+$/, "")}/x.md`);
  if (!checked.ok) {
    ctx.addIssue({
      code: "custom",
      message: `"${folder.slice(0, 100)}" is not a folder the app may write to: give a folder inside the repository, like docs/practical, without ".." or a leading "/"`,
    });
    return;
  }
  if (protectedPattern(checked.path) !== null) {
    ctx.addIssue({
      code: "custom",
      message: `"${folder.slice(0, 100)}" is a protected folder (CI or tooling reads it); give another, like docs/practical`,
    });
  }
}

/** `.github/practical.yml` on the default branch. Unknown keys are errors: a typo must not pass silently. */
export const RepoConfig = z.strictObject({
  trigger_label: z.string().min(1).max(50).default("practical"),
  docs_folder: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9._/-]+$/, "letters, digits, . _ - / only")
    .superRefine(checkDocsFolder)
    .default("docs/practical"),
  branch_prefix: z
    .string()
    .min(1)
    .max(50)
    .regex(/^[A-Za-z0-9._/-]+$/, "letters, digits, . _ - / only")
    .default("practical/"),
  models: z.partialRecord(z.enum(AGENTS), ModelSetting).default({}),
  fix_rounds: z.number().int().min(0).max(10).default(2),
  /** Automatic fix rounds started by a red CI on the head. */
  ci_fix_rounds: z.number().int().min(0).max(10).default(3),
  /**
   * The repository's CI: check names to leave out, and how long to wait after a commit before
   * saying that no CI reported (the operator's `CI_WAIT_MINUTES`, 20, when unset).
   */
  ci: z
    .strictObject({
      ignore: z.array(z.string().min(1).max(200)).max(100).default([]),
      wait_minutes: z.number().min(0).max(1_440).optional(),
    })
    .default({ ignore: [] }),
  allow_self_approval: z.boolean().default(false),
  /** The docs agent documents the code (README, docs/, CHANGELOG, doc comments) before the reviews. */
  docs: z.boolean().default(true),
  paths: z
    .strictObject({
      allowed: z.array(pathGlob).max(100).default(["**"]),
      denied: z.array(pathGlob).max(100).default([]),
      /** Protected files (CI, tooling, package scripts) the implementer may change when the plan names them. */
      protected_allowed: z.array(pathGlob).max(100).default([]),
    })
    .default({ allowed: ["**"], denied: [], protected_allowed: [] }),
  budget_usd: z.number().positive().max(1_000).optional(),
  instructions: z.string().max(8_000).optional(),
});
export type RepoConfig = z.infer<typeof RepoConfig>;

export const DEFAULT_REPO_CONFIG: RepoConfig = RepoConfig.parse({});

export interface ParsedRepoConfig {
  config: RepoConfig;
  /** Human-readable problems, each naming the field; empty when the file is valid or absent. */
  problems: string[];
}

/** Parses the file's text; on any problem the defaults apply and the problems are reported. */
export function parseRepoConfig(text: string | null): ParsedRepoConfig {
  if (text === null || text.trim() === "") return { config: DEFAULT_REPO_CONFIG, problems: [] };
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 20 });
  } catch (error) {
    const where = error instanceof YAMLParseError ? ` (line ${error.linePos?.[0]?.line})` : "";
    return { config: DEFAULT_REPO_CONFIG, problems: [`not valid YAML${where}`] };
  }
  const parsed = RepoConfig.safeParse(raw ?? {});
  if (parsed.success) return { config: parsed.data, problems: [] };
  return {
    config: DEFAULT_REPO_CONFIG,
    problems: parsed.error.issues.map((issue) => {
      const field = issue.path.join(".") || "(top level)";
      return `\`${field}\`: ${issue.message}`;
    }),
  };
}

/** The repository's `.github/practical.yml` on its default branch; absent means defaults. */
export async function readRepoConfig(
  github: Pick<GitHubPort, "readFile">,
  repo: RepoRef,
): Promise<ParsedRepoConfig> {
  return parseRepoConfig(await github.readFile(repo, REPO_CONFIG_PATH));
}
