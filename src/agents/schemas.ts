// Output schemas of the agents. Each is turned into a tool's `input_schema` with
// `z.toJSONSchema(schema)` and the model is forced to call that tool, so every schema stays
// JSON-Schema friendly: plain objects, enums, bounded strings and arrays, no transforms and no
// refinements that would not survive the conversion. Descriptions tell the model what to write.

import { z } from "zod";

/** A single-line or short statement inside a list (a scope item, a criterion, a reason). */
const item = (description: string, max = 500) => z.string().min(1).max(max).describe(description);

/** A repository-relative file path, as the implementer's tools and the commit use it. */
const repoPath = (description: string) => z.string().min(1).max(300).describe(description);

/** Traceable ids: acceptance criteria of the brief, requirements of the spec, plan tasks. */
export const CRITERION_ID = /^AC-[1-9][0-9]{0,2}$/;
export const REQUIREMENT_ID = /^FR-[0-9]{1,3}$/;
export const TASK_ID = /^T[0-9]{3}$/;
/**
 * An ASVS 5.0 requirement in the versioned form the standard asks tools to use,
 * `v<version>-<chapter>.<section>.<requirement>` ("Using the ASVS", github.com/OWASP/ASVS/tree/v5.0.0).
 */
export const ASVS_ID = /^v5\.0\.0-[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}$/;

const criterionId = z
  .string()
  .regex(CRITERION_ID)
  .describe("An acceptance criterion id: AC-1, AC-2, …");
const requirementId = z
  .string()
  .regex(REQUIREMENT_ID)
  .describe("A requirement id of the spec: FR-1, FR-2, …");
const taskId = z.string().regex(TASK_ID).describe("A task id of the plan: T001, T002, …");

export const AcceptanceCriterion = z.object({
  id: criterionId.describe(
    "AC-n. Stable across revisions: a criterion keeps its id; a new one takes the next unused number; a removed id is never reused.",
  ),
  text: item("A testable statement: a situation and its observable expected result."),
});
export type AcceptanceCriterion = z.infer<typeof AcceptanceCriterion>;

export const Brief = z
  .object({
    title: z
      .string()
      .min(1)
      .max(120)
      .describe("A short name for the feature, in the language of the issue author."),
    problem: z
      .string()
      .min(1)
      .max(4000)
      .describe("What is wrong or missing today, for whom, and why it matters (markdown)."),
    users: z
      .string()
      .min(1)
      .max(2000)
      .describe("Who is affected or will use the result: roles and their context (markdown)."),
    scope: z
      .array(item("One behaviour the change must deliver."))
      .min(1)
      .max(30)
      .describe("What the change will do, one behaviour per item."),
    outOfScope: z
      .array(item("One thing that will explicitly not be done."))
      .max(30)
      .describe("What was discussed or could be assumed but will not be done; may be empty."),
    acceptanceCriteria: z
      .array(AcceptanceCriterion)
      .min(1)
      .max(30)
      .describe("Observable, testable conditions of done, one per item."),
    constraints: z
      .array(item("One compatibility, performance, security, platform or policy limit."))
      .max(30)
      .describe("Limits stated in the thread or imposed by the repository; may be empty."),
    openQuestions: z
      .array(item("A question that does not block approval, with the assumption made meanwhile."))
      .max(20)
      .describe("Unknowns that do not block approval, each with its assumption; may be empty."),
  })
  .describe("The brief: the agreed need, which a person approves with /approve.");
export type Brief = z.infer<typeof Brief>;

export const BaOutput = z.object({
  reply: z
    .string()
    .min(1)
    .max(10000)
    .describe(
      "The markdown comment to post in the issue, in the language the issue author writes in.",
    ),
  brief: Brief.nullable().describe(
    "The complete brief when producing a new or revised one; null while still clarifying, in answer mode, or when the current brief stands unchanged.",
  ),
  proposedRevise: z
    .string()
    .min(1)
    .max(2000)
    .optional()
    .describe(
      "Answer mode only, when a person asks for a change: the text of a `/revise` command (without `/revise`) that a person with write access could comment. Shown as a suggestion, never executed.",
    ),
  language: z
    .string()
    .min(2)
    .max(35)
    .optional()
    .describe(
      "The ISO 639-1 code (two lowercase letters, e.g. `en`, `es`, `de`, `fr`, `ja`, `zh`) of the language the issue author writes in, the one `reply` is written in. The app writes its own comments in this issue in that language.",
    ),
});
export type BaOutput = z.infer<typeof BaOutput>;

export const Requirement = z.object({
  id: requirementId,
  text: item("The requirement as written in the spec (MUST/SHOULD …).", 1000),
  criteria: z
    .array(criterionId)
    .max(30)
    .describe("The acceptance criteria (AC-n) of the brief this requirement serves."),
});
export type Requirement = z.infer<typeof Requirement>;

export const SpecOutput = z.object({
  requirements: z
    .array(Requirement)
    .min(1)
    .max(60)
    .describe("Every functional requirement of the spec, with the acceptance criteria it serves."),
  markdown: z
    .string()
    .min(1)
    .max(60000)
    .describe("The complete specification document (markdown)."),
  summary: z
    .string()
    .min(1)
    .max(1000)
    .describe(
      "One to three sentences for the reviewer: stories, requirements, main assumptions, clarifications needed.",
    ),
});
export type SpecOutput = z.infer<typeof SpecOutput>;

export const PlanTask = z.object({
  id: z.string().regex(TASK_ID).describe("The task id, T001, T002, … in execution order."),
  title: z.string().min(1).max(200).describe("A short imperative title."),
  requirements: z
    .array(requirementId)
    .max(30)
    .describe("The spec's requirements (FR-n) this task implements."),
  dependsOn: z
    .array(taskId)
    .max(30)
    .describe("Tasks that must be done before this one; empty when none."),
  files: z
    .array(repoPath("A repository-relative path the task creates, changes or deletes."))
    .min(1)
    .max(20)
    .describe("Every file the task touches."),
  detail: z
    .string()
    .min(1)
    .max(4000)
    .describe(
      "Exactly what to do in those files: functions, types or sections, behaviour, requirement ids (FR-…), error cases.",
    ),
  group: z
    .string()
    .regex(/^G[0-9]{1,2}$/)
    .describe(
      "Only for small tasks done better together: G1, G2, … shared by consecutive tasks that the implementer does in one run and one commit. Omit for a task done on its own.",
    )
    .optional(),
});
export type PlanTask = z.infer<typeof PlanTask>;

export const PlanOutput = z.object({
  markdown: z.string().min(1).max(60000).describe("The complete plan document (markdown)."),
  tasks: z
    .array(PlanTask)
    .min(1)
    .max(30)
    .describe("The ordered task list for the implementer, matching the plan's Tasks section."),
  summary: z
    .string()
    .min(1)
    .max(1000)
    .describe("One to three sentences for the reviewer: approach, size, exceptions and risks."),
});
export type PlanOutput = z.infer<typeof PlanOutput>;

export const TestFile = z.object({
  path: repoPath("The repository-relative path of a new test file."),
  covers: z
    .array(z.string().regex(/^(AC|FR)-[0-9]{1,3}$/))
    .min(1)
    .max(60)
    .describe(
      "The acceptance criteria (AC-n) and requirements (FR-n) this file tests; the file also declares them in a `covers:` comment line.",
    ),
  content: z.string().min(1).max(100000).describe("The complete content of the file."),
});
export type TestFile = z.infer<typeof TestFile>;

export const TestsOutput = z.object({
  files: z.array(TestFile).min(1).max(20).describe("The contract test files to commit."),
  summary: z
    .string()
    .min(1)
    .max(2000)
    .describe(
      "A coverage map for the reviewer: which files cover which requirements and scenarios, and what is not covered and why.",
    ),
});
export type TestsOutput = z.infer<typeof TestsOutput>;

export const ImplementFinish = z.object({
  summary: z
    .string()
    .min(1)
    .max(4000)
    .describe(
      "What changed, file by file; findings fixed or declined and why; files touched outside the plan; what to check carefully.",
    ),
  tasksDone: z
    .array(z.string().min(1).max(20).describe("A task id such as T001."))
    .max(30)
    .describe("The ids of the plan's tasks that are complete."),
});
export type ImplementFinish = z.infer<typeof ImplementFinish>;

export const DocsFinish = z.object({
  summary: z
    .string()
    .min(1)
    .max(4000)
    .describe(
      "What was documented, file by file; or, when nothing changed, why nothing in the feature is worth documenting.",
    ),
});
export type DocsFinish = z.infer<typeof DocsFinish>;

export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
export const Severity = z.enum(SEVERITIES).describe("How serious the finding is.");
export type Severity = z.infer<typeof Severity>;

export const Finding = z.object({
  severity: Severity,
  title: z.string().min(1).max(200).describe("A short statement of the problem."),
  detail: z
    .string()
    .min(1)
    .max(4000)
    .describe("The problem, its consequence or attack path, and the concrete fix (markdown)."),
  path: repoPath("The repository-relative path of the file concerned.").optional(),
  line: z
    .number()
    .int()
    .min(1)
    .describe("The first line concerned, in the new version of the file.")
    .optional(),
  endLine: z
    .number()
    .int()
    .min(1)
    .describe("The last line concerned, for a range, in the new version of the file.")
    .optional(),
  category: z
    .string()
    .min(1)
    .max(100)
    .describe("A category such as correctness, maintainability or injection.")
    .optional(),
  requirements: z
    .array(requirementId)
    .max(20)
    .describe("The spec's requirements (FR-n) the finding concerns.")
    .optional(),
  asvs: z
    .array(z.string().regex(ASVS_ID))
    .max(10)
    .describe("For security findings: ASVS 5.0 requirements in versioned form, e.g. v5.0.0-1.2.5.")
    .optional(),
});
export type Finding = z.infer<typeof Finding>;

export const ReviewOutput = z.object({
  verdict: z
    .enum(["pass", "fail"])
    .describe("fail when there is at least one critical or high finding; otherwise pass."),
  summary: z
    .string()
    .min(1)
    .max(2000)
    .describe(
      "One to three sentences: the reason for the verdict and the most important findings.",
    ),
  findings: z.array(Finding).max(100).describe("The findings; an empty list when there are none."),
});
export type ReviewOutput = z.infer<typeof ReviewOutput>;

export const AlignmentOutput = z.object({
  recommendation: z
    .enum(["APPROVE", "REVISE"])
    .describe("APPROVE when nothing required is missing and nothing significant was added."),
  reasons: z
    .array(item("A concrete statement naming the item checked, missing or added.", 400))
    .min(1)
    .max(5)
    .describe("One to five short reasons."),
  summary: z.string().min(1).max(300).describe("One sentence for the status comment."),
});
export type AlignmentOutput = z.infer<typeof AlignmentOutput>;

export const TitleOutput = z.object({
  title: z
    .string()
    .min(1)
    .max(72)
    .regex(/^[^\r\n]+$/)
    .describe("A Conventional Commits pull request title, imperative, one line, at most 72 chars."),
});
export type TitleOutput = z.infer<typeof TitleOutput>;

/** Indents continuation lines so a multi-line item stays inside its list item. */
function listItem(prefix: string, text: string): string {
  return prefix + text.trim().replace(/\r?\n/g, "\n  ");
}

function list(items: readonly string[], prefix: string): string {
  const entries = items.map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  return entries.length === 0
    ? "_None._"
    : entries.map((entry) => listItem(prefix, entry)).join("\n");
}

/** Renders the brief as the markdown document committed as `brief.md` and shown in the issue. */
export function renderBriefMarkdown(brief: Brief): string {
  const sections = [
    `# ${brief.title.replace(/\s+/g, " ").trim()}`,
    "## Problem",
    brief.problem.trim(),
    "## Users",
    brief.users.trim(),
    "## Scope",
    list(brief.scope, "- "),
    "## Out of scope",
    list(brief.outOfScope, "- "),
    "## Acceptance criteria",
    list(
      brief.acceptanceCriteria.map((c) => `**${c.id}** ${c.text}`),
      "- [ ] ",
    ),
    "## Constraints",
    list(brief.constraints, "- "),
    "## Open questions",
    list(brief.openQuestions, "- "),
  ];
  return `${sections.join("\n\n")}\n`;
}
