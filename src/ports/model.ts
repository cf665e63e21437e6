import type {
  ContentBlock,
  MessageCreateParamsNonStreaming,
  StopReason,
} from "@anthropic-ai/sdk/resources/messages";

export type ModelRequest = Omit<MessageCreateParamsNonStreaming, "stream">;

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export interface ModelReply {
  content: ContentBlock[];
  stopReason: StopReason | null;
  usage: TokenUsage;
  model: string;
}

/** One model call with a key that lives only for that call. */
export interface ModelPort {
  send(
    apiKey: string,
    request: ModelRequest,
    options?: { signal?: AbortSignal },
  ): Promise<ModelReply>;
}

/** The key was refused (401): retrying cannot help; the person who set it must replace it. */
export class ModelKeyRejectedError extends Error {
  override name = "ModelKeyRejectedError";
  readonly unrecoverable = true;
  constructor() {
    super("the model key was rejected (401): replace it on the dashboard or in ANTHROPIC_API_KEY");
  }
}

/** Rate limits, overload, timeouts and 5xx that outlasted the SDK's own retries: retry later. */
export class ModelUnavailableError extends Error {
  override name = "ModelUnavailableError";
}

/** The request itself is wrong (4xx other than 401/429): fails without retries. */
export class ModelRequestError extends Error {
  override name = "ModelRequestError";
  readonly unrecoverable = true;
}
