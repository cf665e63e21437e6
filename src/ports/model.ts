import type {
  ContentBlock,
  MessageCreateParamsNonStreaming,
  StopReason,
} from "@anthropic-ai/sdk/resources/messages";
import type { Usage } from "../core/cost.ts";

export type ModelRequest = Omit<MessageCreateParamsNonStreaming, "stream">;

export interface ModelReply {
  content: ContentBlock[];
  stopReason: StopReason | null;
  usage: Usage;
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
