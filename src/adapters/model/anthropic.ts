import Anthropic from "@anthropic-ai/sdk";
import { ModelKeyRejectedError, ModelRequestError, ModelUnavailableError } from "../../errors.ts";
import type { ModelPort, ModelReply, ModelRequest } from "../../ports/model.ts";

export interface AnthropicOptions {
  baseURL?: string | undefined;
  /** The SDK's own retries for 408/409/429/5xx/529, with its backoff and `retry-after`. */
  maxRetries?: number;
  timeoutMs?: number;
}

/**
 * The model port over `@anthropic-ai/sdk`. Always streams, so long outputs never hit the
 * SDK's non-streaming time guard; maps the SDK's typed errors to ours, never echoing the key.
 */
export class AnthropicModel implements ModelPort {
  readonly #options: AnthropicOptions;

  constructor(options: AnthropicOptions = {}) {
    this.#options = options;
  }

  async send(
    apiKey: string,
    request: ModelRequest,
    options: { signal?: AbortSignal } = {},
  ): Promise<ModelReply> {
    const client = new Anthropic({
      apiKey,
      ...(this.#options.baseURL ? { baseURL: this.#options.baseURL } : {}),
      maxRetries: this.#options.maxRetries ?? 2,
      timeout: this.#options.timeoutMs ?? 10 * 60_000,
    });
    try {
      const message = await client.messages
        .stream(request, options.signal ? { signal: options.signal } : {})
        .finalMessage();
      return {
        content: message.content,
        stopReason: message.stop_reason,
        model: message.model,
        usage: {
          inputTokens: message.usage.input_tokens,
          outputTokens: message.usage.output_tokens,
          cacheReadTokens: message.usage.cache_read_input_tokens ?? 0,
          cacheWriteTokens: message.usage.cache_creation_input_tokens ?? 0,
        },
      };
    } catch (error) {
      throw mapError(error);
    }
  }
}

function mapError(error: unknown): Error {
  if (error instanceof Anthropic.AuthenticationError) return new ModelKeyRejectedError();
  if (
    error instanceof Anthropic.RateLimitError ||
    error instanceof Anthropic.InternalServerError ||
    error instanceof Anthropic.APIConnectionError
  ) {
    const kind =
      error instanceof Anthropic.RateLimitError
        ? "rate limited (429)"
        : error instanceof Anthropic.APIConnectionTimeoutError
          ? "timed out"
          : error instanceof Anthropic.APIConnectionError
            ? "unreachable"
            : `unavailable (${error.status})`;
    return new ModelUnavailableError(`the model API is ${kind}, even after retries`);
  }
  if (error instanceof Anthropic.APIError) {
    // The API's message names the problem (model, parameter) and never contains the key.
    return new ModelRequestError(
      `the model API refused the request (${error.status}): ${error.message}`,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}
