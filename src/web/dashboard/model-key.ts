import Anthropic from "@anthropic-ai/sdk";

export type KeyCheck = { ok: true } | { ok: false; message: string };

/** Anthropic keys are printable ASCII without spaces; anything else is a paste mistake. */
export function keyShapeProblem(key: string): string | null {
  if (key.length === 0) return "Paste a key first.";
  if (key.length < 20 || key.length > 300) {
    return "That does not look like a model API key (wrong length).";
  }
  if (!/^[\x21-\x7e]+$/.test(key)) {
    return "That does not look like a model API key (it has spaces or unusual characters).";
  }
  return null;
}

/**
 * Checks a pasted key with one cheap call (listing one model: no tokens, no cost) against the
 * configured API. Messages never contain the key or the API's raw text.
 */
export async function checkModelKey(
  key: string,
  options: { baseURL?: string | undefined; timeoutMs?: number } = {},
): Promise<KeyCheck> {
  const shape = keyShapeProblem(key);
  if (shape) return { ok: false, message: shape };
  const client = new Anthropic({
    apiKey: key,
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    maxRetries: 1,
    timeout: options.timeoutMs ?? 10_000,
  });
  try {
    await client.models.list({ limit: 1 });
    return { ok: true };
  } catch (error) {
    if (error instanceof Anthropic.AuthenticationError) {
      return {
        ok: false,
        message: "The model API rejected this key (401). Check that you copied all of it.",
      };
    }
    if (error instanceof Anthropic.PermissionDeniedError) {
      return {
        ok: false,
        message: "The model API accepted the key but refused access (403): check its workspace.",
      };
    }
    if (error instanceof Anthropic.RateLimitError) {
      return {
        ok: false,
        message: "The model API is rate limiting this key (429). Try again in a minute.",
      };
    }
    if (error instanceof Anthropic.APIConnectionError) {
      return {
        ok: false,
        message: "The model API could not be reached to check the key. Try again shortly.",
      };
    }
    const status = (error as { status?: number }).status;
    return {
      ok: false,
      message: `The model API could not check the key${status ? ` (${status})` : ""}. Try again shortly.`,
    };
  }
}
