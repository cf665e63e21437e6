// Traceable ids from criterion to test: the brief's acceptance criteria (AC-n), the spec's
// requirements (FR-n) citing them, the plan's tasks citing requirements, and the contract
// tests declaring what they cover. Everything is read back from the markdown and files
// committed on the branch, so the table people see is built from what they can read. Pure.

export interface TracedRequirement {
  id: string;
  criteria: string[];
}

export interface TracedTask {
  id: string;
  requirements: string[];
  dependsOn: string[];
  files: string[];
  /** Small tasks sharing a group are implemented in one run and one commit. */
  group?: string | undefined;
}

export interface TracedTestFile {
  path: string;
  covers: string[];
}

export interface CoverageRow {
  criterion: string;
  requirements: string[];
  tasks: string[];
  tests: string[];
  /** What is missing for this criterion, given the stages that exist; null when covered. */
  gap: "no requirement" | "no task" | "no test" | null;
}

export interface Coverage {
  rows: CoverageRow[];
  /** Which links exist yet: a spec, a plan, contract tests. */
  has: { spec: boolean; plan: boolean; tests: boolean };
  /** Criteria without a test once the contract tests exist. */
  untested: string[];
}

const CRITERION = /\bAC-[1-9][0-9]{0,2}\b/g;
const REQUIREMENT = /\bFR-[0-9]{1,3}\b/g;
const TASK = /\bT[0-9]{3}\b/g;

export const SPEC_TRACE_HEADING = "## Requirements trace";
export const PLAN_TRACE_HEADING = "## Task trace";

const ids = (text: string, pattern: RegExp): string[] => [...new Set(text.match(pattern) ?? [])];

/** The lines of the `## …` section named `heading` (up to the next heading of that level). */
function section(markdown: string, heading: string): string[] {
  const lines = markdown.replace(/\r\n?/g, "\n").split("\n");
  const start = lines.findIndex((l) => l.trim().toLowerCase() === heading.toLowerCase());
  if (start < 0) return [];
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => /^#{1,2} /.test(l));
  return end < 0 ? rest : rest.slice(0, end);
}

/** The criteria of a brief rendered by `renderBriefMarkdown`: `- [ ] **AC-1** …`. */
export function criteriaOf(brief: string): { id: string; text: string }[] {
  const out: { id: string; text: string }[] = [];
  for (const line of section(brief, "## Acceptance criteria")) {
    const match = /^- \[[ xX]\] \*\*(AC-[0-9]+)\*\* (.*)$/.exec(line);
    if (match?.[1]) out.push({ id: match[1], text: match[2] ?? "" });
  }
  return out;
}

/** Table rows (`| a | b |`) of a section, as cells, without the header and the rule. */
function tableRows(lines: string[]): string[][] {
  return lines
    .filter((l) => l.trim().startsWith("|"))
    .map((l) =>
      l
        .trim()
        .replace(/^\||\|$/g, "")
        .split("|")
        .map((c) => c.trim()),
    )
    .filter((cells) => !cells.every((c) => /^:?-+:?$/.test(c)))
    .slice(1);
}

/** The requirements trace the spec stage appends to `spec.md`. */
export function requirementsOf(spec: string): TracedRequirement[] {
  return tableRows(section(spec, SPEC_TRACE_HEADING)).flatMap(([id = "", criteria = ""]) => {
    const [requirement] = ids(id, REQUIREMENT);
    return requirement ? [{ id: requirement, criteria: ids(criteria, CRITERION) }] : [];
  });
}

/** The task trace the plan stage appends to `plan.md`. */
export function tasksOf(plan: string): TracedTask[] {
  return tableRows(section(plan, PLAN_TRACE_HEADING)).flatMap(
    ([id = "", requirements = "", dependsOn = "", files = ""]) => {
      const [task] = ids(id, TASK);
      if (!task) return [];
      return [
        {
          id: task,
          requirements: ids(requirements, REQUIREMENT),
          dependsOn: ids(dependsOn, TASK),
          files: [...files.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? ""),
        },
      ];
    },
  );
}

/** What a test file declares it covers: the ids on its `covers:` lines (any comment syntax). */
export function coversOf(content: string): string[] {
  const found: string[] = [];
  for (const line of content.split("\n").slice(0, 40)) {
    const match = /\bcovers:\s*(.*)$/i.exec(line);
    if (match?.[1]) found.push(...ids(match[1], CRITERION), ...ids(match[1], REQUIREMENT));
  }
  return [...new Set(found)];
}

/** A `covers:` line in the comment syntax of the file's language, or null when unknown. */
export function coversLine(path: string, covers: string[]): string | null {
  const list = covers.join(", ");
  if (
    /\.(m?[jt]sx?|cjs|cts|go|java|kt|kts|scala|swift|rs|c|cc|cpp|h|hpp|cs|php|dart)$/.test(path)
  ) {
    return `// covers: ${list}`;
  }
  if (/\.(py|rb|sh|bash|ya?ml|toml|r|pl|ex|exs)$/i.test(path)) return `# covers: ${list}`;
  if (/\.(sql|lua|hs)$/.test(path)) return `-- covers: ${list}`;
  return null;
}

/** The file with its `covers:` declaration first, unless it already declares one. */
export function withCoversLine(path: string, content: string, covers: string[]): string {
  if (coversOf(content).length > 0) return content;
  const line = coversLine(path, covers);
  if (line === null) return content;
  // A shebang must stay on the first line.
  if (content.startsWith("#!")) {
    const end = content.indexOf("\n");
    return end < 0
      ? `${content}\n${line}\n`
      : `${content.slice(0, end + 1)}${line}\n${content.slice(end + 1)}`;
  }
  return `${line}\n${content}`;
}

const cell = (values: string[]): string => (values.length === 0 ? "—" : values.join(", "));
const code = (values: string[]): string =>
  values.length === 0 ? "—" : values.map((v) => `\`${v.replace(/[`|]/g, "")}\``).join(", ");

/** The `## Requirements trace` section for `spec.md`. */
export function renderRequirementsTrace(requirements: TracedRequirement[]): string {
  const rows = requirements.map((r) => `| ${r.id} | ${cell(r.criteria)} |`);
  return [SPEC_TRACE_HEADING, "", "| Requirement | Acceptance criteria |", "| --- | --- |", ...rows]
    .join("\n")
    .concat("\n");
}

/** The `## Task trace` section for `plan.md`; a Group column when the plan groups tasks. */
export function renderTaskTrace(tasks: TracedTask[]): string {
  const grouped = tasks.some((t) => t.group);
  const rows = tasks.map(
    (t) =>
      `| ${t.id} | ${cell(t.requirements)} | ${cell(t.dependsOn)} | ${code(t.files)} |${grouped ? ` ${t.group ?? "—"} |` : ""}`,
  );
  return [
    PLAN_TRACE_HEADING,
    "",
    `| Task | Requirements | Depends on | Files |${grouped ? " Group |" : ""}`,
    `| --- | --- | --- | --- |${grouped ? " --- |" : ""}`,
    ...rows,
  ]
    .join("\n")
    .concat("\n");
}

/** `markdown` with its trace section replaced by (or ended with) `trace`. */
export function withTrace(markdown: string, heading: string, trace: string): string {
  const lines = markdown.replace(/\r\n?/g, "\n").split("\n");
  const start = lines.findIndex((l) => l.trim().toLowerCase() === heading.toLowerCase());
  let kept = lines;
  if (start >= 0) {
    const rest = lines.slice(start + 1);
    const end = rest.findIndex((l) => /^#{1,2} /.test(l));
    kept = [...lines.slice(0, start), ...(end < 0 ? [] : rest.slice(end))];
  }
  return `${kept.join("\n").trimEnd()}\n\n${trace}`;
}

/** Criterion → requirements → tasks → tests, from what the stages committed so far. */
export function coverage(input: {
  brief: string;
  spec?: string;
  plan?: string;
  tests?: { path: string; content: string }[];
}): Coverage {
  const requirements = input.spec ? requirementsOf(input.spec) : [];
  const tasks = input.plan ? tasksOf(input.plan) : [];
  const tests: TracedTestFile[] = (input.tests ?? []).map((f) => ({
    path: f.path,
    covers: coversOf(f.content),
  }));
  const has = {
    spec: input.spec !== undefined,
    plan: input.plan !== undefined,
    tests: input.tests !== undefined && input.tests.length > 0,
  };
  const rows = criteriaOf(input.brief).map(({ id }): CoverageRow => {
    const reqs = requirements.filter((r) => r.criteria.includes(id)).map((r) => r.id);
    const taskIds = tasks
      .filter((t) => t.requirements.some((r) => reqs.includes(r)))
      .map((t) => t.id);
    const testPaths = tests
      .filter((t) => t.covers.includes(id) || t.covers.some((c) => reqs.includes(c)))
      .map((t) => t.path);
    const gap =
      has.spec && reqs.length === 0
        ? "no requirement"
        : has.plan && taskIds.length === 0
          ? "no task"
          : has.tests && testPaths.length === 0
            ? "no test"
            : null;
    return { criterion: id, requirements: reqs, tasks: taskIds, tests: testPaths, gap };
  });
  return {
    rows,
    has,
    untested: has.tests ? rows.filter((r) => r.tests.length === 0).map((r) => r.criterion) : [],
  };
}

/**
 * Keeps criterion ids stable across revisions of the brief: a criterion whose text is
 * unchanged keeps its earlier id, and an id used twice (or never seen in order) is given the
 * next number after every id the brief has had, so an id is never reused for another meaning.
 */
export function stableCriteria<C extends { id: string; text: string }>(
  previous: { id: string; text: string }[],
  next: C[],
): C[] {
  const byText = new Map(previous.map((c) => [c.text.trim(), c.id]));
  const number = (id: string) => Number(id.replace(/^AC-/, "")) || 0;
  let highest = Math.max(0, ...previous.map((c) => number(c.id)), ...next.map((c) => number(c.id)));
  const used = new Set<string>();
  return next.map((criterion) => {
    let id = byText.get(criterion.text.trim()) ?? criterion.id;
    if (used.has(id)) id = `AC-${++highest}`;
    used.add(id);
    return id === criterion.id ? criterion : { ...criterion, id };
  });
}

/**
 * The tasks the implementer may count as done: a task it reports done whose planned files the
 * change does not touch is not done. Tasks without planned files are taken at their word.
 */
export function checkTasksDone(
  tasks: { id: string; files?: string[] | undefined }[],
  reported: string[],
  changedPaths: Iterable<string>,
): { done: string[]; notDone: { id: string; files: string[] }[] } {
  const changed = new Set(changedPaths);
  const done: string[] = [];
  const notDone: { id: string; files: string[] }[] = [];
  for (const id of new Set(reported)) {
    const files = tasks.find((t) => t.id === id)?.files ?? [];
    if (files.length === 0 || files.some((f) => changed.has(f))) done.push(id);
    else notDone.push({ id, files });
  }
  return { done, notDone };
}
