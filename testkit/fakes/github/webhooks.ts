// Webhook deliveries: the event envelope the fake's user actions return, and signed delivery over
// HTTP (x-hub-signature-256 = "sha256=" + HMAC-SHA256 of the body, like GitHub and
// @octokit/webhooks-methods' `sign`).
import { createHmac, randomUUID } from "node:crypto";
import type { EmitterWebhookEvent, EmitterWebhookEventName } from "@octokit/webhooks";

/** What a user action returns: exactly what `probot.receive()` takes. */
export type FakeWebhook<N extends EmitterWebhookEventName = EmitterWebhookEventName> =
  EmitterWebhookEvent<N>;

export function makeWebhook<N extends EmitterWebhookEventName>(
  name: string,
  payload: Record<string, unknown>,
): FakeWebhook<N> {
  return { id: randomUUID(), name, payload } as unknown as FakeWebhook<N>;
}

/** "sha256=<hex>" for a raw body, as GitHub puts in x-hub-signature-256. */
export function signWebhook(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export interface DeliverOptions {
  /** Where the app listens, e.g. http://127.0.0.1:3000/api/github/webhooks */
  url: string;
  secret: string;
  /** Extra headers (e.g. a wrong signature to test rejection). */
  headers?: Record<string, string>;
}

/** POSTs a webhook signed like GitHub does and returns the app's Response. */
export async function deliver(
  webhook: { id: string; name: string; payload: unknown },
  options: DeliverOptions,
): Promise<Response> {
  const body = JSON.stringify(webhook.payload);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/fake",
    "x-github-event": webhook.name,
    "x-github-delivery": webhook.id,
    "x-github-hook-id": "1",
    "x-hub-signature-256": signWebhook(options.secret, body),
    ...(options.headers ?? {}),
  };
  return fetch(options.url, { method: "POST", headers, body });
}
