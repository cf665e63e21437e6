// The dashboard over HTTP, signed in through the GitHub fake: who sees what, forms and headers.
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Metrics } from "../../src/ops/metrics.ts";
import { type Harness, INSTALLATION_ID, OWNER, REPO, startHarness } from "../../testkit/stack.ts";
import {
  ADMIN,
  Client,
  HTML_TITLE,
  MEMBER,
  OUTSIDER,
  SECOND_REPO,
  type Seeded,
  STRANGER,
  seedFeatures,
  seedGitHub,
  signIn,
} from "./support.ts";

let h: Harness;
let seeded: Seeded;

beforeAll(async () => {
  h = await startHarness({
    worker: false,
    env: { OPERATOR_ORG: OWNER },
    // Many sign-ins from one address here; the limit itself is tested in keys.test.ts.
    dashboard: { rateLimits: { signIn: 1_000 } },
  });
  seedGitHub(h);
  seeded = await seedFeatures(h.db.db);
});
afterAll(async () => h?.stop());

describe("signed out", () => {
  it("shows the sign-in page with the security headers", async () => {
    const response = await new Client(h.appUrl).get("/");
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(html).toContain('href="/login"');
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("referrer-policy")).toBe("same-origin");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
  });

  it("sends a deep link to sign in first, and back there afterwards", async () => {
    const client = new Client(h.appUrl);
    const response = await client.get(`/installations/${INSTALLATION_ID}`);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(
      `/login?next=${encodeURIComponent(`/installations/${INSTALLATION_ID}`)}`,
    );
  });

  it("refuses a callback whose state did not start here", async () => {
    const client = new Client(h.appUrl);
    const start = await client.get("/login");
    const authorize = new URL(start.headers.get("location") ?? "");
    expect(authorize.pathname).toBe("/login/oauth/authorize");
    expect(authorize.searchParams.get("redirect_uri")).toBe(`${h.appUrl}/auth/callback`);
    const cookie = client.cookies.get("bp_oauth");
    expect(cookie).toBeDefined();
    const response = await client.get("/auth/callback?code=whatever&state=forged");
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Sign-in could not be verified");
    expect(client.cookies.has("bp_session")).toBe(false);
  });

  it("says so when the person cancels on GitHub", async () => {
    const client = new Client(h.appUrl);
    await client.get("/login");
    const response = await client.get("/auth/callback?error=access_denied&state=x");
    expect(response.status).toBe(401);
    expect(await response.text()).toContain("You did not authorize the app");
  });
});

describe("signed in", () => {
  it("sets a signed, HttpOnly, SameSite session cookie", async () => {
    const jar = await signIn(h, ADMIN);
    const session = jar.cookies.get("bp_session") ?? "";
    expect(decodeURIComponent(session)).toMatch(/^s:[\w-]+\.[\w+/-]+$/);
    const line = jar.setCookies.find(
      (c) => c.startsWith("bp_session=") && !c.includes("Expires=Thu, 01 Jan 1970"),
    );
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Lax/);
    expect(line).toMatch(/; Path=\//);
    const state = jar.setCookies.find((c) => c.startsWith("bp_oauth=s%3A"));
    expect(state).toMatch(/; Path=\/auth; .*HttpOnly; SameSite=Lax/);
    // A tampered signature is no session.
    const forged = new Client(h.appUrl);
    forged.cookies.set(
      "bp_session",
      session.replace(/.$/, (c) => (c === "A" ? "B" : "A")),
    );
    expect((await forged.page("/")).html).toContain('href="/login"');
    // An unsigned id is no session either.
    const unsigned = new Client(h.appUrl);
    unsigned.cookies.set("bp_session", decodeURIComponent(session).slice(2).split(".")[0] ?? "");
    expect((await unsigned.page("/")).html).toContain('href="/login"');
  });

  it("returns to the page that asked for sign-in, and only to a page of this site", async () => {
    const deep = `/installations/${INSTALLATION_ID}?stage=done`;
    expect((await signIn(h, ADMIN, h.appUrl, deep)).landing).toBe(deep);
    for (const elsewhere of ["//evil.example/x", "https://evil.example/", "/\\evil.example"]) {
      expect((await signIn(h, ADMIN, h.appUrl, elsewhere)).landing).toBe("/");
    }
  });

  it("an org owner sees the installation, its counts and this month's cost", async () => {
    const client = await signIn(h, ADMIN);
    const { status, html } = await client.page("/");
    expect(status).toBe(200);
    expect(html).toContain(`data-installation="${INSTALLATION_ID}"`);
    expect(html).toMatch(/data-testid="in-flight">1</);
    expect(html).toMatch(/data-testid="done">1</);
    expect(html).toMatch(/data-testid="failed">1</);
    expect(html).toContain("$0.44"); // every seeded run: 0.0075+…+0.036
    expect(html).toContain(`/installations/${INSTALLATION_ID}/settings`);
    expect(html).toContain('href="/admin/queues/"');
  });

  it("a user whose token lists no installation sees none", async () => {
    const client = await signIn(h, STRANGER);
    const { html } = await client.page("/");
    expect(html).toContain('id="no-installations"');
    expect(html).not.toContain("data-installation=");
    const other = await client.page(`/installations/${INSTALLATION_ID}`);
    expect(other.status).toBe(404);
    const feature = await client.page(
      `/installations/${INSTALLATION_ID}/features/${seeded.healthId}`,
    );
    expect(feature.status).toBe(404);
  });

  it("an outside collaborator sees only the repository they can read", async () => {
    const client = await signIn(h, OUTSIDER);
    const { html } = await client.page(`/installations/${INSTALLATION_ID}`);
    expect(html).toContain(`data-feature="${seeded.healthId}"`);
    expect(html).toContain(`data-feature="${seeded.darkId}"`);
    expect(html).not.toContain(`data-feature="${seeded.secretId}"`);
    expect(html).not.toContain(SECOND_REPO);
    const hidden = await client.page(
      `/installations/${INSTALLATION_ID}/features/${seeded.secretId}`,
    );
    expect(hidden.status).toBe(404);
    // A filter naming a repository they cannot read shows nothing of it.
    const filtered = await client.page(
      `/installations/${INSTALLATION_ID}?repo=${OWNER}/${SECOND_REPO}`,
    );
    expect(filtered.html).not.toContain(`data-feature="${seeded.secretId}"`);
  });

  it("filters features by repository and stage, escaping what users wrote", async () => {
    const client = await signIn(h, MEMBER);
    const all = await client.page(`/installations/${INSTALLATION_ID}`);
    expect(all.html).toContain(`data-feature="${seeded.secretId}"`);
    expect(all.html).not.toContain(HTML_TITLE);
    expect(all.html).toContain("Dark mode &lt;script&gt;alert(1)&lt;/script&gt;");
    const done = await client.page(`/installations/${INSTALLATION_ID}?stage=done`);
    expect(done.html).toContain(`data-feature="${seeded.darkId}"`);
    expect(done.html).not.toContain(`data-feature="${seeded.healthId}"`);
    const repo = await client.page(`/installations/${INSTALLATION_ID}?repo=${OWNER}/${REPO}`);
    expect(repo.html).toContain(`data-feature="${seeded.healthId}"`);
    expect(repo.html).not.toContain(`data-feature="${seeded.secretId}"`);
  });

  it("shows a feature's timeline, conversation, runs with cost and cache share, and verdicts", async () => {
    await h.db.store.followCommit(seeded.healthId, "c".repeat(40), "code");
    await h.db.store.recordCi(seeded.healthId, "c".repeat(40), "failure", [
      {
        name: "test",
        kind: "check_run",
        id: 7,
        app: "github-actions",
        state: "failure",
        conclusion: "failure",
        url: "javascript:alert(1)",
      },
    ]);
    const client = await signIn(h, MEMBER);
    const { status, html } = await client.page(
      `/installations/${INSTALLATION_ID}/features/${seeded.healthId}`,
    );
    expect(status).toBe(200);
    expect(html).toContain("Add a health endpoint");
    expect(html.match(/<tr class="run">/g)).toHaveLength(8);
    expect(html).toContain('data-testid="total-cost">$0.27<');
    expect(html).toContain("claude-opus-5-5");
    expect(html).toContain("33%"); // ba: 800 cached of 2,400 prompt tokens
    expect(html).toContain("<strong>mona</strong> approved the brief at");
    expect(html).toContain(`/${OWNER}/${REPO}/commit/${"a".repeat(40)}`);
    expect(html).toContain(`/${OWNER}/${REPO}/pull/2`);
    expect(html).toContain(`/${OWNER}/${REPO}/issues/1`);
    expect(html).toContain("Errors are swallowed");
    expect(html).toContain("APPROVE");
    expect(html).toContain("Who calls it? &lt;b&gt;load balancers&lt;/b&gt;?");
    expect(html).toContain("data-poll-url=");
    // CI per commit, with a details link only when it is a web address.
    expect(html).toMatch(/🔴 <strong>Code<\/strong> <span class="mono">ccccccc<\/span>: red: test/);
    expect(html).not.toContain("javascript:alert");
    const poll = await client.get(
      `/installations/${INSTALLATION_ID}/features/${seeded.healthId}/version`,
    );
    expect(await poll.json()).toMatchObject({ stage: "reviewing", working: true });
  });

  it("a member without admin gets a 403 page for settings, not a crash", async () => {
    const client = await signIn(h, MEMBER);
    const page = await client.page(`/installations/${INSTALLATION_ID}/settings`);
    expect(page.status).toBe(403);
    expect(page.html).toContain("Admins only");
    expect(page.html).toContain("owners of the octo-org organisation");
    const csrf = await client.csrf();
    const post = await client.post(`/installations/${INSTALLATION_ID}/settings/key/delete`, {
      _csrf: csrf,
    });
    expect(post.status).toBe(403);
  });

  it("refuses a POST without the CSRF token, or with another session's", async () => {
    const admin = await signIn(h, ADMIN);
    const other = await signIn(h, MEMBER);
    const path = `/installations/${INSTALLATION_ID}/settings`;
    const missing = await admin.post(path, { budget_monthly_usd: "5" });
    expect(missing.status).toBe(403);
    expect(await missing.text()).toContain("Form refused");
    const foreign = await admin.post(path, { _csrf: await other.csrf(), budget_monthly_usd: "5" });
    expect(foreign.status).toBe(403);
    const signedOut = await new Client(h.appUrl).post("/logout", { _csrf: "x" });
    expect(signedOut.status).toBe(403);
    const row = await h.db.store.findInstallation(INSTALLATION_ID);
    expect(row?.settings).toEqual({});
  });

  it("saves models and budgets, and reports bad values", async () => {
    const client = await signIn(h, ADMIN);
    const path = `/installations/${INSTALLATION_ID}/settings`;
    const csrf = await client.csrf(path);
    const bad = await client.post(path, {
      _csrf: csrf,
      max_tokens_spec: "12",
      budget_feature_usd: "-1",
    });
    expect(bad.status).toBe(422);
    const text = await bad.text();
    expect(text).toContain("spec max tokens");
    expect(text).toContain("per-feature budget");
    const good = await client.post(path, {
      _csrf: csrf,
      model_implement: "claude-opus-5-5",
      max_tokens_implement: "32000",
      budget_monthly_usd: "50",
      budget_feature_usd: "5",
    });
    expect(good.status).toBe(303);
    const row = await h.db.store.findInstallation(INSTALLATION_ID);
    expect(row?.settings).toEqual({
      models: { implement: { model: "claude-opus-5-5", max_tokens: 32000 } },
      budget_monthly_usd: 50,
      budget_feature_usd: 5,
    });
    const overview = await client.page("/");
    expect(overview.html).toContain("of $50.00");
  });

  it("the queue board is for admins of the operator's organisation only", async () => {
    const admin = await signIn(h, ADMIN);
    const board = await admin.page("/admin/queues/");
    expect(board.status).toBe(200);
    expect(board.html).toContain("__UI_CONFIG__");
    const api = await admin.get("/admin/queues/api/queues");
    expect(api.status).toBe(200);
    expect(JSON.stringify(await api.json())).toContain("pipeline");
    const cross = await admin.request("/admin/queues/api/queues/pipeline/clean/failed", {
      method: "PUT",
      headers: { origin: "https://evil.example" },
    });
    expect(cross.status).toBe(403);
    const member = await signIn(h, MEMBER);
    expect((await member.get("/admin/queues/")).status).toBe(403);
    expect((await member.get("/admin/queues/api/queues")).status).toBe(403);
  });

  it("a workers-only process serves its metrics on a port of its own", async () => {
    const metrics = new Metrics({ store: h.db.store, queues: [], defaultMetrics: false });
    metrics.observeJob({ queue: "pipeline", name: "agent", outcome: "completed", seconds: 1.5 });
    const server = await metrics.listen(0, "127.0.0.1", "a-token-of-sixteen-chars");
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      const response = await fetch(`${url}/metrics`, {
        headers: { authorization: "Bearer a-token-of-sixteen-chars" },
      });
      const text = await response.text();
      expect(text).toContain(
        'practical_jobs_total{queue="pipeline",name="agent",outcome="completed"} 1',
      );
      expect(text).toContain('practical_features{stage="reviewing"} 1');
      expect((await fetch(`${url}/elsewhere`)).status).toBe(404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("signs out", async () => {
    const client = await signIn(h, ADMIN);
    const csrf = await client.csrf();
    const response = await client.post("/logout", { _csrf: csrf });
    expect(response.status).toBe(303);
    expect(client.cookies.has("bp_session")).toBe(false);
    expect((await client.page("/")).html).toContain('href="/login"');
  });
});
