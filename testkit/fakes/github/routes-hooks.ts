// The app's webhook routes: GET/PATCH /app/hook/config, GET /app/hook/deliveries,
// POST /app/hook/deliveries/{id}/attempts.
import { notFound } from "./errors.ts";
import { DELIVERY_RETENTION_MS, type HookDeliveryRec, type WebhookConfigRec } from "./hooks.ts";
import { intParam, json, type RouteContext, type RouteTable } from "./server.ts";

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
