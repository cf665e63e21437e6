import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AnthropicModel } from "../../../src/adapters/model/anthropic.ts";
import type { Store } from "../../../src/adapters/store/store.ts";
import { DOCS_EDITOR, type ImplementRun, runEditor } from "../../../src/agents/implementer/loop.ts";
import type { AgentDeps } from "../../../src/agents/run-agent.ts";
import { docsWriteRefusal, isDocumentationPath } from "../../../src/core/docs-paths.ts";
import { DEFAULT_PATH_POLICY } from "../../../src/core/paths.ts";
import { type ModelFake, startModelFake } from "../../../testkit/fakes/model/index.ts";

const FILES = {
  "README.md": "# Widgets\n\nExports reports.\n",
  "CHANGELOG.md": "# Changelog\n\n## Unreleased\n",
  "src/csv.ts": "export const csv = () => '';\n",
  "src/db.ts": "export const query = () => [];\n",
  "docs/practical/12-csv/spec.md": "# Spec\n",
};

const context = {
  repo: "acme/widgets",
  defaultBranch: "main",
  issueNumber: 12,
  stage: "documenting",
  brief: "Export reports as CSV.",
  spec: "The export returns a header line and one line per row.",
  plan: "Add src/csv.ts.",
  codeDiff: "--- src/csv.ts (added)\n+export const csv = () => '';",
  repoMap: "src/ (2)",
  repoFiles: "None found.",
  conventions: "",
  extraInstructions: "",
};

describe("the docs agent's editor (real Anthropic adapter against the model fake)", () => {
  let fake: ModelFake;

  beforeAll(async () => {
    fake = await startModelFake();
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  function setup(): { deps: AgentDeps; run: ImplementRun } {
    let runs = 0;
    const store = {
      async recordAgentRun() {
        runs += 1;
        return runs;
      },
      async usageTotals() {
        return {
          inputTokens: 0,
          outputTokens: 0,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          costUsd: 0,
          calls: runs,
        };
      },
    } satisfies Pick<Store, "recordAgentRun" | "usageTotals">;
    return {
      deps: {
        model: new AnthropicModel({ baseURL: fake.url, maxRetries: 0 }),
        store: store as unknown as Store,
      },
      run: {
        call: {
          agent: "docs",
          featureId: 7,
          installationId: 99,
          jobId: "docs-f7",
          apiKey: "sk-ant-api03-test-key-for-the-fake",
          setting: { model: "claude-sonnet-5-5", maxTokens: 4_000, effort: "medium" },
          context,
        },
        snapshot: { sha: "a".repeat(40), files: new Map(Object.entries(FILES)) },
        policy: { ...DEFAULT_PATH_POLICY },
        secretLiterals: [],
        writeLimit: docsWriteRefusal({
          codePaths: ["src/csv.ts"],
          pipelineFolder: "docs/practical",
        }),
      },
    };
  }

  /** The tool results the model was sent in the fake's `index`th request. */
  function resultsOf(index: number): { text: string; isError: boolean }[] {
    const body = fake.requests[index]?.body as { messages: { role: string; content: unknown }[] };
    const last = body.messages.at(-1);
    if (!Array.isArray(last?.content)) return [];
    return last.content
      .filter((b: { type: string }) => b.type === "tool_result")
      .map((b: { content: string; is_error?: boolean }) => ({
        text: b.content,
        isError: b.is_error === true,
      }));
  }

  it("refuses a source file the feature did not touch and the app's own documents; writes docs and doc comments of the feature's files", async () => {
    const { deps, run } = setup();
    const finish = {
      toolUse: { name: "finish_docs", input: { summary: "README and CHANGELOG." } },
    };
    fake.enqueue(
      {
        toolUse: [
          {
            name: "str_replace",
            input: {
              path: "src/db.ts",
              old_str: "export const query",
              new_str: "/** Runs a query. */\nexport const query",
            },
          },
          { name: "delete", input: { path: "src/db.ts" } },
          {
            name: "str_replace",
            input: { path: "docs/practical/12-csv/spec.md", old_str: "# Spec", new_str: "# S" },
          },
          { name: "create", input: { path: "src/extra.ts", content: "export {};\n" } },
        ],
      },
      {
        toolUse: [
          {
            name: "str_replace",
            input: {
              path: "src/csv.ts",
              old_str: "export const csv",
              new_str:
                "/** The report as CSV: a header line, then one line per row. */\nexport const csv",
            },
          },
          {
            name: "insert",
            input: { path: "README.md", insert_line: 3, text: "\n`csv()` exports a report." },
          },
          {
            name: "str_replace",
            input: {
              path: "CHANGELOG.md",
              old_str: "## Unreleased\n",
              new_str: "## Unreleased\n\n- CSV export.\n",
            },
          },
        ],
      },
      finish,
      finish,
    );

    const result = await runEditor(deps, run, DOCS_EDITOR);

    const refused = resultsOf(1);
    expect(refused.map((r) => r.isError)).toEqual([true, true, true, true]);
    expect(refused[0]?.text).toContain(
      `"src/db.ts" is neither a documentation file (Markdown or text) nor a file this feature's code changed`,
    );
    expect(refused[1]?.text).toContain("The file was not deleted.");
    expect(refused[2]?.text).toContain("where the app keeps the approved brief, spec and plan");
    expect(refused[3]?.text).toContain('"src/extra.ts" is neither');
    expect(result.rejected.map((r) => r.path)).toEqual([
      "src/db.ts",
      "src/db.ts",
      "docs/practical/12-csv/spec.md",
      "src/extra.ts",
    ]);
    expect(result.changes.map((c) => c.path)).toEqual(["CHANGELOG.md", "README.md", "src/csv.ts"]);
    expect(result.changes.find((c) => c.path === "src/csv.ts")?.content).toContain(
      "/** The report as CSV",
    );
    expect(result.finish).toEqual({ summary: "README and CHANGELOG." });
    // Its own finish tool and reminder, not the implementer's.
    const body = fake.requests[0]?.body as { tools: { name: string }[] } | undefined;
    const tools = (body?.tools ?? []).map((t) => t.name);
    expect(tools).toContain("finish_docs");
    expect(tools).not.toContain("finish");
    expect(JSON.stringify(fake.requests[3]?.body)).toContain("nothing invented, no code changed");
  });

  it("may finish with no change, the second time, saying why", async () => {
    const { deps, run } = setup();
    const nothing = {
      toolUse: {
        name: "finish_docs",
        input: { summary: "An internal refactor: nothing users see." },
      },
    };
    fake.enqueue(nothing, nothing);

    const result = await runEditor(deps, run, DOCS_EDITOR);

    expect(resultsOf(1)[0]).toMatchObject({ isError: true });
    expect(resultsOf(1)[0]?.text).toContain("If nothing in it is worth documenting");
    expect(result.changes).toEqual([]);
    expect(result.finish.summary).toBe("An internal refactor: nothing users see.");
    expect(fake.requests).toHaveLength(2);
  });

  it("knows documentation by its name", () => {
    for (const path of ["README.md", "docs/api.mdx", "CHANGELOG", "doc/guide.rst", "NOTES.txt"]) {
      expect(isDocumentationPath(path)).toBe(true);
    }
    for (const path of ["src/readme.ts", "package.json", "md", "docs/Makefile"]) {
      expect(isDocumentationPath(path)).toBe(false);
    }
  });
});
