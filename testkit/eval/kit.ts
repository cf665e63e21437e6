// The eval kit: runs the agents (BA → spec → plan → contract tests → implementer) on each
// request of cases.ts against its fixture repository, in process, and scores every run
// mechanically. With a key it talks to the real model; without one, to the model fake with
// the scripted answers, which proves the kit and the agents' plumbing work.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { isBuiltin } from "node:module";
import { posix } from "node:path";
import { AnthropicModel } from "../../src/adapters/model/anthropic.ts";
import type { Store } from "../../src/adapters/store/store.ts";
import { runImplementer } from "../../src/agents/implementer/loop.ts";
import { isChecked, syntaxProblems } from "../../src/agents/implementer/syntax.ts";
import { fenceUntrusted } from "../../src/agents/prompts.ts";
import { modelSetting } from "../../src/agents/registry.ts";
import { type AgentCall, runAgent } from "../../src/agents/run-agent.ts";
import {
  type BaOutput,
  type PlanOutput,
  renderBriefMarkdown,
  type SpecOutput,
  type TestsOutput,
} from "../../src/agents/schemas.ts";
import { DEFAULT_REPO_CONFIG } from "../../src/config/repo-config.ts";
import type { AgentName } from "../../src/core/feature.ts";
import { DEFAULT_PATH_POLICY } from "../../src/core/paths.ts";
import {
  coverage,
  criteriaOf,
  PLAN_TRACE_HEADING,
  renderRequirementsTrace,
  renderTaskTrace,
  requirementsOf,
  SPEC_TRACE_HEADING,
  withCoversLine,
  withTrace,
} from "../../src/core/trace.ts";
import { taskList } from "../../src/jobs/agent/implement.ts";
import { repositoryView } from "../../src/jobs/agent/repository.ts";
import { checkPlan, checkSpec, checkTests } from "../../src/jobs/agent/stage.ts";
import { projectPath } from "../../src/project-root.ts";
import {
  byPromptIncludes,
  byTool,
  type ModelFake,
  startModelFake,
} from "../../testkit/fakes/model/index.ts";
import { EVAL_CASES, type EvalCase } from "./cases.ts";

export interface CaseScore {
  case: string;
  fixture: string;
  /** Stages whose answer was valid against its schema and the id checks, of five. */
  validStages: number;
  /** Acceptance criteria covered by a contract test / all criteria. */
  criteriaCovered: string;
  /** Imports in the contract tests that resolve (fixture, planned files, packages) / all. */
  importsResolved: string;
  /** Planned files the implementer's diff touches / all planned files. */
  plannedTouched: string;
  /** Written files (tests and code) that parse / those of a checkable type. */
  filesParse: string;
  /** Model calls made. */
  turns: number;
  costUsd: number;
  error: string | null;
}

export interface EvalOptions {
  /** The real API's key; without it the model fake answers with the scripted answers. */
  apiKey?: string | undefined;
  baseURL?: string | undefined;
  cases?: EvalCase[];
}

/** Runs every case and returns one score row each. */
export async function runEval(options: EvalOptions = {}): Promise<CaseScore[]> {
  const fake = options.apiKey ? null : await startModelFake();
  try {
    const model = new AnthropicModel({
      baseURL: fake?.url ?? options.baseURL,
      maxRetries: fake ? 0 : 2,
      timeoutMs: 300_000,
    });
    const apiKey = options.apiKey ?? "sk-ant-eval-fake";
    const scores: CaseScore[] = [];
    for (const evalCase of options.cases ?? EVAL_CASES) {
      const unscript = fake ? script(fake, evalCase) : () => {};
      try {
        scores.push(await runCase(model, apiKey, evalCase));
      } finally {
        unscript();
      }
    }
    return scores;
  } finally {
    await fake?.close();
  }
}

/** The fixture's files, by repository path. */
export function fixtureFiles(name: string): Map<string, string> {
  const root = projectPath("eval/fixtures", name);
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(posix.join(root, dir))) {
      const path = dir ? `${dir}/${entry}` : entry;
      if (statSync(posix.join(root, path)).isDirectory()) walk(path);
      else files.set(path, readFileSync(posix.join(root, path), "utf8"));
    }
  };
  walk("");
  return files;
}

/** Model use of one case: what `runAgent` records, kept in memory. */
function memoryStore() {
  let calls = 0;
  let costUsd = 0;
  const store = {
    recordAgentRun: async (run: { costUsd: number }) => {
      calls += 1;
      costUsd += run.costUsd;
      return calls;
    },
    usageTotals: async () => ({ costUsd }),
  };
  return { store: store as unknown as Store, totals: () => ({ calls, costUsd }) };
}

async function runCase(model: AnthropicModel, apiKey: string, c: EvalCase): Promise<CaseScore> {
  const files = fixtureFiles(c.fixture);
  const memory = memoryStore();
  const deps = { model, store: memory.store };
  const base = {
    repo: `eval/${c.fixture}`,
    defaultBranch: "main",
    issueNumber: 1,
    issueTitle: fenceUntrusted("issue title", c.issue.title, 300),
    issueBody: fenceUntrusted("issue body", c.issue.body),
    conventions: "",
    extraInstructions: "",
    stage: "drafting",
  };
  const call = (agent: AgentName, context: Record<string, unknown>, check?: AgentCall["check"]) =>
    ({
      agent,
      featureId: 1,
      installationId: 1,
      jobId: `eval-${c.id}-${agent}`,
      apiKey,
      setting: modelSetting(agent, DEFAULT_REPO_CONFIG),
      context: { ...base, ...context },
      check,
      repository: repository.reader,
    }) satisfies AgentCall;
  // What the jobs give each stage: the read tools and the repository overview.
  const repository = repositoryView({ files });
  let validStages = 0;
  let brief = "";
  let spec = "";
  let plan = "";
  let planned: string[] = [];
  let tests: { path: string; content: string }[] = [];
  let written: { path: string; content: string }[] = [];
  let error: string | null = null;
  try {
    const ba = await runAgent<BaOutput>(
      deps,
      call("ba", {
        mode: "clarify",
        conversation: fenceUntrusted("issue conversation", `author (user):\n${c.answer}`),
        brief: "",
        revision: "",
        pipelineContext: "",
      }),
    );
    if (!ba.output.brief) throw new Error("the BA asked again instead of writing the brief");
    validStages += 1;
    brief = renderBriefMarkdown(ba.output.brief);
    const criteria = new Set(criteriaOf(brief).map((x) => x.id));
    const specRun = await runAgent<SpecOutput>(
      deps,
      call("spec", { brief, revision: "", ...repository.context }, (o) =>
        checkSpec(o as SpecOutput, criteria),
      ),
    );
    validStages += 1;
    spec = withTrace(
      specRun.output.markdown,
      SPEC_TRACE_HEADING,
      renderRequirementsTrace(specRun.output.requirements),
    );
    const requirements = new Set(requirementsOf(spec).map((r) => r.id));
    const planRun = await runAgent<PlanOutput>(
      deps,
      call("plan", { brief, spec, ...repository.context }, (o) =>
        checkPlan(o as PlanOutput, requirements),
      ),
    );
    validStages += 1;
    plan = withTrace(
      planRun.output.markdown,
      PLAN_TRACE_HEADING,
      renderTaskTrace(planRun.output.tasks),
    );
    planned = [...new Set(planRun.output.tasks.flatMap((t) => t.files))];
    const known = new Set([...criteria, ...requirements]);
    const testsRun = await runAgent<TestsOutput>(
      deps,
      call("tests", { brief, spec, plan, ...repository.context }, (o) =>
        checkTests(o as TestsOutput, known),
      ),
    );
    validStages += 1;
    tests = testsRun.output.files.map((f) => ({
      path: f.path,
      content: withCoversLine(f.path, f.content, f.covers),
    }));
    const snapshot = new Map(files);
    for (const t of tests) snapshot.set(t.path, t.content);
    const result = await runImplementer(deps, {
      call: call("implement", {
        mode: "implement",
        brief,
        spec,
        plan,
        tasks: taskList(planRun.output.tasks.map((t) => ({ ...t, done: false }))),
        // The whole plan in one run: the eval scores the plan's files together.
        current: "",
        tests: tests.map((t) => `### ${t.path}\n\n\`\`\`\`\n${t.content}\n\`\`\`\``).join("\n\n"),
        findings: "",
      }),
      snapshot: { sha: "eval", files: snapshot },
      policy: DEFAULT_PATH_POLICY,
      secretLiterals: [apiKey],
    });
    validStages += 1;
    written = result.changes.flatMap((ch) =>
      ch.content === null ? [] : [{ path: ch.path, content: String(ch.content) }],
    );
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const table = brief
    ? coverage({ brief, spec: spec || undefined, plan: plan || undefined, tests })
    : null;
  const criteriaTotal = table?.rows.length ?? 0;
  const imports = tests.flatMap((t) =>
    importsOf(t.content).map((spec) => resolves(t.path, spec, files, planned, tests)),
  );
  const touched = new Set(written.map((w) => w.path));
  const checkable = [...tests, ...written].map(parses).filter((r) => r !== null);
  const { calls, costUsd } = memory.totals();
  return {
    case: c.id,
    fixture: c.fixture,
    validStages,
    criteriaCovered: `${table?.rows.filter((r) => r.tests.length > 0).length ?? 0}/${criteriaTotal}`,
    importsResolved: `${imports.filter(Boolean).length}/${imports.length}`,
    plannedTouched: `${planned.filter((p) => touched.has(p)).length}/${planned.length}`,
    filesParse: `${checkable.filter(Boolean).length}/${checkable.length}`,
    turns: calls,
    costUsd: Math.round(costUsd * 10_000) / 10_000,
    error,
  };
}

/** Module specifiers a JS or TS file imports (static, dynamic and require). */
export function importsOf(source: string): string[] {
  const found = new Set<string>();
  const pattern =
    /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm;
  for (const match of source.matchAll(pattern)) if (match[1]) found.add(match[1]);
  return [...found];
}

/** Whether an import of a test resolves in the fixture, the planned files or its packages. */
function resolves(
  from: string,
  specifier: string,
  files: Map<string, string>,
  planned: string[],
  tests: { path: string }[],
): boolean {
  const exists = new Set([...files.keys(), ...planned, ...tests.map((t) => t.path)]);
  if (specifier.startsWith(".")) {
    const target = posix.normalize(posix.join(posix.dirname(from), specifier));
    const stem = target.replace(/\.(m?[jt]s|c[jt]s)$/, "");
    return [
      target,
      `${stem}.js`,
      `${stem}.ts`,
      `${stem}.mjs`,
      `${target}/index.js`,
      `${target}/index.ts`,
    ].some((p) => exists.has(p));
  }
  if (isBuiltin(specifier)) return true;
  const pkg = JSON.parse(files.get("package.json") ?? "{}") as {
    name?: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const name = specifier.startsWith("@")
    ? specifier.split("/").slice(0, 2).join("/")
    : (specifier.split("/")[0] ?? "");
  return (
    name in (pkg.dependencies ?? {}) || name in (pkg.devDependencies ?? {}) || name === pkg.name
  );
}

/** Whether a written file parses (the implementer's own syntax check); null when not checked. */
function parses(file: { path: string; content: string }): boolean | null {
  return isChecked(file.path) ? syntaxProblems(file.path, file.content).length === 0 : null;
}

/** The scripted answers of one case on the model fake; returns the remover. */
function script(fake: ModelFake, c: EvalCase): () => void {
  const s = c.scripted;
  const existing = new Set(fixtureFiles(c.fixture).keys());
  const tool = (name: string, input: Record<string, unknown>) => ({ toolUse: { name, input } });
  // Cases run one after another, each with only its own answers registered.
  const both = (matcher: ReturnType<typeof byTool>) => matcher;
  const removers = [
    fake.respond(both(byPromptIncludes("# Agent: implementer")), (request) =>
      request.body.messages.some((m) => m.role === "assistant")
        ? tool("finish", { summary: "Implemented the plan.", tasksDone: s.tasks.map((t) => t.id) })
        : {
            // An existing file is read, then replaced; a new one created.
            toolUse: Object.entries(s.code).flatMap(([path, content]) => [
              ...(existing.has(path)
                ? [
                    { name: "view", input: { path } },
                    { name: "delete", input: { path } },
                  ]
                : []),
              { name: "create", input: { path, content } },
            ]),
          },
    ),
    fake.respond(both(byTool("submit_ba_reply")), () =>
      tool("submit_ba_reply", { reply: "Here is the brief.", brief: s.brief }),
    ),
    fake.respond(both(byTool("submit_spec")), () =>
      tool("submit_spec", { requirements: s.requirements, markdown: s.spec, summary: "Spec." }),
    ),
    fake.respond(both(byTool("submit_plan")), () =>
      tool("submit_plan", { markdown: "# Plan\n", tasks: s.tasks, summary: "Plan." }),
    ),
    fake.respond(both(byTool("submit_tests")), () =>
      tool("submit_tests", { files: s.tests, summary: "Tests." }),
    ),
  ];
  return () => {
    for (const remove of removers) remove();
  };
}

/** The scores as a fixed-width table. */
export function formatTable(scores: CaseScore[]): string {
  const header = [
    "case",
    "stages",
    "criteria",
    "imports",
    "planned",
    "parse",
    "turns",
    "cost",
    "error",
  ];
  const rows = scores.map((s) => [
    s.case,
    `${s.validStages}/5`,
    s.criteriaCovered,
    s.importsResolved,
    s.plannedTouched,
    s.filesParse,
    String(s.turns),
    `$${s.costUsd.toFixed(4)}`,
    s.error ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
