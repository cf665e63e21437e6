import type Anthropic from "@anthropic-ai/sdk";

/** Stop reasons a scripted text reply may ask for (`tool_use` comes from `toolUse` replies). */
export type ScriptedStopReason =
  | "end_turn"
  | "max_tokens"
  | "refusal"
  | "stop_sequence"
  | "pause_turn";

export interface ToolCall {
  name: string;
  input: Record<string, unknown>;
  /** Defaults to a generated `toolu_01…` id. */
  id?: string;
}

/** Blocks a `{ content }` reply may contain. */
export type ReplyBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; name: string; input: Record<string, unknown>; id?: string }
  | { type: "thinking"; thinking: string; signature?: string }
  | { type: "redacted_thinking"; data?: string };

interface ReplyCommon {
  /**
   * Cut the reply after this many output characters (text, then tool input JSON) and answer
   * with stop_reason `max_tokens`. A cut tool input no longer parses as JSON.
   */
  truncateAt?: number;
  /** Extra delay before answering, on top of `options.latencyMs`. */
  delayMs?: number;
}

export interface TextReply extends ReplyCommon {
  text: string;
  stopReason?: ScriptedStopReason;
}

export interface ToolUseReply extends ReplyCommon {
  /** One call, or several parallel calls. stop_reason is `tool_use`. */
  toolUse: ToolCall | ToolCall[];
  /** Text the model writes before the call. */
  text?: string;
}

export interface ContentReply extends ReplyCommon {
  content: ReplyBlock[];
  /** Defaults to `tool_use` when the content has a tool_use block, else `end_turn`. */
  stopReason?: Anthropic.StopReason;
}

export interface FaultReply {
  /** 429 → rate_limit_error, 529 → overloaded_error, 401 → authentication_error, 500 → api_error, … */
  status: number;
  /** Overrides the error message of the body. */
  message?: string;
  /** Overrides the error type of the body (derived from `status` otherwise). */
  errorType?: string;
  /** Seconds; sent as the `retry-after` header (429 gets it only when given). */
  retryAfter?: number;
  /** Sent as the `x-should-retry` header when set. */
  shouldRetry?: boolean;
  delayMs?: number;
}

/** Accept the request and never answer; the connection stays open until the client gives up. */
export interface HangReply {
  hang: true;
}

/**
 * For `stream: true`: answer 200, send `message_start`, then an SSE `error` event (what the API
 * does when it is overloaded mid-stream). Non-streaming requests get the matching HTTP error.
 */
export interface StreamErrorReply {
  streamError: "overloaded_error" | "api_error" | "rate_limit_error";
  message?: string;
}

export type Reply =
  | TextReply
  | ToolUseReply
  | ContentReply
  | FaultReply
  | HangReply
  | StreamErrorReply;

export interface ToolResultView {
  toolUseId: string;
  /** The result's text (text blocks joined with "\n"). */
  text: string;
  isError: boolean;
}

/** What matchers and responders see of a valid `POST /v1/messages`. */
export interface ModelRequest {
  /** 0-based index among all requests the fake received. */
  index: number;
  body: Anthropic.MessageCreateParams;
  model: string;
  stream: boolean;
  /** All system text (top-level `system` and role `system` messages), joined with "\n". */
  system: string;
  /** Text of the last user turn (tool_result text included), joined with "\n". */
  lastUserText: string;
  /** tool_result blocks of the last user turn. */
  toolResults: ToolResultView[];
  toolNames: string[];
  toolChoice: Anthropic.ToolChoice | undefined;
  headers: Record<string, string>;
  keyLastFour: string | null;
}

export type Matcher = (request: ModelRequest) => boolean;
export type Responder = (request: ModelRequest) => Reply | Promise<Reply>;

export interface ResponseSummary {
  /** Undefined while the request is pending (or hanging). */
  status?: number;
  kind:
    | "pending"
    | "message"
    | "error"
    | "stream_error"
    | "hang"
    | "models"
    | "count_tokens"
    | "not_found";
  /** Where the reply came from. */
  source?: "queue" | "responder" | "default" | "validation";
  stream?: boolean;
  errorType?: string;
  errorMessage?: string;
  stopReason?: Anthropic.StopReason | null;
  content?: Anthropic.ContentBlock[];
  usage?: Anthropic.Usage;
  /** The client went away before the answer was complete. */
  aborted?: boolean;
  durationMs?: number;
}

export interface RecordedRequest {
  /** The `request-id` header value sent back. */
  id: string;
  method: string;
  path: string;
  /** Parsed JSON body (undefined for GET or unparsable bodies). */
  body: unknown;
  /** Lower-cased request headers; the credentials (`x-api-key`, `authorization`) are left out. */
  headers: Record<string, string>;
  /** How the key came: `x-api-key`, or `Authorization: Bearer` (what the SDK 1.12.0 sends). */
  auth: "x-api-key" | "bearer" | null;
  keyLastFour: string | null;
  receivedAt: number;
  response: ResponseSummary;
}

export interface UsageTotals {
  /** Successful message responses counted. */
  responses: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface CacheStats {
  /** Message responses with cache_read_input_tokens > 0. */
  hits: number;
  /** Message responses with at least one cache breakpoint but nothing read. */
  misses: number;
  /** Live (unexpired) cache entries. */
  entries: number;
}

export interface ModelFakeOptions {
  /** Accepted API keys (as `x-api-key` or `Authorization: Bearer`). Default: any non-empty key. */
  validKeys?: string[];
  /** Known model ids. Default: claude-opus-5-5, claude-sonnet-5-5, claude-haiku-5-5. */
  models?: string[];
  /** Delay (ms) before each answer, to simulate model time. Default 0. */
  latencyMs?: number;
  /** Minimum cacheable prefix in tokens. Default 1024. */
  minCacheableTokens?: number;
  /** Reject consecutive same-role turns (the API merges them). Default false. */
  strictAlternation?: boolean;
  /** Reply used when no script or responder applies. Default: a short text (or a forced tool call). */
  defaultReply?: Reply | Responder;
  /** Told of every request the API's rules refuse (400/404 from validation, not scripted faults). */
  onRefusal?: (message: string) => void;
  /** Clock for cache TTLs. Default Date.now. */
  now?: () => number;
  /** Port on 127.0.0.1. Default 0 (any free port). */
  port?: number;
}

export interface ModelFake {
  /** Base URL for the SDK: `new Anthropic({ apiKey, baseURL: fake.url })`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Scripting errors (a responder threw, …); they are also answered as 500 api_error. */
  readonly errors: Error[];
  /** One-shot replies, answered in order before responders are consulted. */
  enqueue(...replies: Array<Reply | Responder>): void;
  /** Put `n` copies of `reply` at the FRONT of the queue: the next n requests get it. */
  failNext(n: number, reply: FaultReply | HangReply | StreamErrorReply): void;
  /** First registered matching responder wins. Returns a function that removes it. */
  respond(matcher: Matcher, responder: Responder | Reply): () => void;
  usageTotals(): UsageTotals;
  cacheStats(): CacheStats;
  /** Clear queued replies, responders, recorded requests, errors and the prompt cache. */
  reset(): void;
  close(): Promise<void>;
}
