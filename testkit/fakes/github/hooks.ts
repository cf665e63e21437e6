// The app's webhook as GitHub keeps it: its configuration, every delivery the fake sent to the app
// (signed and POSTed like GitHub's), the deliveries list and redelivery. Routes:
//   GET/PATCH /app/hook/config, GET /app/hook/deliveries, POST /app/hook/deliveries/{id}/attempts.
import { notFound } from "./errors.ts";
import { intParam, json, type RouteContext, type RouteTable } from "./server.ts";
import type { FakeState } from "./state.ts";
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

export class HookState {
  config: WebhookConfigRec = { url: null, contentType: "json", secret: null, insecureSsl: "0" };
  /** Oldest first. */
  readonly deliveries: HookDeliveryRec[] = [];
  /** Redeliveries GitHub makes after answering 202, still on their way. */
  readonly inFlight = new Set<Promise<unknown>>();

  /** Sends one event to the configured URL and records the attempt (never throws). */
  async send(
    state: FakeState,
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

function configShape(config: WebhookConfigRec): Record<string, unknown> {
  // The secret is never shown: "********" when one is set
  // (https://docs.github.com/rest/apps/webhooks#get-a-webhook-configuration-for-an-app).
  return {
    content_type: config.contentType,
    insecure_ssl: config.insecureSsl,
    ...(config.url ? { url: config.url } : {}),
    ...(config.secret ? { secret: "********" } : {}),
  };
}

/** A delivery as the list shows it (hook-delivery-item: no request or response). */
function deliveryShape(d: HookDeliveryRec): Record<string, unknown> {
  return {
    id: d.id,
    guid: d.guid,
    delivered_at: d.deliveredAt,
    redelivery: d.redelivery,
    duration: d.duration,
    status: d.status,
    status_code: d.statusCode,
    event: d.event,
    action: d.action,
    installation_id: d.installationId,
    repository_id: d.repositoryId,
    throttled_at: null,
  };
}

/** The page after `cursor`, newest first, with a Link header holding the next page's cursor. */
function listDeliveries(ctx: RouteContext) {
  const { hooks } = ctx.core.state;
  const perPage = Math.min(100, Math.max(1, Number(ctx.query.get("per_page") ?? 30) || 30));
  const cutoff = ctx.core.state.nowMs() - DELIVERY_RETENTION_MS;
  const status = ctx.query.get("status");
  // `status` classifies by status_code: success 200-399, failure 400-599 (so a delivery that got
  // no HTTP answer is in neither): https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook
  const all = [...hooks.deliveries]
    .reverse()
    .filter((d) => Date.parse(d.deliveredAt) >= cutoff)
    .filter(
      (d) =>
        !status ||
        (status === "success" && d.statusCode >= 200 && d.statusCode < 400) ||
        (status === "failure" && d.statusCode >= 400 && d.statusCode < 600),
    );
  // The cursor names the first delivery of its page (an opaque string to clients).
  const cursor = /^v1_(\d+)$/.exec(ctx.query.get("cursor") ?? "")?.[1];
  const start = cursor ? all.findIndex((d) => d.id <= Number(cursor)) : 0;
  const page = start < 0 ? [] : all.slice(start, start + perPage);
  const next = start < 0 ? undefined : all[start + perPage];
  const headers: Record<string, string> = {};
  if (next) {
    const query = new URLSearchParams(ctx.query);
    query.set("per_page", String(perPage));
    query.set("cursor", `v1_${next.id}`);
    headers.link = `<${ctx.core.urls.api}${ctx.path}?${query.toString()}>; rel="next"`;
  }
  return { status: 200, body: page.map(deliveryShape), headers, changed: false };
}

export function registerHookRoutes(r: RouteTable): void {
  r.add("GET /app/hook/config", "jwt", (ctx) =>
    json(200, configShape(ctx.core.state.hooks.config)),
  );
  r.add("PATCH /app/hook/config", "jwt", (ctx) => {
    const config = ctx.core.state.hooks.config;
    const body = (ctx.body ?? {}) as Record<string, unknown>;
    if (typeof body.url === "string") config.url = body.url;
    if (typeof body.content_type === "string") config.contentType = body.content_type;
    if (typeof body.secret === "string") config.secret = body.secret || null;
    if (body.insecure_ssl !== undefined) config.insecureSsl = String(body.insecure_ssl) as "0";
    return json(200, configShape(config));
  });
  // https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook
  r.add("GET /app/hook/deliveries", "jwt", listDeliveries);
  // https://docs.github.com/rest/apps/webhooks#redeliver-a-delivery-for-an-app-webhook: 202, then
  // GitHub delivers the same event (same guid and payload) again as a new attempt.
  r.add("POST /app/hook/deliveries/{delivery_id}/attempts", "jwt", (ctx) => {
    const { state } = ctx.core;
    const id = intParam(ctx, "delivery_id");
    const original = state.hooks.deliveries.find((d) => d.id === id);
    if (!original) throw notFound();
    const sending = state.hooks.send(
      state,
      { id: original.guid, name: original.event, payload: original.payload },
      { redelivery: true },
    );
    state.hooks.inFlight.add(sending);
    void sending.finally(() => state.hooks.inFlight.delete(sending));
    return json(202, {});
  });
}
