import { describe, expect, it } from "vitest";
import { safeUrl } from "../../../src/ops/doctor/check.ts";
import {
  checkClock,
  checkInstallationGrants,
  checkWebhookConfig,
  readManifest,
} from "../../../src/ops/doctor/github.ts";
import { formatReport } from "../../../src/ops/doctor/index.ts";
import { checkMigrations, checkRedisPolicy } from "../../../src/ops/doctor/services.ts";

const NOW = Date.parse("2026-05-10T12:00:00Z");
const hook = {
  url: "https://practical.example.com/api/github/webhooks",
  content_type: "json",
  secret: "********",
  insecure_ssl: "0",
};

describe("doctor checks", () => {
  it("clock: within 30 s of GitHub's Date header, else ✗ (JWTs are rejected)", () => {
    expect(checkClock(new Date(NOW - 5_000).toUTCString(), NOW)).toMatchObject({
      ok: true,
      detail: "within 30 s of GitHub's (5 s ahead of GitHub's)",
    });
    expect(checkClock(new Date(NOW + 45_000).toUTCString(), NOW)).toMatchObject({
      ok: false,
      detail: "this machine's clock is 45 s behind GitHub's: GitHub rejects the App's JWTs",
    });
    expect(checkClock(new Date(NOW - 120_000).toUTCString(), NOW).ok).toBe(false);
    expect(checkClock(undefined, NOW).ok).toBe(false);
  });

  it("webhook: an https URL on the webhook path, json, a secret, SSL verified", () => {
    expect(checkWebhookConfig(hook).ok).toBe(true);
    expect(
      checkWebhookConfig({ ...hook, url: "http://practical.example.com/api/github/webhooks" }),
    ).toMatchObject({ ok: false, detail: expect.stringContaining("is not https") });
    expect(checkWebhookConfig({ ...hook, url: undefined }).detail).toBe("no webhook URL is set");
    const unsafe = checkWebhookConfig({ ...hook, insecure_ssl: "1", secret: null });
    expect(unsafe.detail).toContain("no webhook secret is set");
    expect(unsafe.detail).toContain("SSL verification of deliveries is off");
    // The bare address is what Probot's setup registers; the web role takes deliveries there.
    expect(checkWebhookConfig({ ...hook, url: "https://x.example.com/" }).ok).toBe(true);
    expect(
      checkWebhookConfig(
        { ...hook, url: "https://x.example.com/hooks" },
        { publicUrl: "https://x.example.com" },
      ).fix,
    ).toContain("https://x.example.com/api/github/webhooks");
  });

  it("webhook on a laptop: the smee channel must be WEBHOOK_PROXY_URL", () => {
    const smee = { ...hook, url: "https://smee.io/AbC123" };
    expect(checkWebhookConfig(smee, { proxyUrl: "https://smee.io/AbC123" }).ok).toBe(true);
    expect(checkWebhookConfig(smee).detail).toContain("WEBHOOK_PROXY_URL is not set");
    expect(checkWebhookConfig(smee, { proxyUrl: "https://smee.io/other" }).detail).toContain(
      "not to WEBHOOK_PROXY_URL",
    );
  });

  it("installations: each permission at least at app.yml's level, every event, not suspended", () => {
    const manifest = { permissions: { issues: "write", metadata: "read" }, events: ["issues"] };
    const installation = {
      id: 1,
      account: { login: "acme" },
      permissions: { issues: "admin", metadata: "read" },
      events: ["issues", "push"],
      html_url: "https://github.com/organizations/acme/settings/installations/1",
    };
    expect(checkInstallationGrants([installation], manifest).ok).toBe(true);
    expect(checkInstallationGrants([], manifest)).toMatchObject({ ok: true });
    const lagging = checkInstallationGrants(
      [installation, { ...installation, id: 2, permissions: { metadata: "read" }, events: [] }],
      manifest,
    );
    expect(lagging.detail).toBe(
      "acme (2) lacks issues: write, events issues: it has not accepted what app.yml asks",
    );
    expect(lagging.fix).toContain(installation.html_url);
    expect(
      checkInstallationGrants([{ ...installation, suspended_at: "2026-05-01T00:00:00Z" }], manifest)
        .detail,
    ).toContain("acme (1) is suspended");
  });

  it("app.yml is what the installations are compared with", async () => {
    const manifest = await readManifest();
    expect(manifest.permissions).toMatchObject({ issues: "write", actions: "read" });
    expect(manifest.permissions).not.toHaveProperty("workflows");
    expect(manifest.events).toContain("issue_comment");
  });

  it("Redis: only noeviction keeps BullMQ's keys", () => {
    expect(checkRedisPolicy("noeviction").ok).toBe(true);
    expect(checkRedisPolicy("allkeys-lru")).toMatchObject({
      ok: false,
      detail: "maxmemory-policy is allkeys-lru: Redis may evict BullMQ's keys and lose jobs",
    });
    expect(checkRedisPolicy(null).ok).toBe(false);
  });

  it("migrations: every file applied, and none the code does not know", () => {
    expect(checkMigrations(["0001", "0002"], ["0001", "0002"]).ok).toBe(true);
    expect(checkMigrations(["0001"], ["0001", "0002"]).detail).toBe(
      "1 of 2 migration(s) not applied (0002)",
    );
    expect(checkMigrations(["0001", "0009"], ["0001"]).detail).toContain("(0009)");
  });

  it("never shows a URL's credentials", () => {
    expect(safeUrl("postgres://app:s3cret@db.internal:5432/practical")).toBe(
      "postgres://db.internal:5432/practical",
    );
    expect(safeUrl("rediss://:pw@cache:6380")).toBe("rediss://cache:6380");
  });

  it("prints one table, the fix under each ✗", () => {
    const text = formatReport([
      { name: "Configuration", ok: true, detail: "App 1" },
      { name: "Redis", ok: false, detail: "maxmemory-policy is allkeys-lru", fix: "Set it." },
    ]);
    expect(text).toBe(
      "✓ Configuration  App 1\n✗ Redis          maxmemory-policy is allkeys-lru\n                 → Set it.\n\n1 check(s) failed.\n",
    );
  });
});
