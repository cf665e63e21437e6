// The app's webhook as GitHub keeps it: its configuration, every delivery the fake sent to the app
// (signed and POSTed like GitHub's); its routes are in routes-hooks.ts.
import { signWebhook } from "./webhooks.ts";

export interface WebhookConfigRec {
  url: string | null;
  /** "json" or "form" (GitHub's default for a new hook is form; app registrations use json). */
  contentType: string;
  secret: string | null;
  insecureSsl: "0" | "1";
}

/** One attempt to deliver an event, as GitHub records it. */
export interface HookDeliveryRec {
  id: number;
  guid: string;
  event: string;
  action: string | null;
  installationId: number | null;
  repositoryId: number | null;
  deliveredAt: string;
  /** Seconds spent delivering. */
  duration: number;
  /** "OK" for a 2xx; otherwise what went wrong ("failed to connect", "Invalid HTTP Response: 503"). */
  status: string;
  /** The app's HTTP status; 0 when there was no HTTP answer (refused, timed out). */
  statusCode: number;
  redelivery: boolean;
  payload: Record<string, unknown>;
}

/**
 * GitHub keeps deliveries for 3 days on github.com ("You can redeliver webhook deliveries that
 * occurred in the past 3 days":
 * https://docs.github.com/webhooks/testing-and-troubleshooting-webhooks/redelivering-webhooks).
 */
export const DELIVERY_RETENTION_MS = 3 * 24 * 3600 * 1000;

/**
 * GitHub records a delivery as failed when the server is down or takes longer than 10 seconds
 * (https://docs.github.com/en/webhooks/using-webhooks/handling-failed-webhook-deliveries).
 */
const DELIVERY_TIMEOUT_MS = 10_000;

/** What sending needs of the fake's state (kept structural: the state holds a HookState). */
interface SenderState {
  nextId(): number;
  now(): string;
  app: { id: number };
}

export class HookState {
  config: WebhookConfigRec = { url: null, contentType: "json", secret: null, insecureSsl: "0" };
  /** Oldest first. */
  readonly deliveries: HookDeliveryRec[] = [];
  /** Redeliveries GitHub makes after answering 202, still on their way. */
  readonly inFlight = new Set<Promise<unknown>>();

  /** Sends one event to the configured URL and records the attempt (never throws). */
  async send(
    state: SenderState,
    webhook: { id: string; name: string; payload: unknown },
    options: { redelivery?: boolean; headers?: Record<string, string> } = {},
  ): Promise<HookDeliveryRec> {
    const payload = webhook.payload as Record<string, unknown>;
    const record: HookDeliveryRec = {
      id: state.nextId(),
      guid: webhook.id,
      event: webhook.name,
      action: typeof payload.action === "string" ? payload.action : null,
      installationId: (payload.installation as { id?: number } | undefined)?.id ?? null,
      repositoryId: (payload.repository as { id?: number } | undefined)?.id ?? null,
      deliveredAt: state.now(),
      duration: 0,
      status: "OK",
      statusCode: 200,
      redelivery: options.redelivery ?? false,
      payload,
    };
    const started = performance.now();
    const { url, contentType, secret } = this.config;
    if (!url) {
      record.status = "No webhook URL configured";
      record.statusCode = 0;
    } else {
      const json = JSON.stringify(payload);
      // A form hook sends the JSON as the `payload` field (and signs that body).
      const body =
        contentType === "form" ? new URLSearchParams({ payload: json }).toString() : json;
      const headers: Record<string, string> = {
        "content-type":
          contentType === "form" ? "application/x-www-form-urlencoded" : "application/json",
        "user-agent": "GitHub-Hookshot/fake",
        "x-github-event": webhook.name,
        "x-github-delivery": webhook.id,
        "x-github-hook-id": "1",
        "x-github-hook-installation-target-type": "integration",
        "x-github-hook-installation-target-id": String(state.app.id),
        ...(secret ? { "x-hub-signature-256": signWebhook(secret, body) } : {}),
        ...(options.headers ?? {}),
      };
      try {
        const response = await fetch(url, {
          method: "POST",
          headers,
          body,
          signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        });
        await response.arrayBuffer().catch(() => undefined);
        record.statusCode = response.status;
        record.status = response.ok ? "OK" : `Invalid HTTP Response: ${response.status}`;
      } catch (error) {
        record.statusCode = 0;
        record.status =
          (error as Error).name === "TimeoutError" ? "timed out" : "failed to connect";
      }
    }
    record.duration = Math.round(performance.now() - started) / 1000;
    this.deliveries.push(record);
    return record;
  }
}
