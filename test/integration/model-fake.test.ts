import Anthropic, { type APIError } from "@anthropic-ai/sdk";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  byLastUserIncludes,
  bySystemIncludes,
  byTool,
  type ModelFake,
  startModelFake,
} from "../../testkit/fakes/model/index.ts";

const KEY = "sk-ant-test-key-1234";
const MODEL = "claude-sonnet-5-5";
/** Sonnet 5.5's lowest thinking setting: no thinking before the first answer (model-rules.test.ts covers thinking). */
const BETWEEN_TOOLS = { type: "between_tools" } as const;

const writeFile: Anthropic.Tool = {
  name: "write_file",
  description: "Write a file",
  input_schema: {
    type: "object",
    properties: { path: { type: "string" }, contents: { type: "string" } },
    required: ["path", "contents"],
  },
};

describe("model fake (real @anthropic-ai/sdk over HTTP)", () => {
  let fake: ModelFake;
  let client: Anthropic;

  beforeAll(async () => {
    fake = await startModelFake({ validKeys: [KEY] });
    client = new Anthropic({ apiKey: KEY, baseURL: fake.url, maxRetries: 0 });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  it("answers a non-streaming text reply with usage", async () => {
    fake.enqueue({ text: "Hello from the fake." });
    const message = await client.messages.create({
      model: MODEL,
      thinking: BETWEEN_TOOLS,
      max_tokens: 256,
      system: "You are terse.",
      messages: [{ role: "user", content: "Say hello" }],
    });
    expect(message.type).toBe("message");
    expect(message.id).toMatch(/^msg_/);
    expect(message.content).toEqual([
      { type: "text", text: "Hello from the fake.", citations: null },
    ]);
    expect(message.stop_reason).toBe("end_turn");
    // "You are terse." (14) + "Say hello" (9) = 23 chars → 6 tokens; 20 output chars → 5.
    expect(message.usage).toMatchObject({
      input_tokens: 6,
      output_tokens: 5,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });
    expect(message._request_id).toBe(fake.requests[0]?.id);
    const recorded = fake.requests[0];
    expect(recorded?.keyLastFour).toBe("1234");
    expect(recorded?.auth).toBe("bearer"); // SDK 1.12.0 sends apiKey as Authorization: Bearer
    expect(JSON.stringify(recorded?.headers)).not.toContain(KEY);
    expect(recorded?.response).toMatchObject({ status: 200, kind: "message", source: "queue" });
    expect(fake.usageTotals()).toMatchObject({ responses: 1, input_tokens: 6, output_tokens: 5 });
  });

  it("streams a tool call whose input the SDK rebuilds from partial JSON deltas", async () => {
    const input = { path: "src/hello.ts", contents: "export const hello = () => 'world';\n" };
    fake.enqueue({ text: "Writing the file.", toolUse: { name: "write_file", input } });
    const stream = client.messages.stream({
      model: MODEL,
      thinking: BETWEEN_TOOLS,
      max_tokens: 1024,
      tools: [writeFile],
      messages: [{ role: "user", content: "Create hello.ts" }],
    });
    const events: string[] = [];
    const jsonDeltas: string[] = [];
    stream.on("streamEvent", (event) => {
      events.push(event.type);
      if (event.type === "content_block_delta" && event.delta.type === "input_json_delta") {
        jsonDeltas.push(event.delta.partial_json);
      }
    });
    const message = await stream.finalMessage();
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content[0]).toMatchObject({ type: "text", text: "Writing the file." });
    const call = message.content[1];
    expect(call?.type).toBe("tool_use");
    if (call?.type !== "tool_use") throw new Error("expected tool_use");
    expect(call.id).toMatch(/^toolu_/);
    expect(call.input).toEqual(input);
    expect(jsonDeltas.filter((d) => d.length > 0).length).toBeGreaterThanOrEqual(3);
    expect(jsonDeltas.join("")).toBe(JSON.stringify(input));
    expect(events[0]).toBe("message_start");
    expect(events).toContain("message_delta");
    expect(events.at(-1)).toBe("message_stop");
    expect(message.usage.output_tokens).toBe(
      Math.ceil(("Writing the file.".length + JSON.stringify(input).length) / 4),
    );
  });

  it("answers a forced tool (Haiku 5.5 accepts one) with a byTool responder, and the loop continues with its result", async () => {
    fake.respond(byTool("write_file"), (request) =>
      request.toolResults.length > 0
        ? { text: `Done: ${request.toolResults[0]?.text}` }
        : { toolUse: { name: "write_file", input: { path: "a.txt", contents: "A" } } },
    );
    const first = await client.messages.create({
      model: "claude-haiku-5-5",
      thinking: { type: "disabled" },
      max_tokens: 512,
      tools: [writeFile],
      tool_choice: { type: "tool", name: "write_file" },
      messages: [{ role: "user", content: "Write a.txt" }],
    });
    const call = first.content[0];
    if (call?.type !== "tool_use") throw new Error("expected tool_use");
    expect(call.name).toBe("write_file");
    expect(call.input).toEqual({ path: "a.txt", contents: "A" });

    const second = await client.messages.create({
      model: "claude-haiku-5-5",
      thinking: { type: "disabled" },
      max_tokens: 512,
      tools: [writeFile],
      messages: [
        { role: "user", content: "Write a.txt" },
        { role: "assistant", content: first.content },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: call.id, content: "wrote 1 byte" }],
        },
      ],
    });
    expect(second.content[0]).toMatchObject({ type: "text", text: "Done: wrote 1 byte" });
    expect(fake.requests.map((r) => r.response.source)).toEqual(["responder", "responder"]);
  });

  it("routes with bySystemIncludes / byLastUserIncludes and falls back to the default", async () => {
    fake.respond(bySystemIncludes("planner"), () => ({ text: "PLAN" }));
    fake.respond(byLastUserIncludes("ping"), { text: "pong" });
    const ask = async (system: string, content: string) => {
      const m = await client.messages.create({
        model: MODEL,
        thinking: BETWEEN_TOOLS,
        max_tokens: 64,
        system,
        messages: [{ role: "user", content }],
      });
      return m.content[0]?.type === "text" ? m.content[0].text : "";
    };
    expect(await ask("You are the planner.", "go")).toBe("PLAN");
    expect(await ask("You are the coder.", "ping?")).toBe("pong");
    expect(await ask("You are the coder.", "anything")).toBe("OK.");
  });

  it("lists models (SDK) and accepts x-api-key (raw fetch)", async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(["claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5"]);
    const counted = await client.messages.countTokens({
      model: MODEL,
      thinking: BETWEEN_TOOLS,
      messages: [{ role: "user", content: "12345678" }],
    });
    expect(counted.input_tokens).toBe(2);

    const raw = await fetch(`${fake.url}/v1/models`, {
      headers: { "x-api-key": KEY, "anthropic-version": "2026-10-21" },
    });
    expect(raw.status).toBe(200);
    expect(raw.headers.get("request-id")).toMatch(/^req_/);
    expect(fake.requests.at(-1)?.auth).toBe("x-api-key");
  });

  it("reports prompt caching like the API: written once, then read", async () => {
    const system: Anthropic.TextBlockParam[] = [
      { type: "text", text: "Project rules. ".repeat(400), cache_control: { type: "ephemeral" } },
    ];
    const ask = (content: string) =>
      client.messages.create({
        model: MODEL,
        thinking: BETWEEN_TOOLS,
        max_tokens: 64,
        system,
        messages: [{ role: "user", content }],
      });
    const first = await ask("First question");
    const second = await ask("Second, different question");
    expect(first.usage.cache_creation_input_tokens).toBe(1500); // 6000 chars / 4
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
    expect(fake.cacheStats()).toMatchObject({ hits: 1, misses: 1, entries: 1 });

    // Below Sonnet 5.5's 512-token minimum nothing is cached.
    const short = await client.messages.create({
      model: MODEL,
      thinking: BETWEEN_TOOLS,
      max_tokens: 64,
      system: [{ type: "text", text: "Short rules.", cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: "Hi" }],
    });
    expect(short.usage.cache_creation_input_tokens).toBe(0);
  });

  it("401: AuthenticationError, not retried", async () => {
    const wrong = new Anthropic({ apiKey: "sk-wrong", baseURL: fake.url, maxRetries: 2 });
    const error = await wrong.messages
      .create({
        model: MODEL,
        thinking: BETWEEN_TOOLS,
        max_tokens: 16,
        messages: [{ role: "user", content: "hi" }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((error as APIError).error).toMatchObject({
      type: "error",
      error: { type: "authentication_error", message: "invalid x-api-key" },
    });
    expect(fake.requests).toHaveLength(1);
  });

  it("529 twice then success with maxRetries: 2", async () => {
    fake.failNext(2, { status: 529 });
    fake.enqueue({ text: "finally" });
    const message = await client.messages.create(
      {
        model: MODEL,
        thinking: BETWEEN_TOOLS,
        max_tokens: 16,
        messages: [{ role: "user", content: "hi" }],
      },
      { maxRetries: 2 },
    );
    expect(message.content[0]).toMatchObject({ text: "finally" });
    expect(fake.requests.map((r) => r.response.status)).toEqual([529, 529, 200]);
    expect(fake.requests[0]?.response.errorType).toBe("overloaded_error");
  });

  it("429 with retry-after: 0 is retried; without retries it is a RateLimitError", async () => {
    fake.failNext(1, { status: 429, retryAfter: 0 });
    const message = await client.messages.create(
      {
        model: MODEL,
        thinking: BETWEEN_TOOLS,
        max_tokens: 16,
        messages: [{ role: "user", content: "hi" }],
      },
      { maxRetries: 1 },
    );
    expect(message.stop_reason).toBe("end_turn");
    expect(fake.requests).toHaveLength(2);

    fake.failNext(1, { status: 429, retryAfter: 7 });
    const error = await client.messages
      .create({
        model: MODEL,
        thinking: BETWEEN_TOOLS,
        max_tokens: 16,
        messages: [{ role: "user", content: "hi" }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect((error as APIError).headers?.get("retry-after")).toBe("7");
  });

  it("hang: the SDK's timeout fires", async () => {
    fake.enqueue({ hang: true });
    const started = Date.now();
    const error = await client.messages
      .create(
        {
          model: MODEL,
          thinking: BETWEEN_TOOLS,
          max_tokens: 16,
          messages: [{ role: "user", content: "hi" }],
        },
        { timeout: 300, maxRetries: 0 },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(fake.requests[0]?.response.kind).toBe("hang");
  });

  it("truncateAt: stop_reason max_tokens and tool input JSON cut", async () => {
    fake.enqueue({
      toolUse: { name: "write_file", input: { path: "x.ts", contents: "abc" } },
      truncateAt: 20,
    });
    const message = await client.messages
      .stream({
        model: MODEL,
        thinking: BETWEEN_TOOLS,
        max_tokens: 1024,
        tools: [writeFile],
        messages: [{ role: "user", content: "write" }],
      })
      .finalMessage();
    expect(message.stop_reason).toBe("max_tokens");
    expect(message.usage.output_tokens).toBe(5);

    fake.enqueue({ text: "a long answer that goes on", truncateAt: 6 });
    const text = await client.messages.create({
      model: MODEL,
      thinking: BETWEEN_TOOLS,
      max_tokens: 64,
      messages: [{ role: "user", content: "talk" }],
    });
    expect(text.stop_reason).toBe("max_tokens");
    expect(text.content[0]).toMatchObject({ text: "a long" });
  });

  it("rejects what the API rejects", async () => {
    const base = {
      model: MODEL,
      thinking: BETWEEN_TOOLS,
      max_tokens: 16,
      messages: [{ role: "user" as const, content: "hi" }],
    };
    const fail = (body: object) =>
      client.messages
        .create(body as Anthropic.MessageCreateParamsNonStreaming)
        .catch((e: unknown) => e);

    const temperature = await fail({ ...base, temperature: 0.2 });
    expect(temperature).toBeInstanceOf(Anthropic.BadRequestError);
    expect((temperature as APIError).apiMessage).toMatch(/temperature/);

    expect(await fail({ ...base, model: "claude-nope" })).toBeInstanceOf(Anthropic.NotFoundError);
    expect(await fail({ ...base, messages: [] })).toBeInstanceOf(Anthropic.BadRequestError);
    const unpaired = await fail({
      ...base,
      tools: [writeFile],
      messages: [
        { role: "user", content: "go" },
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "toolu_1", name: "write_file", input: {} }],
        },
        { role: "user", content: "no result" },
      ],
    });
    expect(unpaired).toBeInstanceOf(Anthropic.BadRequestError);
    expect((unpaired as APIError).apiMessage).toMatch(/tool_result/);
    expect(fake.requests.every((r) => r.response.source === "validation")).toBe(true);
  });
});
