import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AnthropicModel } from "../../../src/adapters/model/anthropic.ts";
import type { Store } from "../../../src/adapters/store/store.ts";
import { runImplementer } from "../../../src/agents/implementer/loop.ts";
import { WorkingCopy } from "../../../src/agents/implementer/working-copy.ts";
import { type AgentDeps, runAgent } from "../../../src/agents/run-agent.ts";
import { DEFAULT_PATH_POLICY } from "../../../src/core/paths.ts";
import { AgentOutputError } from "../../../src/errors.ts";
import { repositoryView } from "../../../src/jobs/agent/repository.ts";
import { byTool, type ModelFake, startModelFake } from "../../../testkit/fakes/model/index.ts";

const API_KEY = "sk-ant-api03-test-key-for-the-fake";

/** About 3,000 files: 2,500 fillers sort before `src/` and `test/`, which hold what matters. */
function bigRepository(): Map<string, string> {
  const files = new Map<string, string>();
  for (let i = 0; i < 2_500; i++) {
    files.set(`assets/icons/set-${Math.floor(i / 100)}/icon-${i}.svg.txt`, `icon ${i}\n`);
  }
  for (let i = 0; i < 450; i++) {
    files.set(
      `src/modules/m${i}.ts`,
      `export function handler${i}(input: string): string {\n  return input;\n}\n`,
    );
  }
  files.set(
    "package.json",
    `${JSON.stringify({ name: "big-app", scripts: { test: "vitest run" }, devDependencies: { vitest: "3.0.0" } }, null, 2)}\n`,
  );
  files.set(
    "vitest.config.ts",
    'import { defineConfig } from "vitest/config";\nexport default defineConfig({ test: { include: ["test/**/*.test.ts"] } });\n',
  );
  files.set(
    "src/reports.ts",
    'import { handler1 } from "./modules/m1.ts";\n\nexport function exportCsv(rows: string[][]): string {\n  return rows.map((r) => r.join(",")).join("\\n");\n}\n\nexport const VERSION = handler1("1");\n',
  );
  files.set(
    "test/reports.test.ts",
    `import { describe, expect, it } from "vitest";\nimport { exportCsv } from "../src/reports.ts";\n\ndescribe("exportCsv", () => {\n${'  it("joins cells", async () => {\n    expect(exportCsv([["a", "b"]])).toBe("a,b");\n  });\n'.repeat(12)}});\n`,
  );
  files.set("package-lock.json", '{ "lockfileVersion": 3, "exportCsv": true }\n');
  return files;
}

type AgentRunRow = Parameters<Store["recordAgentRun"]>[0];

function memoryStore() {
  const runs: AgentRunRow[] = [];
  return {
    runs,
    async recordAgentRun(run: AgentRunRow) {
      runs.push(run);
      return runs.length;
    },
    async usageTotals() {
      return {
        inputTokens: 0,
        outputTokens: 0,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        costUsd: 0,
        calls: runs.length,
      };
    },
  };
}

const common = {
  repo: "acme/big-app",
  defaultBranch: "main",
  issueNumber: 5,
  stage: "planning",
  issueTitle: "CSV export",
  issueBody: "Export reports as CSV.",
  conventions: "",
  extraInstructions: "",
  brief: "# Brief\n\nExport reports as CSV.",
  spec: "# Spec\n\n- **FR-001** The system MUST export CSV.",
  plan: "# Plan\n\nT001 change src/reports.ts",
};

const PLAN = {
  markdown: "# Plan",
  tasks: [
    {
      id: "T001",
      title: "CSV",
      files: ["src/reports.ts"],
      detail: "Add exportCsv (FR-001).",
      requirements: ["FR-001"],
      dependsOn: [],
    },
  ],
  summary: "One task.",
};

/** The tool results of the last user turn of a recorded request. */
const resultsOf = (body: unknown) => {
  const last = (body as { messages: { role: string; content: unknown }[] }).messages.at(-1);
  return (Array.isArray(last?.content) ? last.content : [])
    .filter((b: { type: string }) => b.type === "tool_result")
    .map((b: { content: string; is_error?: boolean }) => ({
      text: b.content,
      isError: b.is_error === true,
    }));
};
const toolNamesOf = (body: unknown) =>
  (body as { tools: { name: string }[] }).tools.map((t) => t.name);

const firstUserText = (body: unknown) => {
  const first = (body as { messages: { role: string; content: unknown }[] }).messages[0];
  return Array.isArray(first?.content)
    ? (first.content as { text?: string }[]).map((b) => b.text ?? "").join("\n")
    : String(first?.content);
};

describe("agents that see the repository (model fake)", () => {
  let fake: ModelFake;
  let deps: AgentDeps;

  beforeAll(async () => {
    fake = await startModelFake();
    deps = {
      model: new AnthropicModel({ baseURL: fake.url, maxRetries: 0 }),
      store: memoryStore() as unknown as Store,
    };
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  const call = (agent: "spec" | "plan" | "tests", context: Record<string, unknown>) => {
    const repository = repositoryView({ files: bigRepository() });
    return {
      agent,
      featureId: 1,
      installationId: 2,
      jobId: `${agent}-1`,
      apiKey: API_KEY,
      setting: { model: "claude-sonnet-5-5" as const, maxTokens: 8_000, effort: "high" as const },
      context: { ...common, ...repository.context, ...context },
      repository: repository.reader,
    };
  };

  it("on a 3,000-file repository the plan and tests agents are shown the manifest, the test configuration and an existing test", async () => {
    fake.respond(byTool("submit_plan"), { toolUse: { name: "submit_plan", input: PLAN } });
    fake.respond(byTool("submit_tests"), {
      toolUse: {
        name: "submit_tests",
        input: {
          files: [{ path: "test/csv.test.ts", content: "test", covers: ["FR-001"] }],
          summary: "FR-001.",
        },
      },
    });
    await runAgent(deps, call("plan", {}));
    await runAgent(deps, call("tests", {}));
    for (const request of fake.requests) {
      const prompt = firstUserText(request.body);
      expect(prompt).toContain("### package.json");
      expect(prompt).toContain('"test": "vitest run"');
      expect(prompt).toContain("### vitest.config.ts");
      expect(prompt).toContain("### test/reports.test.ts");
      expect(prompt).toContain('import { exportCsv } from "../src/reports.ts";');
      // The map reaches past the fillers: the folders with their counts and src/'s exports.
      expect(prompt).toContain("assets/ (2500)");
      expect(prompt).toContain("src/ (451)");
      expect(prompt).toContain("function exportCsv(rows: string[][]): string");
      expect(prompt).toMatch(/more source files with exports not shown; find symbols with search/);
      expect(prompt.length).toBeLessThan(120_000);
    }
  });

  it("the plan agent reads through its tools, and a long listing says what it left out", async () => {
    fake.enqueue(
      {
        toolUse: [
          { name: "view", input: { path: "src/reports.ts", start_line: 3, end_line: 4 } },
          { name: "list", input: { path: "" } },
          { name: "search", input: { pattern: "export function exportCsv", context_lines: 1 } },
        ],
      },
      { toolUse: { name: "submit_plan", input: PLAN } },
    );
    const { output } = await runAgent(deps, call("plan", {}));
    expect(output).toEqual(PLAN);
    const results = resultsOf(fake.requests[1]?.body);
    expect(results[0]).toMatchObject({
      isError: false,
      text: 'src/reports.ts lines 3–4 of 7\n3\texport function exportCsv(rows: string[][]): string {\n4\t  return rows.map((r) => r.join(",")).join("\\n");',
    });
    expect(results[1]?.text).toContain("package.json");
    expect(results[1]?.text).toContain("src/modules/ (450 files deeper; list this folder)");
    expect(results[2]?.text).toBe(
      'src/reports.ts\n2- \n3: export function exportCsv(rows: string[][]): string {\n4-   return rows.map((r) => r.join(",")).join("\\n");\n[skipped: 1 lockfile]',
    );
    const big = new Map([...bigRepository()].filter(([p]) => p.startsWith("assets/")));
    const listing = repositoryView({ files: big }).reader.list("", 5, undefined).text;
    expect(listing).toMatch(/\[… 2200 of 2500 entries not shown\. Narrow with a deeper `path`/);
  });

  it("the spec agent's request holds no write tool; the implementer's offers ranged view and str_replace", async () => {
    fake.respond(byTool("submit_spec"), {
      toolUse: {
        name: "submit_spec",
        input: {
          markdown: "# Spec",
          requirements: [{ id: "FR-001", text: "Export CSV.", criteria: ["AC-1"] }],
          summary: "One story.",
        },
      },
    });
    await runAgent(deps, call("spec", { revision: "" }));
    const specTools = toolNamesOf(fake.requests[0]?.body).sort();
    expect(specTools).toEqual(["list", "search", "submit_spec", "view"]);

    fake.reset();
    const files = bigRepository();
    fake.enqueue(
      { toolUse: { name: "create", input: { path: "src/a.ts", content: "export {};\n" } } },
      { toolUse: { name: "finish", input: { summary: "Done.", tasksDone: ["T001"] } } },
      { toolUse: { name: "finish", input: { summary: "Done.", tasksDone: ["T001"] } } },
    );
    await runImplementer(deps, {
      call: {
        ...call("plan", {}),
        agent: "implement",
        context: {
          ...common,
          mode: "implement",
          tasks: "T001",
          current: "T001",
          tests: "",
          findings: "",
        },
      },
      snapshot: { sha: "b".repeat(40), files },
      policy: { ...DEFAULT_PATH_POLICY },
      secretLiterals: [],
    });
    const body = fake.requests[0]?.body as {
      tools: { name: string; input_schema: { properties: object } }[];
    };
    const tools = body.tools;
    const view = tools.find((t) => t.name === "view");
    expect(Object.keys(view?.input_schema.properties ?? {})).toEqual([
      "path",
      "start_line",
      "end_line",
    ]);
    const replace = tools.find((t) => t.name === "str_replace");
    expect(Object.keys(replace?.input_schema.properties ?? {})).toEqual([
      "path",
      "old_str",
      "new_str",
    ]);
    expect(tools.map((t) => t.name)).not.toContain("write_file");
  });

  it("an implementation that finishes with no change is refused once, then fails", async () => {
    fake.enqueue(
      { toolUse: { name: "finish", input: { summary: "Nothing to do.", tasksDone: [] } } },
      { toolUse: { name: "finish", input: { summary: "Nothing to do.", tasksDone: [] } } },
    );
    const run = runImplementer(deps, {
      call: {
        ...call("plan", {}),
        agent: "implement",
        context: {
          ...common,
          mode: "implement",
          tasks: "T001",
          current: "T001",
          tests: "",
          findings: "",
        },
      },
      snapshot: { sha: "b".repeat(40), files: new Map([["a.ts", "export {};\n"]]) },
      policy: { ...DEFAULT_PATH_POLICY },
      secretLiterals: [],
    });
    await expect(run).rejects.toThrow(
      new AgentOutputError(
        "the implementer finished twice without changing any file, so there is no code to commit or review",
      ),
    );
    expect(fake.requests).toHaveLength(2);
    const [refused] = resultsOf(fake.requests[1]?.body);
    expect(refused).toMatchObject({ isError: true });
    expect(refused?.text).toMatch(/^Refused: no file has been changed/);
  });
});

describe("the implementer's editor", () => {
  const copy = (files: Record<string, string>) =>
    new WorkingCopy(
      { sha: "c".repeat(40), files: new Map(Object.entries(files)) },
      { ...DEFAULT_PATH_POLICY },
      [],
    );

  it("str_replace changes exactly one match, and says clearly when old_str matches twice or not at all", async () => {
    const wc = copy({ "src/a.ts": "const a = 1;\nconst b = 1;\nconst a2 = 1;\n" });
    const twice = await wc.execute("str_replace", {
      path: "src/a.ts",
      old_str: "= 1;",
      new_str: "= 2;",
    });
    expect(twice).toEqual({
      isError: true,
      text: "No change: old_str occurs 3 times in src/a.ts (lines 1, 2, 3). Include more surrounding lines so that it occurs exactly once.",
    });
    const none = await wc.execute("str_replace", {
      path: "src/a.ts",
      old_str: "const c",
      new_str: "x",
    });
    expect(none.isError).toBe(true);
    expect(none.text).toMatch(
      /^No change: old_str does not occur in src\/a\.ts\. It must match the file exactly/,
    );
    const once = await wc.execute("str_replace", {
      path: "src/a.ts",
      old_str: "const b = 1;",
      new_str: "const b = 2;",
    });
    expect(once.isError).toBe(false);
    expect(once.text).toContain("2\tconst b = 2;");
    expect(wc.changes()).toEqual([
      { path: "src/a.ts", content: "const a = 1;\nconst b = 2;\nconst a2 = 1;\n" },
    ]);
  });

  it("insert adds lines after a line, and create refuses an existing file", async () => {
    const wc = copy({ "a.py": "x = 1\ny = 2\n" });
    expect(
      (await wc.execute("insert", { path: "a.py", insert_line: 1, text: "z = 3" })).isError,
    ).toBe(false);
    expect(wc.files.get("a.py")).toBe("x = 1\nz = 3\ny = 2\n");
    expect(await wc.execute("insert", { path: "a.py", insert_line: 9, text: "w" })).toMatchObject({
      isError: true,
      text: "insert_line must be between 0 and 3 (the file's last line); it was 9.",
    });
    expect((await wc.execute("create", { path: "a.py", content: "" })).text).toMatch(
      /already exists/,
    );
  });

  it("a syntax error in JS, TS, JSON or YAML comes back as the tool result, with its line", async () => {
    const wc = copy({ "src/app.ts": "export function f(a: number) {\n  return a;\n}\n" });
    const ts = await wc.execute("str_replace", {
      path: "src/app.ts",
      old_str: "  return a;",
      new_str: "  return a +;",
    });
    expect(ts.isError).toBe(true);
    expect(ts.text).toMatch(
      /The edit was applied, but src\/app\.ts no longer parses:\n- line 2, column \d+: /,
    );
    const js = await wc.execute("create", { path: "src/b.js", content: "const x = {;\n" });
    expect(js.isError).toBe(true);
    expect(js.text).toMatch(/src\/b\.js no longer parses/);
    const json = await wc.execute("create", { path: "config.json", content: '{ "a": 1, }\n' });
    expect(json.text).toMatch(/config\.json no longer parses:\n- line 1, column \d+/);
    const yaml = await wc.execute("create", { path: "ci.yml", content: "a: [1\nb: 2\n" });
    expect(yaml.text).toMatch(/ci\.yml no longer parses/);
    const fine = await wc.execute("create", {
      path: "ok.ts",
      content: "export const ok: boolean = true;\n",
    });
    expect(fine).toMatchObject({ isError: false });
    // The finish check names every changed file that no longer parses.
    expect(wc.syntaxErrors().map((e) => e.path)).toEqual([
      "ci.yml",
      "config.json",
      "src/app.ts",
      "src/b.js",
    ]);
  });
});
