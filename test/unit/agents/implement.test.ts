import { generateKeyPairSync } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AnthropicModel } from "../../../src/adapters/model/anthropic.ts";
import type { Store } from "../../../src/adapters/store/store.ts";
import { type ImplementRun, runImplementer } from "../../../src/agents/implementer/loop.ts";
import type { AgentDeps } from "../../../src/agents/run-agent.ts";
import { FILE_TOOLS } from "../../../src/agents/tools.ts";
import { THINKING_ROOM } from "../../../src/core/models.ts";
import { DEFAULT_PATH_POLICY } from "../../../src/core/paths.ts";
import { AgentOutputError, AgentRefusedError, BudgetExceededError } from "../../../src/errors.ts";
import { byTool, type ModelFake, startModelFake } from "../../../testkit/fakes/model/index.ts";

const API_KEY = "sk-ant-api03-test-key-for-the-fake";
/** The installation's own model key, as the caller passes it in `secretLiterals`. */
const INSTALLATION_KEY = "inst-Zq83hLm2Vx9Pw4Kt7Rb1";

type AgentRunRow = Parameters<Store["recordAgentRun"]>[0];

/** The two store methods the agent loop uses, with the database's semantics, in memory. */
function memoryStore() {
  const runs: AgentRunRow[] = [];
  const methods = {
    async recordAgentRun(run: AgentRunRow) {
      runs.push(run);
      return runs.length;
    },
    async usageTotals(featureId: number) {
      const mine = runs.filter((r) => r.featureId === featureId);
      const sum = (f: (r: AgentRunRow) => number) => mine.reduce((n, r) => n + f(r), 0);
      return {
        inputTokens: sum((r) => r.usage.inputTokens),
        outputTokens: sum((r) => r.usage.outputTokens),
        cacheReadTokens: sum((r) => r.usage.cacheReadTokens),
        cacheWriteTokens: sum((r) => r.usage.cacheWriteTokens),
        costUsd: sum((r) => r.costUsd),
        calls: mine.length,
      };
    },
  } satisfies Pick<Store, "recordAgentRun" | "usageTotals">;
  return { runs, ...methods };
}

const context = {
  repo: "acme/widgets",
  defaultBranch: "main",
  issueNumber: 12,
  stage: "implementing",
  mode: "implement",
  brief: "Export reports as CSV.",
  spec: "The export returns a header line and one line per row.",
  plan: "Add src/csv.ts.",
  tasks: "T001 Add src/csv.ts",
  current: "T001 Add src/csv.ts",
  tests: "test/csv.test.ts",
  findings: "",
  conventions: "",
  extraInstructions: "",
};

const FINISH = { summary: "Added src/csv.ts.", tasksDone: ["T001"] };

interface ResultView {
  toolUseId: string;
  text: string;
  isError: boolean;
}

describe("runImplementer (real Anthropic adapter against the model fake)", () => {
  let fake: ModelFake;
  let store: ReturnType<typeof memoryStore>;
  let deps: AgentDeps;

  beforeAll(async () => {
    fake = await startModelFake();
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  function setup(
    files: Record<string, string>,
    overrides: Partial<ImplementRun> = {},
    budgetUsd?: number,
  ): ImplementRun {
    store = memoryStore();
    deps = {
      model: new AnthropicModel({ baseURL: fake.url, maxRetries: 0 }),
      store: store as unknown as Store,
    };
    return {
      call: {
        agent: "implement",
        featureId: 7,
        installationId: 99,
        jobId: "implement-f7",
        apiKey: API_KEY,
        setting: { model: "claude-sonnet-5-5", maxTokens: 4_000, effort: "high" },
        context,
        budgetUsd,
      },
      snapshot: { sha: "a".repeat(40), files: new Map(Object.entries(files)) },
      policy: { ...DEFAULT_PATH_POLICY },
      secretLiterals: [INSTALLATION_KEY],
      ...overrides,
    };
  }

  /** The tool_result blocks of the last user message of the fake's `index`th request. */
  function resultsOf(index: number): ResultView[] {
    const body = fake.requests[index]?.body as {
      messages: { role: string; content: unknown }[];
    };
    const last = body.messages.at(-1);
    if (last?.role !== "user" || !Array.isArray(last.content)) return [];
    return last.content
      .filter((b: { type: string }) => b.type === "tool_result")
      .map((b: { tool_use_id: string; content: string; is_error?: boolean }) => ({
        toolUseId: b.tool_use_id,
        text: b.content,
        isError: b.is_error === true,
      }));
  }

  function lastUserText(index: number): string {
    const body = fake.requests[index]?.body as { messages: { role: string; content: unknown }[] };
    const last = body.messages.at(-1);
    if (typeof last?.content === "string") return last.content;
    return ((last?.content ?? []) as { type: string; text?: string; content?: string }[])
      .map((b) => b.text ?? b.content ?? "")
      .join("\n");
  }

  it("runs list → view → edit → finish, confirms the diff, and returns the change against the snapshot", async () => {
    const run = setup({
      "README.md": "# Widgets\n",
      "src/index.ts": "export const version = 1;\n",
    });
    fake.enqueue(
      { toolUse: { name: "list", input: { path: "" } } },
      { toolUse: { name: "view", input: { path: "./src//index.ts" } } },
      {
        text: "Adding the module.",
        toolUse: [
          {
            name: "create",
            input: { path: "src/csv.ts", content: "export const csv = () => '';\n" },
          },
          {
            name: "str_replace",
            input: {
              path: "src/index.ts",
              old_str: "export const version = 1;\n",
              new_str: "export const version = 1;\nexport * from './csv.ts';\n",
            },
          },
          {
            name: "str_replace",
            input: { path: "README.md", old_str: "# Widgets", new_str: "# Widgets" },
          },
        ],
      },
      { toolUse: { name: "finish", input: FINISH } },
      { toolUse: { name: "finish", input: FINISH } },
    );

    const result = await runImplementer(deps, run);

    expect(result.changes).toEqual([
      { path: "src/csv.ts", content: "export const csv = () => '';\n" },
      { path: "src/index.ts", content: "export const version = 1;\nexport * from './csv.ts';\n" },
    ]);
    expect(result.finish).toEqual(FINISH);
    expect(result.turns).toBe(5);
    expect(result.rejected).toEqual([]);

    expect(fake.requests).toHaveLength(5);
    // The implementer's own tools only, chosen by the model (Sonnet 5.5 refuses forced tool use),
    // with adaptive thinking at the agent's effort.
    for (const request of fake.requests) {
      const body = request.body as {
        tool_choice: unknown;
        tools: { name: string; strict?: boolean }[];
        thinking: unknown;
        output_config: unknown;
      };
      expect(body.tool_choice).toEqual({ type: "auto" });
      expect(body.tools.map((t) => t.name)).toEqual([...FILE_TOOLS.map((t) => t.name), "finish"]);
      expect(body.tools.every((t) => t.strict === true)).toBe(true);
      expect(body.thinking).toEqual({ type: "adaptive" });
      expect(body.output_config).toEqual({ effort: "high" });
    }
    // Each reply opened with a thinking block, and it went back unchanged with its tool calls.
    for (const [i, request] of fake.requests.slice(0, -1).entries()) {
      const thought = request.response.content?.[0];
      expect(thought?.type).toBe("thinking");
      const next = fake.requests[i + 1]?.body as {
        messages: { role: string; content: unknown[] }[];
      };
      const replayed = next.messages.findLast((m) => m.role === "assistant")?.content[0];
      expect(replayed).toEqual(thought);
    }
    expect(resultsOf(1)).toEqual([
      expect.objectContaining({
        text: '2 files under "/"; depth 2.\nREADME.md\nsrc/index.ts',
        isError: false,
      }),
    ]);
    expect(resultsOf(2)).toEqual([
      expect.objectContaining({
        text: "src/index.ts (1 lines)\n1\texport const version = 1;",
        isError: false,
      }),
    ]);
    const writes = resultsOf(3);
    expect(writes.map((r) => r.isError)).toEqual([false, false, false]);
    expect(writes[0]?.text).toContain("new file");
    expect(writes[1]?.text).toContain("1\texport const version = 1;\n2\texport * from './csv.ts';");
    expect(writes[2]?.text).toContain("nothing changed");
    // The first finish answers with the whole change to confirm; the second one is accepted.
    const [confirm] = resultsOf(4);
    expect(confirm?.isError).toBe(false);
    expect(confirm?.text).toContain("confirm the whole change");
    expect(confirm?.text).toContain(
      "--- /dev/null\n+++ b/src/csv.ts\n@@ -0,0 +1,1 @@\n+export const csv = () => '';",
    );
    expect(confirm?.text).toContain(" export const version = 1;\n+export * from './csv.ts';");
    // Each result answers its own call, in order.
    const third = fake.requests[2]?.response.content ?? [];
    expect(writes.map((r) => r.toolUseId)).toEqual(
      third.flatMap((b) => (b.type === "tool_use" ? [b.id] : [])),
    );

    // Every call is recorded; the task and the newest user block carry cache breakpoints.
    expect(store.runs).toHaveLength(5);
    expect(store.runs.every((r) => r.agent === "implement" && r.outcome === "ok")).toBe(true);
    const lastBody = JSON.stringify(fake.requests[4]?.body);
    // system + the shared documents + the rest of the task + the newest message
    expect(lastBody.match(/cache_control/g)).toHaveLength(4);
    expect(fake.requests[4]?.response.usage?.cache_read_input_tokens).toBeGreaterThan(0);
  });

  it("refuses forbidden paths and secrets with a reason, and leaves them out of the diff", async () => {
    const run = setup({ "src/index.ts": "export {};\n" });
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const keyBody = pem.split("\n")[1] ?? "";
    expect(pem).toContain("-----BEGIN RSA PRIVATE KEY-----");

    const attempts: { id: string; path: string; content: string; reason: RegExp }[] = [
      { id: "toolu_parent", path: "../x", content: "x", reason: /'\.\.' segment/ },
      { id: "toolu_absolute", path: "/etc/passwd", content: "x", reason: /absolute path/ },
      {
        id: "toolu_workflow",
        path: ".github/workflows/x.yml",
        content: "on: push\n",
        reason: /GitHub Actions workflow/,
      },
      { id: "toolu_git", path: ".git/config", content: "[core]\n", reason: /\.git directory/ },
      { id: "toolu_backslash", path: "a\\..\\b", content: "x", reason: /backslash/ },
      { id: "toolu_encoded", path: "%2e%2e/x", content: "x", reason: /percent-encoded/ },
      {
        id: "toolu_rsa",
        path: "config/deploy.txt",
        content: `deploy key:\n${pem}`,
        reason: /secret \(private_key on line 2\)/,
      },
      {
        id: "toolu_literal",
        path: "src/settings.ts",
        content: `export const key = "${INSTALLATION_KEY}";\n`,
        reason: /secret \(configured_secret on line 1\)/,
      },
      {
        id: "toolu_path_secret",
        path: `docs/${INSTALLATION_KEY}.md`,
        content: "notes\n",
        reason: /path looks like it contains a secret/,
      },
    ];
    fake.enqueue(
      {
        toolUse: [
          ...attempts.map((a) => ({
            id: a.id,
            name: "create",
            input: { path: a.path, content: a.content },
          })),
          {
            id: "toolu_ok",
            name: "create",
            input: { path: "src/csv.ts", content: "export const csv = 1;\n" },
          },
        ],
      },
      { toolUse: { name: "finish", input: FINISH } },
      { toolUse: { name: "finish", input: FINISH } },
    );

    const result = await runImplementer(deps, run);

    expect(result.changes).toEqual([{ path: "src/csv.ts", content: "export const csv = 1;\n" }]);
    expect(result.rejected).toHaveLength(attempts.length);
    expect(result.rejected.map((r) => r.path)).toEqual([
      "../x",
      "/etc/passwd",
      ".github/workflows/x.yml",
      ".git/config",
      "a\\..\\b",
      "%2e%2e/x",
      "config/deploy.txt",
      "src/settings.ts",
      "docs/[redacted configured_secret].md",
    ]);

    const results = resultsOf(1);
    expect(results).toHaveLength(attempts.length + 1);
    for (const [i, attempt] of attempts.entries()) {
      const r = results[i];
      expect(r?.toolUseId).toBe(attempt.id);
      expect(r?.isError).toBe(true);
      expect(r?.text).toMatch(attempt.reason);
      expect(r?.text).toContain("not written");
      expect(result.rejected[i]?.reason).toMatch(attempt.reason);
    }
    expect(results.at(-1)).toMatchObject({ toolUseId: "toolu_ok", isError: false });
    const everyResult = JSON.stringify(results) + JSON.stringify(result.rejected);
    expect(everyResult).not.toContain(INSTALLATION_KEY);
    expect(everyResult).not.toContain(keyBody);
    expect(everyResult).not.toContain("BEGIN RSA PRIVATE KEY");
  });

  it("refuses a write past the per-file size limit and past the change's file count", async () => {
    const run = setup({}, { policy: { ...DEFAULT_PATH_POLICY, maxFileBytes: 10, maxFiles: 2 } });
    fake.enqueue(
      {
        toolUse: [
          { name: "create", input: { path: "big.txt", content: "x".repeat(11) } },
          { name: "create", input: { path: "a.txt", content: "a" } },
          { name: "create", input: { path: "b.txt", content: "b" } },
          { name: "create", input: { path: "c.txt", content: "c" } },
          { name: "str_replace", input: { path: "a.txt", old_str: "a", new_str: "a2" } },
        ],
      },
      { toolUse: { name: "finish", input: FINISH } },
      { toolUse: { name: "finish", input: FINISH } },
    );
    const result = await runImplementer(deps, run);
    expect(result.changes.map((c) => c.path)).toEqual(["a.txt", "b.txt"]);
    const results = resultsOf(1);
    expect(results.map((r) => r.isError)).toEqual([true, false, false, true, false]);
    expect(results[0]?.text).toMatch(/11 bytes; the limit is 10/);
    expect(results[3]?.text).toMatch(/3 changed files in one change; the limit is 2/);
  });

  it("deletes files, and answers a missing file with an error", async () => {
    const run = setup({ "old.ts": "old\n", "keep.ts": "keep\n" });
    fake.enqueue(
      {
        toolUse: [
          { name: "delete", input: { path: "old.ts" } },
          { name: "delete", input: { path: "missing.ts" } },
          { name: "create", input: { path: "tmp.ts", content: "tmp\n" } },
          { name: "delete", input: { path: "tmp.ts" } },
          { name: "view", input: { path: "old.ts" } },
          { name: "delete", input: { path: ".git/HEAD" } },
        ],
      },
      { toolUse: { name: "finish", input: FINISH } },
      { toolUse: { name: "finish", input: FINISH } },
    );
    const result = await runImplementer(deps, run);
    expect(result.changes).toEqual([{ path: "old.ts", content: null }]);
    const results = resultsOf(1);
    expect(results.map((r) => r.isError)).toEqual([false, true, false, false, true, true]);
    expect(results[1]?.text).toMatch(/No such file: "missing\.ts"/);
    expect(results[4]?.text).toMatch(/No such file: "old\.ts"/);
    expect(results[5]?.text).toMatch(/\.git directory.*not deleted/);
    expect(result.rejected).toEqual([{ path: ".git/HEAD", reason: expect.any(String) }]);
  });

  it("answers another agent's tool with an error listing the implementer's tools", async () => {
    const run = setup({});
    fake.enqueue(
      {
        toolUse: [
          { name: "submit_spec", input: { title: "x" } },
          { name: "create", input: { path: "a.ts", content: "export {};\n" } },
        ],
      },
      { toolUse: { name: "finish", input: FINISH } },
      { toolUse: { name: "finish", input: FINISH } },
    );
    const result = await runImplementer(deps, run);
    expect(result.turns).toBe(3);
    const [unknown] = resultsOf(1);
    expect(unknown?.isError).toBe(true);
    expect(unknown?.text).toContain('There is no tool "submit_spec"');
    expect(unknown?.text).toContain(
      "list, view, search, str_replace, insert, create, delete, and `finish`",
    );
  });

  it("lets an invalid finish be corrected once", async () => {
    const run = setup({});
    fake.enqueue(
      {
        toolUse: [
          { name: "create", input: { path: "a.ts", content: "export {};\n" } },
          { name: "finish", input: { summary: "", tasksDone: ["T001"] } },
        ],
      },
      { toolUse: { name: "finish", input: FINISH } },
      { toolUse: { name: "finish", input: FINISH } },
    );
    const result = await runImplementer(deps, run);
    expect(result.finish).toEqual(FINISH);
    const [, first] = resultsOf(1);
    expect(first?.isError).toBe(true);
    expect(first?.text).toMatch(/^Invalid input: .*summary/s);
  });

  it("fails on a second invalid finish", async () => {
    const run = setup({});
    fake.enqueue(
      { toolUse: { name: "finish", input: { summary: "Done." } } },
      { toolUse: { name: "finish", input: { summary: "Done.", tasksDone: "T001" } } },
    );
    const failure = runImplementer(deps, run);
    await expect(failure).rejects.toBeInstanceOf(AgentOutputError);
    await expect(failure).rejects.toThrow(/finish did not match its schema: tasksDone/);
    expect(fake.requests).toHaveLength(2);
  });

  it("accepts finish only as the last call of a turn", async () => {
    const run = setup({});
    fake.enqueue(
      {
        toolUse: [
          { name: "finish", input: FINISH },
          { name: "create", input: { path: "late.ts", content: "late\n" } },
        ],
      },
      { toolUse: { name: "finish", input: FINISH } },
      { toolUse: { name: "finish", input: FINISH } },
    );
    const result = await runImplementer(deps, run);
    expect(result.changes).toEqual([{ path: "late.ts", content: "late\n" }]);
    const results = resultsOf(1);
    expect(results[0]).toMatchObject({ isError: true });
    expect(results[0]?.text).toContain("last call of a turn");
    expect(results[1]).toMatchObject({ isError: false });
  });

  it("stops after maxTurns model calls, warning before the end", async () => {
    const run = setup({ "a.ts": "a\n" }, { maxTurns: 3 });
    fake.respond(byTool("list"), { toolUse: { name: "list", input: { path: "" } } });
    await expect(runImplementer(deps, run)).rejects.toThrow(
      new AgentOutputError("the implementer did not finish within 3 turns"),
    );
    expect(fake.requests).toHaveLength(3);
    expect(store.runs).toHaveLength(3);
    expect(lastUserText(1)).toContain("2 turns left");
    expect(lastUserText(2)).toContain("1 turn left");
  });

  it("checks the budget before every call and stops before the one that would pass it", async () => {
    const run = setup({}, {}, 1);
    // Another job of the same feature spends the budget while this run's first call is answered.
    fake.enqueue((_request) => {
      void store.recordAgentRun({
        featureId: 7,
        installationId: 99,
        agent: "code_review",
        model: "claude-sonnet-5-5",
        jobId: "other",
        usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
        costUsd: 0.99,
        durationMs: 1,
        stopReason: "tool_use",
        outcome: "ok",
        error: null,
      });
      return { toolUse: { name: "list", input: { path: "" } } };
    });
    await expect(runImplementer(deps, run)).rejects.toBeInstanceOf(BudgetExceededError);
    expect(fake.requests).toHaveLength(1);
  });

  it("makes no call at all when the budget is spent", async () => {
    const run = setup({}, {}, 0.001);
    await expect(runImplementer(deps, run)).rejects.toThrow(BudgetExceededError);
    expect(fake.requests).toHaveLength(0);
    expect(store.runs).toHaveLength(0);
  });

  it("fails on a refusal, recording the call", async () => {
    const run = setup({});
    fake.enqueue({ text: "I can't help with that.", stopReason: "refusal" });
    await expect(runImplementer(deps, run)).rejects.toBeInstanceOf(AgentRefusedError);
    expect(store.runs.map((r) => r.stopReason)).toEqual(["refusal"]);
  });

  it("reminds the model once to call a tool, then fails", async () => {
    const run = setup({});
    fake.enqueue({ text: "All done, I think." }, { text: "Still done." });
    await expect(runImplementer(deps, run)).rejects.toBeInstanceOf(AgentOutputError);
    expect(fake.requests).toHaveLength(2);
    expect(lastUserText(1)).toContain("Call a tool; call `finish` when your task is done.");
  });

  it("asks again with twice the output room when a tool call is cut off; a reply without a tool call is followed by a user turn, never a prefill", async () => {
    const run = setup({});
    fake.enqueue(
      {
        toolUse: { name: "create", input: { path: "big.ts", content: "y".repeat(400) } },
        truncateAt: 50,
      },
      { text: "Working…", stopReason: "pause_turn" },
      { toolUse: { name: "create", input: { path: "big.ts", content: "y".repeat(400) } } },
      { toolUse: { name: "finish", input: FINISH } },
      { toolUse: { name: "finish", input: FINISH } },
    );
    const result = await runImplementer(deps, run);
    expect(result.changes).toEqual([{ path: "big.ts", content: "y".repeat(400) }]);
    expect(result.turns).toBe(5);
    // max_tokens is the answer's room plus the thinking room of the agent's effort (high).
    const maxTokens = fake.requests.map((r) => (r.body as { max_tokens: number }).max_tokens);
    expect(maxTokens).toEqual(
      [4_000, 8_000, 8_000, 8_000, 8_000].map((n) => n + THINKING_ROOM.high),
    );
    // The cut-off reply is not part of the conversation.
    const retried = fake.requests[1]?.body as { messages: unknown[] } | undefined;
    expect(retried?.messages).toHaveLength(1);
    // Every request ends with a user turn (the 5.5 models refuse a prefill).
    for (const request of fake.requests) {
      const body = request.body as { messages: { role: string }[] };
      expect(body.messages.at(-1)?.role).toBe("user");
    }
    expect(lastUserText(2)).toContain("Call a tool; call `finish` when your task is done.");
  });

  it("fails when a reply is cut off again after the retry", async () => {
    const run = setup({});
    const cut = {
      toolUse: { name: "create", input: { path: "big.ts", content: "y".repeat(400) } },
      truncateAt: 50,
    };
    fake.enqueue(cut, cut);
    await expect(runImplementer(deps, run)).rejects.toThrow(/cut off at 8000 output tokens/);
  });

  it("starts a long conversation over from the task and its progress, never editing a turn it sent", async () => {
    const big = (tag: string) => `${tag}-abcdef\n`.repeat(9_500);
    // Each view shows at most 400 lines: long lines make each answer large.
    const wide = (tag: string) => `${tag}-abcdef${"-".repeat(130)}\n`.repeat(400);
    const viewed = [2, 3, 4, 5, 6, 7, 8, 9, 10];
    const files: Record<string, string> = {};
    for (const n of viewed) files[`src/f${n}.ts`] = wide(`f${n}`);
    const run = setup(files);
    // Room for the large write in one reply (the fake counts 4 characters a token).
    run.call.setting.maxTokens = 32_000;
    const written = big("w1");
    fake.enqueue(
      { toolUse: { name: "create", input: { path: "src/w1.ts", content: written } } },
      ...viewed.map((n) => ({
        toolUse: { name: "view", input: { path: `src/f${n}.ts` } },
      })),
      { toolUse: { name: "finish", input: FINISH } },
      { toolUse: { name: "finish", input: FINISH } },
    );
    const result = await runImplementer(deps, run);
    expect(result.changes).toEqual([{ path: "src/w1.ts", content: written }]);

    type Body = { messages: { role: string; content: unknown }[] };
    const bodies = fake.requests.map((r) => r.body as Body);
    const fresh = bodies.findIndex((b, i) => i > 0 && b.messages.length === 1);
    expect(fresh).toBeGreaterThan(0);
    // Until then each request only appended to the one before (its turns, thinking blocks
    // included, are sent back as they were; the fake refuses an edited one).
    const bare = (value: unknown) =>
      JSON.stringify(value).replace(/,"cache_control":\{[^}]*\}/g, "");
    for (let i = 1; i < fresh; i++) {
      const before = bodies[i - 1]?.messages ?? [];
      const now = bodies[i]?.messages ?? [];
      for (const [k, message] of before.slice(0, -1).entries()) {
        expect(bare(now[k])).toBe(bare(message));
      }
    }
    // The fresh conversation holds the task, the files changed so far and the latest result.
    const restart = JSON.stringify(bodies[fresh]?.messages);
    expect(restart).toContain("acme/widgets");
    expect(restart).toContain("Progress so far");
    expect(restart).toContain("src/w1.ts");
    expect(restart).toMatch(/f\d+-abcdef/); // the latest read, cut to a few thousand characters
    expect(restart.length).toBeLessThan(100_000);
  });

  it("searches with a regular expression and lists within bounds, saying what it left out", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 620; i++) files[`gen/f${String(i).padStart(3, "0")}.ts`] = "// TODO\n";
    files["src/app.ts"] = "import x from './x';\nconst needle = 1;\n  return needle;\n";
    files["package-lock.json"] = '{ "needle": 1 }\n';
    const run = setup(files);
    fake.enqueue(
      {
        toolUse: [
          { name: "search", input: { pattern: "ne+dle", path: "src" } },
          { name: "search", input: { pattern: "TODO" } },
          { name: "list", input: { path: "gen" } },
          { name: "list", input: { path: "nowhere" } },
          { name: "view", input: { path: "gen" } },
          { name: "search", input: { pattern: "needle" } },
          { name: "search", input: { pattern: "(" } },
        ],
      },
      {
        toolUse: { name: "create", input: { path: "src/b.ts", content: "export {};\n" } },
      },
      { toolUse: { name: "finish", input: FINISH } },
      { toolUse: { name: "finish", input: FINISH } },
    );
    await runImplementer(deps, run);
    const [needle, todo, list, nowhere, folder, anywhere, invalid] = resultsOf(1);
    expect(needle?.text).toBe("src/app.ts:2: const needle = 1;\nsrc/app.ts:3: return needle;");
    expect(todo?.text.split("\n")).toHaveLength(102);
    expect(todo?.text).toContain("[skipped: 1 lockfile]");
    expect(todo?.text).toMatch(/520 of 620 matches \(in 620 files\) not shown\. Narrow/);
    expect(list?.text.split("\n")).toHaveLength(302);
    expect(list?.text).toMatch(/320 of 620 entries not shown\. Narrow with/);
    expect(nowhere).toMatchObject({ isError: false, text: 'No files under "nowhere".' });
    expect(folder?.text).toMatch(/is a folder; list it with list/);
    // The lockfile is skipped, and the answer says so.
    expect(anywhere?.text).toContain("[skipped: 1 lockfile]");
    expect(anywhere?.text).not.toContain("package-lock.json:");
    expect(invalid).toMatchObject({ isError: true });
    expect(invalid?.text).toMatch(/not a valid regular expression/);
  });
});
