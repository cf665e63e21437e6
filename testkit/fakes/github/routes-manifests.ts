// POST /app-manifests/{code}/conversions: the app's setup exchanges the code GitHub gave for
// the registered app's id, key and secrets.
// https://docs.github.com/en/rest/apps/apps#create-a-github-app-from-a-manifest
import { randomBytes } from "node:crypto";
import { notFound } from "./errors.ts";
import type { Manifest } from "./manifests.ts";
import { json, type RouteTable } from "./server.ts";
import type { FakeState } from "./state.ts";

export function registerManifestRoutes(r: RouteTable, privateKey: string): void {
  r.add("POST /app-manifests/{code}/conversions", "none", (ctx) => {
    const { state, shapes } = ctx.core;
    const manifest = state.manifests.take(ctx.params.code ?? "");
    if (!manifest) throw notFound();
    applyManifest(state, manifest);
    const webhookSecret = randomBytes(20).toString("hex");
    state.hooks.config = {
      url: manifest.hook_attributes?.url ?? null,
      contentType: "json",
      secret: webhookSecret,
      insecureSsl: "0",
    };
    return json(201, {
      ...shapes.app(state.app),
      client_id: `Iv1.${state.app.id.toString(16).padStart(16, "0")}`,
      client_secret: randomBytes(20).toString("hex"),
      webhook_secret: webhookSecret,
      pem: privateKey,
    });
  });
}

/** The fake has one app: registering gives it the manifest's name, permissions and events. */
function applyManifest(state: FakeState, manifest: Manifest): void {
  if (manifest.name) state.app.name = manifest.name;
  if (manifest.default_permissions) {
    state.app.permissions = { metadata: "read", ...manifest.default_permissions };
  }
  if (manifest.default_events) state.app.events = [...manifest.default_events];
}
