// The 5.5 models' documented request rules, as the model fake enforces them on every request
// (sources in testkit/fakes/model/rules.ts and thinking.ts): each rule refuses what it should and
// lets through what the app sends.
import Anthropic, { type APIError } from "@anthropic-ai/sdk";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { modelSetting } from "../../src/agents/registry.ts";
import { buildRequest } from "../../src/agents/request.ts";
import { DEFAULT_REPO_CONFIG } from "../../src/config/repo-config.ts";
import { AGENTS } from "../../src/core/feature.ts";
import { MODEL_IDS } from "../../src/core/models.ts";
import { type ModelFake, startModelFake } from "../../testkit/fakes/model/index.ts";

const KEY = "sk-ant-test-key-rules";
const SONNET = "claude-sonnet-5-5";
const OPUS = "claude-opus-5-5";
const HAIKU = "claude-haiku-5-5";

const echo: Anthropic.Tool = {
  name: "echo",
  description: "Echo a word",
  input_schema: {
    type: "object",
    properties: { word: { type: "string" } },
    required: ["word"],
    additionalProperties: false,
  },
};

describe("the 5.5 models' request rules (model fake, real SDK)", () => {
  let fake: ModelFake;
  let client: Anthropic;

  beforeAll(async () => {
    fake = await startModelFake({ validKeys: [KEY] });
    client = new Anthropic({ apiKey: KEY, baseURL: fake.url, maxRetries: 0 });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  const ask = (body: Record<string, unknown>) =>
    client.messages
      .create({
        max_tokens: 1024,
        messages: [{ role: "user", content: "hi" }],
        ...body,
      } as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e);
  const refusal = (result: unknown) => {
    expect(result).toBeInstanceOf(Anthropic.BadRequestError);
    return (result as APIError).error as { error: { message: string } };
  };

  it.each([OPUS, SONNET])(
    "%s refuses forced tool use (any or a named tool), also when counting tokens",
    async (model) => {
      for (const tool_choice of [{ type: "any" }, { type: "tool", name: "echo" }]) {
        const error = refusal(await ask({ model, tools: [echo], tool_choice }));
        expect(error.error.message).toBe(
          'tool_choice: type "tool" and "any" are not supported for this model.',
        );
      }
      const counted = await client.messages
        .countTokens({
          model,
          tools: [echo],
          tool_choice: { type: "any" },
          messages: [{ role: "user", content: "hi" }],
        })
        .catch((e: unknown) => e);
      expect(counted).toBeInstanceOf(Anthropic.BadRequestError);
      // `auto` is accepted.
      fake.enqueue({ toolUse: { name: "echo", input: { word: "ok" } } });
      const auto = await ask({ model, tools: [echo], tool_choice: { type: "auto" } });
      expect(auto).not.toBeInstanceOf(Error);
    },
  );

  it("Haiku 5.5 accepts a forced tool, and answers it without a thinking block", async () => {
    fake.enqueue({ toolUse: { name: "echo", input: { word: "ok" } } });
    const forced = (await ask({
      model: HAIKU,
      tools: [echo],
      tool_choice: { type: "tool", name: "echo" },
    })) as Anthropic.Message;
    expect(forced.content.map((b) => b.type)).toEqual(["tool_use"]);
  });

  it("thinking modes: Opus always thinks; Sonnet's lowest is between_tools up to high effort; Haiku may disable up to high", async () => {
    const message = (e: unknown) => refusal(e).error.message;
    expect(message(await ask({ model: OPUS, thinking: { type: "disabled" } }))).toBe(
      '"thinking.type.disabled" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.',
    );
    expect(
      message(await ask({ model: OPUS, thinking: { type: "enabled", budget_tokens: 1024 } })),
    ).toMatch(/"thinking.type.enabled" is not supported/);
    expect(message(await ask({ model: OPUS, thinking: { type: "between_tools" } }))).toMatch(
      /between_tools" is not supported/,
    );
    expect(message(await ask({ model: SONNET, thinking: { type: "disabled" } }))).toBe(
      '"thinking.type.disabled" is not supported for this model. Use "thinking.type.between_tools" for the lowest thinking setting, or "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.',
    );
    expect(
      message(
        await ask({
          model: SONNET,
          thinking: { type: "between_tools" },
          output_config: { effort: "xhigh" },
        }),
      ),
    ).toMatch(/not supported at effort "xhigh"/);
    expect(
      message(
        await ask({ model: SONNET, thinking: { type: "between_tools", display: "summarized" } }),
      ),
    ).toMatch(/display: Extra inputs/);
    expect(
      message(await ask({ model: HAIKU, thinking: { type: "enabled", budget_tokens: 1024 } })),
    ).toMatch(/"thinking.type.enabled" is not supported/);
    expect(
      message(
        await ask({
          model: HAIKU,
          thinking: { type: "disabled" },
          output_config: { effort: "max" },
        }),
      ),
    ).toMatch(/not supported at effort "max"/);
    expect(message(await ask({ model: SONNET, output_config: { effort: "adaptive" } }))).toMatch(
      /output_config.effort/,
    );
    // What each model does accept.
    for (const [model, thinking] of [
      [OPUS, { type: "adaptive" }],
      [SONNET, { type: "between_tools" }],
      [HAIKU, { type: "disabled" }],
    ] as const) {
      fake.enqueue({ text: "ok" });
      expect(await ask({ model, thinking, output_config: { effort: "high" } })).not.toBeInstanceOf(
        Error,
      );
    }
  });

  it.each(MODEL_IDS)("%s refuses an assistant prefill and sampling parameters", async (model) => {
    const prefill = refusal(
      await ask({
        model,
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: "Sure," },
        ],
      }),
    );
    expect(prefill.error.message).toBe(
      "This model does not support assistant message prefill. The conversation must end with a user message.",
    );
    for (const sampling of [{ temperature: 0.2 }, { top_p: 0.5 }, { top_k: 5 }]) {
      refusal(await ask({ model, ...sampling }));
    }
  });

  it("strict tools and structured outputs refuse schemas the grammar cannot compile", async () => {
    const bounded = {
      ...echo,
      strict: true,
      input_schema: {
        type: "object",
        properties: { word: { type: "string", maxLength: 5 } },
        required: ["word"],
        additionalProperties: false,
      },
    };
    expect(refusal(await ask({ model: SONNET, tools: [bounded] })).error.message).toMatch(
      /'maxLength' is not supported/,
    );
    const open = {
      ...echo,
      strict: true,
      input_schema: { ...echo.input_schema, additionalProperties: true },
    };
    expect(refusal(await ask({ model: SONNET, tools: [open] })).error.message).toMatch(
      /additionalProperties' must be explicitly set to false/,
    );
    const format = { type: "json_schema", schema: { type: "object", properties: {} } };
    refusal(await ask({ model: SONNET, output_config: { format } }));
  });

  it("a thinking block goes back unchanged, bound to its model and to the conversation before it", async () => {
    fake.respond(
      () => true,
      (request) =>
        request.toolResults.length > 0
          ? { text: "done" }
          : { toolUse: { name: "echo", input: { word: "hi" } } },
    );
    const first = (await ask({ model: SONNET, tools: [echo] })) as Anthropic.Message;
    // Responses may begin with thinking: content is chosen by type, not position.
    expect(first.content[0]?.type).toBe("thinking");
    const use = first.content.find((b) => b.type === "tool_use");
    if (use?.type !== "tool_use") throw new Error("expected a tool call");
    const next = (assistant: Anthropic.ContentBlockParam[], before = "hi") =>
      ask({
        model: SONNET,
        tools: [echo],
        messages: [
          { role: "user", content: before },
          { role: "assistant", content: assistant },
          { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "hi" }] },
        ],
      });
    const thinking = first.content[0] as Anthropic.ThinkingBlock;

    // Unchanged: accepted.
    expect(await next(first.content)).not.toBeInstanceOf(Error);
    // Dropped from the latest assistant turn, or its signature altered: refused.
    expect(refusal(await next([use])).error.message).toMatch(/cannot be modified/);
    expect(
      refusal(await next([{ ...thinking, signature: `${thinking.signature}x` }, use])).error
        .message,
    ).toMatch(/Invalid `signature`/);
    // An earlier turn edited: the block is bound to a different conversation.
    expect(refusal(await next(first.content, "hi there")).error.message).toMatch(
      /bound to a different conversation/,
    );
    // Another model reads no Sonnet 5.5 thinking: the API drops the block without an error.
    const other = await ask({
      model: OPUS,
      tools: [echo],
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "hi" }] },
      ],
    });
    expect(other).not.toBeInstanceOf(Error);
  });

  it("a redacted thinking block must come back too", async () => {
    fake.enqueue(
      {
        content: [
          { type: "redacted_thinking" },
          { type: "tool_use", name: "echo", input: { word: "hi" } },
        ],
      },
      { text: "done" },
    );
    const first = (await ask({ model: SONNET, tools: [echo] })) as Anthropic.Message;
    const use = first.content.find((b) => b.type === "tool_use");
    if (use?.type !== "tool_use") throw new Error("expected a tool call");
    const followUp = (assistant: Anthropic.ContentBlockParam[]) =>
      ask({
        model: SONNET,
        tools: [echo],
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: assistant },
          { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "hi" }] },
        ],
      });
    expect(refusal(await followUp([use])).error.message).toMatch(/cannot be modified/);
    expect(await followUp(first.content)).not.toBeInstanceOf(Error);
  });

  it("thinking is billed as output: a thinking reply reports more output tokens than its visible text", async () => {
    fake.enqueue({ text: "ok" }, { text: "ok" });
    const thinking = (await ask({
      model: SONNET,
      output_config: { effort: "high" },
    })) as Anthropic.Message;
    const none = (await ask({
      model: SONNET,
      thinking: { type: "between_tools" },
    })) as Anthropic.Message;
    expect(none.usage.output_tokens).toBe(1);
    expect(thinking.usage.output_tokens).toBeGreaterThan(none.usage.output_tokens);
    expect(thinking.usage.output_tokens_details?.thinking_tokens ?? 0).toBe(0); // omitted display
  });

  it("caches a prompt from 512 tokens on the 5.5 models, separately per model", async () => {
    const system = (chars: number): Anthropic.TextBlockParam[] => [
      { type: "text", text: "r".repeat(chars), cache_control: { type: "ephemeral" } },
    ];
    const cached = async (model: string, chars: number) => {
      fake.enqueue({ text: "ok" });
      const m = (await ask({
        model,
        system: system(chars),
        thinking: model === SONNET ? { type: "between_tools" } : { type: "adaptive" },
      })) as Anthropic.Message;
      return m.usage;
    };
    expect((await cached(SONNET, 511 * 4)).cache_creation_input_tokens).toBe(0);
    expect((await cached(SONNET, 600 * 4)).cache_creation_input_tokens).toBe(600);
    expect((await cached(SONNET, 600 * 4)).cache_read_input_tokens).toBe(600);
    // The same prefix on another model is written again: caches are per model.
    expect((await cached(OPUS, 600 * 4)).cache_read_input_tokens).toBe(0);
  });

  it.each(MODEL_IDS.flatMap((model) => AGENTS.map((agent) => [model, agent] as const)))(
    "the app's request for %s as the %s agent is accepted",
    async (model, agent) => {
      const setting = { ...modelSetting(agent, DEFAULT_REPO_CONFIG), model };
      const request = buildRequest(agent, setting, [{ role: "user", content: "Do the work." }]);
      // Streamed, as the app sends it (the SDK refuses long non-streaming calls locally).
      const result = await client.messages
        .stream(request)
        .finalMessage()
        .catch((e: unknown) => e);
      expect(
        result,
        JSON.stringify(result instanceof Error ? result.message : ""),
      ).not.toBeInstanceOf(Error);
    },
  );
});
