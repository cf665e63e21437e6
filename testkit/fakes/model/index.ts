/*
 * A fake of the Anthropic Messages API (version 2026-10-21, as spoken by @anthropic-ai/sdk
 * 1.12.0), served over HTTP on 127.0.0.1 so the real SDK can be pointed at it unmodified:
 *
 *   const fake = await startModelFake();
 *   const client = new Anthropic({ apiKey: "sk-test", baseURL: fake.url });
 *
 * Routes: POST /v1/messages (JSON or SSE), POST /v1/messages/count_tokens, GET /v1/models,
 * GET /v1/models/{id}. See types.ts for the scripting API and cache.ts for the token rule.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type Anthropic from "@anthropic-ai/sdk";
import { countPromptTokens, PromptCache, promptUnits, tokensOf } from "./cache.ts";
import {
  buildOutput,
  contentOf,
  defaultReply,
  isContentLike,
  isFault,
  isHang,
  isStreamError,
  newId,
} from "./reply.ts";
import { type Effort, effectiveThinking, MODEL_RULES, PERMISSIVE_RULES } from "./rules.ts";
import { frame, messageEvents } from "./sse.ts";
import { ThinkingLedger } from "./thinking.ts";
import type {
  CacheStats,
  Matcher,
  ModelFake,
  ModelFakeOptions,
  ModelRequest,
  RecordedRequest,
  Reply,
  Responder,
  ResponseSummary,
  ToolResultView,
  UsageTotals,
} from "./types.ts";
import { type ApiErrorSpec, type ModelSpec, validateMessagesBody } from "./validate.ts";

export type * from "./types.ts";

/** The 5.5 models: 128K output tokens each (platform.claude.com/docs/en/models/*-5-5/overview). */
export const DEFAULT_MODELS: readonly ModelSpec[] = [
  ["claude-opus-5-5", "Claude Opus 5.5", "opus"] as const,
  ["claude-sonnet-5-5", "Claude Sonnet 5.5", "sonnet"] as const,
  ["claude-haiku-5-5", "Claude Haiku 5.5", "haiku"] as const,
].map(([id, displayName, line]) => ({
  id,
  displayName,
  line,
  maxOutputTokens: 128_000,
  rules: MODEL_RULES[id] ?? PERMISSIVE_RULES,
}));

/**
 * Tokens the fake's model spends thinking at each effort (billed as output and counted in
 * max_tokens, as build-with-claude/thinking says); small, so scripted replies keep their room.
 */
const THINKING_TOKENS: Record<Effort, number> = {
  low: 16,
  medium: 48,
  high: 96,
  xhigh: 192,
  max: 384,
};

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  409: "conflict_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

const ERROR_MESSAGES: Record<string, string> = {
  invalid_request_error: "Invalid request",
  authentication_error: "invalid x-api-key",
  permission_error: "Your API key does not have permission to use the specified resource.",
  not_found_error: "Not found",
  rate_limit_error: "Number of requests has exceeded your rate limit. Please try again later.",
  api_error: "Internal server error",
  timeout_error: "Request timed out",
  overloaded_error: "Overloaded",
};

const STREAM_ERROR_STATUS: Record<string, number> = {
  overloaded_error: 529,
  api_error: 500,
  rate_limit_error: 429,
};

// ---- matchers --------------------------------------------------------------------------------

/**
 * The request forces this tool (`tool_choice: { type: "tool", name }`), or offers it when no
 * tool is forced. (Agents that share one tool list are told apart by the forced tool.)
 */
export const byTool =
  (name: string): Matcher =>
  (request) =>
    request.toolChoice?.type === "tool"
      ? request.toolChoice.name === name
      : request.toolNames.includes(name);

/** The names of the tools a recorded request body offered. */
export function toolsOffered(body: unknown): string[] {
  const tools = isRecord(body) && Array.isArray(body.tools) ? body.tools : [];
  return tools.flatMap((tool) =>
    isRecord(tool) && typeof tool.name === "string" ? [tool.name] : [],
  );
}

/** The first user turn (the rendered prompt) contains `text`, e.g. "# Agent: implementer". */
export const byPromptIncludes =
  (text: string): Matcher =>
  (request) => {
    const first = request.body.messages.find((m) => m.role === "user");
    return first !== undefined && textOf(first.content).includes(text);
  };

/** The system prompt (top-level or role `system` messages) contains `text`. */
export const bySystemIncludes =
  (text: string): Matcher =>
  (request) =>
    request.system.includes(text);

/** The last user turn (text or tool_result text) contains `text`. */
export const byLastUserIncludes =
  (text: string): Matcher =>
  (request) =>
    request.lastUserText.includes(text);

export const byModel =
  (model: string): Matcher =>
  (request) =>
    request.model === model;

/** All matchers hold. */
export const allOf =
  (...matchers: Matcher[]): Matcher =>
  (request) =>
    matchers.every((m) => m(request));

// ---- request view -----------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .flatMap((block) => {
      if (!isRecord(block)) return [];
      if (block.type === "text" && typeof block.text === "string") return [block.text];
      if (block.type === "tool_result") return [textOf(block.content)];
      return [];
    })
    .join("\n");
}

function requestView(
  body: Anthropic.MessageCreateParams,
  index: number,
  headers: Record<string, string>,
  keyLastFour: string | null,
): ModelRequest {
  const messages = body.messages as Array<{ role: string; content: unknown }>;
  const system = [
    textOf(body.system),
    ...messages.filter((m) => m.role === "system").map((m) => textOf(m.content)),
  ]
    .filter((s) => s.length > 0)
    .join("\n");
  const lastUser = messages.findLast((m) => m.role === "user");
  const toolResults: ToolResultView[] = Array.isArray(lastUser?.content)
    ? lastUser.content.flatMap((block: unknown) =>
        isRecord(block) && block.type === "tool_result"
          ? [
              {
                toolUseId: String(block.tool_use_id),
                text: textOf(block.content),
                isError: block.is_error === true,
              },
            ]
          : [],
      )
    : [];
  return {
    index,
    body,
    model: body.model,
    stream: body.stream === true,
    system,
    lastUserText: textOf(lastUser?.content),
    toolResults,
    toolNames: (body.tools ?? []).flatMap((tool) =>
      "name" in tool && typeof tool.name === "string" ? [tool.name] : [],
    ),
    toolChoice: body.tool_choice,
    headers,
    keyLastFour,
  };
}

// ---- server -----------------------------------------------------------------------------------

interface RegisteredResponder {
  matcher: Matcher;
  responder: Responder | Reply;
}

function modelInfo(spec: ModelSpec): Anthropic.ModelInfo {
  return {
    id: spec.id,
    type: "model",
    display_name: spec.displayName,
    created_at: "2026-09-01T00:00:00Z",
    capabilities: null,
    deprecated_at: null,
    lifecycle: "active",
    line: spec.line,
    max_input_tokens: null,
    max_tokens: spec.maxOutputTokens,
    retires_at: null,
  };
}

function specFor(id: string): ModelSpec {
  const known = DEFAULT_MODELS.find((m) => m.id === id);
  if (known) return known;
  const line = id.includes("haiku") ? "haiku" : id.includes("opus") ? "opus" : "sonnet";
  return { id, displayName: id, line, maxOutputTokens: 128_000, rules: PERMISSIVE_RULES };
}

export async function startModelFake(options: ModelFakeOptions = {}): Promise<ModelFake> {
  const now = options.now ?? Date.now;
  const models = new Map(
    (options.models ?? DEFAULT_MODELS.map((m) => m.id)).map((id) => [id, specFor(id)]),
  );
  const validKeys = options.validKeys ? new Set(options.validKeys) : null;
  const cache = new PromptCache(now);
  const thinking = new ThinkingLedger();
  const queue: Array<Reply | Responder> = [];
  const responders: RegisteredResponder[] = [];
  const requests: RecordedRequest[] = [];
  const errors: Error[] = [];
  const open = new Set<ServerResponse>();
  const hanging = new Set<ServerResponse>();
  let totals: UsageTotals = emptyTotals();
  let hits = 0;
  let misses = 0;

  function emptyTotals(): UsageTotals {
    return {
      responses: 0,
      input_tokens: 0,
      output_tokens: 0,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    };
  }

  function send(
    res: ServerResponse,
    record: RecordedRequest,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    record.response.status = status;
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  }

  function sendError(
    res: ServerResponse,
    record: RecordedRequest,
    error: ApiErrorSpec,
    summary: Partial<ResponseSummary> = {},
    headers: Record<string, string> = {},
  ): void {
    Object.assign(record.response, {
      kind: "error",
      errorType: error.type,
      errorMessage: error.message,
      ...summary,
    });
    send(
      res,
      record,
      error.status,
      {
        type: "error",
        error: { type: error.type, message: error.message },
        request_id: record.id,
      },
      headers,
    );
  }

  /** A request the API's rules refuse. */
  function refuse(res: ServerResponse, record: RecordedRequest, error: ApiErrorSpec): void {
    options.onRefusal?.(`${record.path}: ${error.message}`);
    sendError(res, record, error, { source: "validation" });
  }

  async function chooseReply(
    request: ModelRequest,
  ): Promise<{ reply: Reply; source: "queue" | "responder" | "default" }> {
    const next = queue.shift();
    if (next !== undefined) {
      return { reply: typeof next === "function" ? await next(request) : next, source: "queue" };
    }
    const found = responders.find((r) => r.matcher(request));
    if (found) {
      const { responder } = found;
      return {
        reply: typeof responder === "function" ? await responder(request) : responder,
        source: "responder",
      };
    }
    const fallback = options.defaultReply;
    if (fallback === undefined) return { reply: defaultReply(request), source: "default" };
    return {
      reply: typeof fallback === "function" ? await fallback(request) : fallback,
      source: "default",
    };
  }

  async function handleMessages(
    req: IncomingMessage,
    res: ServerResponse,
    record: RecordedRequest,
    signal: AbortSignal,
    beta: boolean,
  ): Promise<void> {
    const problem = validateMessagesBody(record.body, {
      models,
      strictAlternation: options.strictAlternation ?? false,
      countTokens: false,
      beta,
    });
    if (problem) return refuse(res, record, problem);
    const replay = thinking.check(record.body as Record<string, unknown>);
    if ("error" in replay) return refuse(res, record, replay.error);
    const body = record.body as Anthropic.MessageCreateParams;
    const spec = models.get(body.model) as ModelSpec;
    const request = requestView(body, requests.indexOf(record), record.headers, record.keyLastFour);
    record.response.stream = request.stream;

    let chosen: Awaited<ReturnType<typeof chooseReply>>;
    try {
      chosen = await chooseReply(request);
      if (
        !isRecord(chosen.reply) ||
        !(
          isHang(chosen.reply) ||
          isFault(chosen.reply) ||
          isStreamError(chosen.reply) ||
          isContentLike(chosen.reply)
        )
      ) {
        throw new Error(`not a Reply: ${JSON.stringify(chosen.reply)}`);
      }
    } catch (cause) {
      const error = cause instanceof Error ? cause : new Error(String(cause));
      errors.push(error);
      return sendError(
        res,
        record,
        { status: 500, type: "api_error", message: `model fake script error: ${error.message}` },
        {},
        { "x-should-retry": "false" },
      );
    }
    const { reply, source } = chosen;
    record.response.source = source;

    if (isHang(reply)) {
      record.response.kind = "hang";
      hanging.add(res);
      return;
    }

    const extra = "delayMs" in reply && typeof reply.delayMs === "number" ? reply.delayMs : 0;
    const delay = (options.latencyMs ?? 0) + extra;
    if (delay > 0) {
      try {
        await sleep(delay, undefined, { signal });
      } catch {
        return; // the client went away
      }
    }

    if (isFault(reply)) {
      const type = reply.errorType ?? ERROR_TYPES[reply.status] ?? "api_error";
      const headers: Record<string, string> = {};
      if (reply.retryAfter !== undefined) headers["retry-after"] = String(reply.retryAfter);
      if (reply.shouldRetry !== undefined) headers["x-should-retry"] = String(reply.shouldRetry);
      return sendError(
        res,
        record,
        { status: reply.status, type, message: reply.message ?? ERROR_MESSAGES[type] ?? type },
        {},
        headers,
      );
    }

    if (isStreamError(reply)) {
      const error = {
        type: reply.streamError,
        message: reply.message ?? ERROR_MESSAGES[reply.streamError] ?? reply.streamError,
      };
      if (!request.stream) {
        return sendError(res, record, { status: STREAM_ERROR_STATUS[error.type] ?? 500, ...error });
      }
      Object.assign(record.response, {
        kind: "stream_error",
        status: 200,
        errorType: error.type,
        errorMessage: error.message,
      });
      const message = buildMessage(body, [], "end_turn", null, 0, {
        input_tokens: countPromptTokens(promptUnits(body as unknown as Record<string, unknown>)),
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        ephemeral_5m_input_tokens: 0,
        ephemeral_1h_input_tokens: 0,
      });
      const start = messageEvents(message, [])[0];
      res.writeHead(200, sseHeaders());
      if (start) res.write(frame(start));
      res.write(frame({ event: "ping", data: { type: "ping" } }));
      res.end(frame({ event: "error", data: { type: "error", error } }));
      return;
    }

    if (!isContentLike(reply)) return; // unreachable: checked above
    const output = buildOutput(reply, request, addedThinking(body, spec));
    const toolUseIds: string[] = [];
    const signatures: string[] = [];
    for (const block of output.blocks) {
      if (block.type === "thinking") {
        block.signature = thinking.issue(
          record.body as Record<string, unknown>,
          block.thinking,
          block.signature,
        );
        signatures.push(block.signature);
      } else if (block.type === "redacted_thinking") {
        block.data = thinking.issue(record.body as Record<string, unknown>, "", block.data);
        signatures.push(block.data);
      } else if (block.type === "tool_use") toolUseIds.push(block.id);
    }
    thinking.link(toolUseIds, signatures);
    const units = promptUnits(body as unknown as Record<string, unknown>);
    const account = cache.account(
      `${body.model}\u0000${keyOf(req)}`,
      units,
      options.minCacheableTokens ?? spec.rules.minCacheableTokens,
    );
    const message = buildMessage(
      body,
      contentOf(output.blocks),
      output.stopReason,
      output.stopSequence,
      output.outputTokens,
      account,
      output.blocks.reduce((n, b) => n + (b.type === "thinking" ? b.thinking.length : 0), 0),
    );
    if (account.cache_read_input_tokens > 0) hits++;
    else if (account.hadBreakpoint) misses++;
    totals.responses++;
    totals.input_tokens += account.input_tokens;
    totals.output_tokens += output.outputTokens;
    totals.cache_creation_input_tokens += account.cache_creation_input_tokens;
    totals.cache_read_input_tokens += account.cache_read_input_tokens;
    Object.assign(record.response, {
      kind: "message",
      stopReason: message.stop_reason,
      content: message.content,
      usage: message.usage,
    });

    if (!request.stream) return send(res, record, 200, message);
    record.response.status = 200;
    res.writeHead(200, sseHeaders());
    for (const event of messageEvents(message, output.blocks)) {
      if (signal.aborted) return;
      res.write(frame(event));
    }
    res.end();
  }

  function buildMessage(
    body: Anthropic.MessageCreateParams,
    content: Anthropic.ContentBlock[],
    stopReason: Anthropic.StopReason,
    stopSequence: string | null,
    outputTokens: number,
    account: {
      input_tokens: number;
      cache_creation_input_tokens: number;
      cache_read_input_tokens: number;
      ephemeral_5m_input_tokens: number;
      ephemeral_1h_input_tokens: number;
    },
    thinkingChars = 0,
  ): Anthropic.Message {
    return {
      id: newId("msg_"),
      type: "message",
      role: "assistant",
      model: body.model,
      content,
      stop_reason: stopReason,
      stop_sequence: stopSequence,
      stop_details:
        stopReason === "refusal" ? { type: "refusal", category: null, explanation: null } : null,
      container: null,
      diagnostics: null,
      usage: {
        input_tokens: account.input_tokens,
        cache_creation_input_tokens: account.cache_creation_input_tokens,
        cache_read_input_tokens: account.cache_read_input_tokens,
        cache_creation: {
          ephemeral_5m_input_tokens: account.ephemeral_5m_input_tokens,
          ephemeral_1h_input_tokens: account.ephemeral_1h_input_tokens,
        },
        output_tokens: outputTokens,
        output_tokens_details: { thinking_tokens: tokensOf(thinkingChars) },
        server_tool_use: null,
        service_tier: "standard",
        inference_geo: body.inference_geo ?? null,
        speed: body.speed ?? "standard",
      },
    };
  }

  function handleCountTokens(res: ServerResponse, record: RecordedRequest, beta: boolean): void {
    const problem = validateMessagesBody(record.body, {
      models,
      strictAlternation: options.strictAlternation ?? false,
      countTokens: true,
      beta,
    });
    if (problem) {
      refuse(res, record, problem);
      return;
    }
    record.response.kind = "count_tokens";
    const input = countPromptTokens(promptUnits(record.body as Record<string, unknown>));
    send(res, record, 200, { input_tokens: input } satisfies Anthropic.MessageTokensCount);
  }

  function handleModels(res: ServerResponse, record: RecordedRequest, id: string | null): void {
    record.response.kind = "models";
    if (id !== null) {
      const spec = models.get(id);
      if (!spec) {
        sendError(res, record, { status: 404, type: "not_found_error", message: `model: ${id}` });
        return;
      }
      send(res, record, 200, modelInfo(spec));
      return;
    }
    const data = [...models.values()].map(modelInfo);
    send(res, record, 200, {
      data,
      has_more: false,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = Date.now();
    const id = newId("req_");
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name === "x-api-key" || name === "authorization" || value === undefined) continue;
      headers[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    const { key, auth } = credentialsOf(req);
    const record: RecordedRequest = {
      id,
      method: req.method ?? "GET",
      path: url.pathname,
      body: undefined,
      headers,
      auth,
      keyLastFour: key ? key.slice(-4) : null,
      receivedAt,
      response: { kind: "pending" },
    };
    requests.push(record);
    open.add(res);
    const abort = new AbortController();
    res.on("close", () => {
      open.delete(res);
      hanging.delete(res);
      if (!res.writableFinished) {
        record.response.aborted = true;
        abort.abort();
      }
      record.response.durationMs = Date.now() - receivedAt;
    });
    res.setHeader("request-id", id);

    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");

    const route =
      req.method === "POST" && url.pathname === "/v1/messages"
        ? "messages"
        : req.method === "POST" && url.pathname === "/v1/messages/count_tokens"
          ? "count_tokens"
          : req.method === "GET" && url.pathname === "/v1/models"
            ? "models"
            : req.method === "GET" && url.pathname.startsWith("/v1/models/")
              ? "model"
              : null;
    if (route === null) {
      return sendError(
        res,
        record,
        { status: 404, type: "not_found_error", message: "Not Found" },
        { kind: "not_found" },
      );
    }
    if (!key) {
      return sendError(res, record, {
        status: 401,
        type: "authentication_error",
        message: "x-api-key header is required",
      });
    }
    if (validKeys && !validKeys.has(key)) {
      return sendError(res, record, {
        status: 401,
        type: "authentication_error",
        message: "invalid x-api-key",
      });
    }
    if (!req.headers["anthropic-version"]) {
      return sendError(res, record, {
        status: 400,
        type: "invalid_request_error",
        message: "anthropic-version: header is required",
      });
    }
    if (route === "models") return handleModels(res, record, null);
    if (route === "model") {
      return handleModels(
        res,
        record,
        decodeURIComponent(url.pathname.slice("/v1/models/".length)),
      );
    }
    try {
      record.body = JSON.parse(raw);
    } catch {
      return sendError(res, record, {
        status: 400,
        type: "invalid_request_error",
        message: "There was an error parsing the body of your request as JSON.",
      });
    }
    const beta = url.searchParams.get("beta") === "true";
    if (route === "count_tokens") return handleCountTokens(res, record, beta);
    return handleMessages(req, res, record, abort.signal, beta);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((cause: unknown) => {
      if (res.destroyed) return; // the client went away mid-request: not a fake error
      errors.push(cause instanceof Error ? cause : new Error(String(cause)));
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json", "x-should-retry": "false" });
        res.end(
          JSON.stringify({
            type: "error",
            error: { type: "api_error", message: `model fake crashed: ${String(cause)}` },
            request_id: null,
          }),
        );
      } else {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  const fake: ModelFake = {
    url: `http://127.0.0.1:${port}`,
    requests,
    errors,
    enqueue(...replies) {
      queue.push(...replies);
    },
    failNext(n, reply) {
      queue.unshift(...Array.from({ length: n }, () => reply));
    },
    respond(matcher, responder) {
      const entry: RegisteredResponder = { matcher, responder };
      responders.push(entry);
      return () => {
        const at = responders.indexOf(entry);
        if (at >= 0) responders.splice(at, 1);
      };
    },
    usageTotals: () => ({ ...totals }),
    cacheStats: (): CacheStats => ({ hits, misses, entries: cache.size() }),
    reset() {
      queue.length = 0;
      responders.length = 0;
      requests.length = 0;
      errors.length = 0;
      cache.clear();
      thinking.clear();
      totals = emptyTotals();
      hits = 0;
      misses = 0;
      for (const res of hanging) res.destroy();
      hanging.clear();
    },
    async close() {
      for (const res of open) res.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  return fake;
}

/**
 * The API key: `x-api-key`, or `Authorization: Bearer <key>` — which is how @anthropic-ai/sdk
 * 1.12.0 sends `apiKey` (it never sends x-api-key itself).
 */
function credentialsOf(req: IncomingMessage): { key: string; auth: RecordedRequest["auth"] } {
  const header = req.headers["x-api-key"];
  const apiKey = Array.isArray(header) ? header[0] : header;
  if (apiKey) return { key: apiKey, auth: "x-api-key" };
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1]?.trim();
  if (bearer) return { key: bearer, auth: "bearer" };
  return { key: "", auth: null };
}

function keyOf(req: IncomingMessage): string {
  return credentialsOf(req).key;
}

/**
 * The thinking block a reply opens with, or null: adaptive thinking thinks before answering;
 * Sonnet 5.5's `between_tools` only between tool calls; `disabled` never; and a forced tool on
 * Haiku 5.5 answers "with the tool call and has no thinking block" (its migration guide).
 * At the default `display: "omitted"` the block's text is empty.
 */
function addedThinking(
  body: Anthropic.MessageCreateParams,
  spec: ModelSpec,
): { text: string; tokens: number } | null {
  const { type, effort, display } = effectiveThinking(
    body as unknown as Record<string, unknown>,
    spec.rules,
  );
  const choice = body.tool_choice?.type;
  if (choice === "any" || choice === "tool") return null;
  const last = body.messages.at(-1);
  const afterTool =
    Array.isArray(last?.content) && last.content.some((b) => b.type === "tool_result");
  if (type === "disabled" || type === "enabled" || (type === "between_tools" && !afterTool)) {
    return null;
  }
  if (spec.rules === PERMISSIVE_RULES) return null;
  return {
    text: display === "omitted" ? "" : "Weighing the request before answering.",
    tokens: THINKING_TOKENS[effort],
  };
}

function sseHeaders(): Record<string, string> {
  return {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
  };
}
