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
