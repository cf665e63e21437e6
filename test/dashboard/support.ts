// A seeded scenario for the dashboard tests (written straight to the store, not by driving the
// pipeline) and a small cookie-keeping HTTP client that signs in through the GitHub fake's pages.
import type { Db } from "../../src/adapters/store/database.ts";
import { type Harness, INSTALLATION_ID, OWNER, REPO } from "../../testkit/stack.ts";

export const SECOND_REPO = "private-app";
export const ADMIN = "alice"; // an owner of the organisation
export const MEMBER = "bob"; // a member: reads every repository, administers nothing
export const OUTSIDER = "dave"; // an outside collaborator who reads hello-app only
export const STRANGER = "carol"; // no access to anything
export const HTML_TITLE = "Dark mode <script>alert(1)</script>";

const sha = (c: string) => c.repeat(40);

export interface Seeded {
  healthId: number;
  darkId: number;
  secretId: number;
}

/** GitHub side: an organisation installation with two repositories and four kinds of user. */
export function seedGitHub(h: Harness): void {
  h.github.addInstallation({ id: INSTALLATION_ID, account: OWNER, accountType: "Organization" });
  h.github.addRepo({ installationId: INSTALLATION_ID, owner: OWNER, name: SECOND_REPO });
  h.github.grantAppPermission("members", "read");
  h.github.setOrgRole(OWNER, ADMIN, "admin");
  h.github.setOrgRole(OWNER, MEMBER, "member");
  h.github.setPermission(OWNER, REPO, OUTSIDER, "read");
  h.github.addUser(STRANGER);
  h.github.addCallbackUrl(`${h.appUrl}/auth/callback`);
}

/**
 * Database side: two features in hello-app (one reviewing, one done) and, unless left out, a
 * failed one in private-app.
 */
export async function seedFeatures(
  db: Db,
  options: { privateRepoFeature?: boolean } = {},
): Promise<Seeded> {
  await db
    .insertInto("installations")
    .values({
      id: INSTALLATION_ID,
      account_login: OWNER,
      account_type: "Organization",
      settings: "{}",
    })
    .onConflict((oc) => oc.column("id").doUpdateSet({ account_type: "Organization" }))
    .execute();
  const hour = (n: number) => new Date(Date.now() - (24 - n) * 3600_000);
  const insertFeature = async (values: {
    repo: string;
    issue: number;
    title: string;
    stage: string;
    branch?: string;
    pr?: number;
    failure?: string;
    approvals?: Record<string, string>;
  }) => {
    const row = await db
      .insertInto("features")
      .values({
        installation_id: INSTALLATION_ID,
        repo_owner: OWNER,
        repo_name: values.repo,
        issue_number: values.issue,
        issue_title: values.title,
        issue_author: "mona",
        slug: values.title
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, "-")
          .slice(0, 30),
        branch: values.branch ?? null,
        pr_number: values.pr ?? null,
        stage: values.stage,
        version: 7,
        failure_reason: values.failure ?? null,
        artifacts: JSON.stringify(values.approvals ?? {}),
        approvals: JSON.stringify(values.approvals ?? {}),
        created_at: hour(0),
        updated_at: hour(10),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return row.id;
  };

  const approvals = { brief: sha("a"), spec: sha("b"), plan: sha("c"), tests: sha("d") };
  const healthId = await insertFeature({
    repo: REPO,
    issue: 1,
    title: "Add a health endpoint",
    stage: "reviewing",
    branch: "practical/1-add-a-health-endpoint",
    pr: 2,
    approvals,
  });
  const darkId = await insertFeature({
    repo: REPO,
    issue: 3,
    title: HTML_TITLE,
    stage: "done",
    pr: 4,
  });
  const secretId =
    options.privateRepoFeature === false
      ? -1
      : await insertFeature({
          repo: SECOND_REPO,
          issue: 1,
          title: "Rotate the secret sauce",
          stage: "failed",
          failure: "the implement agent's output did not match its schema",
        });

  const stages: [string, string, string, string][] = [
    ["mona", "approve", "drafting", "spec_generating"],
    ["build-practical", "agent_finished", "spec_generating", "spec_ready"],
    ["mona", "approve", "spec_ready", "plan_generating"],
    ["build-practical", "agent_finished", "plan_generating", "plan_ready"],
    ["mona", "approve", "plan_ready", "tests_generating"],
    ["build-practical", "agent_finished", "tests_generating", "tests_ready"],
    ["mona", "approve", "tests_ready", "implementing"],
    ["build-practical", "agent_finished", "implementing", "reviewing"],
  ];
  await db
    .insertInto("feature_events")
    .values(
      stages.map(([actor, event, from, to], i) => ({
        feature_id: healthId,
        actor,
        event,
        from_stage: from,
        to_stage: to,
        detail: JSON.stringify(
          event === "approve" ? { gate: ["brief", "spec", "plan", "tests"][i / 2] } : {},
        ),
        created_at: hour(1 + i),
      })),
    )
    .execute();
  await db
    .insertInto("approvals")
    .values(
      Object.entries(approvals).map(([gate, version], i) => ({
        feature_id: healthId,
        gate,
        approver: "mona",
        artifact_version: version,
        created_at: hour(1 + 2 * i),
      })),
    )
    .execute();
  await db
    .insertInto("messages")
    .values([
      {
        feature_id: healthId,
        github_comment_id: 9001,
        role: "user",
        author: "mona",
        body: "We need /health.",
      },
      {
        feature_id: healthId,
        github_comment_id: 9002,
        role: "assistant",
        author: "build-practical[bot]",
        body: "Who calls it? <b>load balancers</b>?",
      },
      {
        feature_id: healthId,
        github_comment_id: 9003,
        role: "user",
        author: "mona",
        body: "Load balancers.",
      },
    ])
    .execute();

  const run = (
    featureId: number,
    agent: string,
    usage: [number, number, number, number],
    cost: number,
    detail: Record<string, unknown> = {},
    outcome = "ok",
  ) => ({
    feature_id: featureId,
    installation_id: INSTALLATION_ID,
    agent,
    model: agent === "implement" ? "claude-opus-5-5" : "claude-sonnet-5-5",
    job_id: `f${featureId}-a-${agent}-1`,
    input_tokens: usage[0],
    output_tokens: usage[1],
    cache_read_tokens: usage[2],
    cache_write_tokens: usage[3],
    cost_usd: cost,
    duration_ms: 4_200,
    stop_reason: "tool_use",
    outcome,
    error: outcome === "ok" ? null : "schema mismatch",
    detail: JSON.stringify(detail),
  });
  await db
    .insertInto("agent_runs")
    .values([
      run(healthId, "ba", [1_200, 300, 800, 400], 0.0075),
      run(healthId, "spec", [2_000, 1_500, 1_600, 0], 0.0194),
      run(healthId, "plan", [2_400, 1_100, 1_600, 0], 0.0162),
      run(healthId, "tests", [3_000, 2_200, 1_600, 0], 0.0283),
      run(healthId, "implement", [9_000, 6_000, 4_000, 0], 0.1576),
      run(healthId, "security_review", [5_000, 700, 4_000, 0], 0.0178, {
        review: "security_review",
        verdict: "pass",
        summary: "No injection or access-control issue found.",
        findings: [],
      }),
      run(healthId, "code_review", [5_000, 900, 4_000, 0], 0.0198, {
        review: "code_review",
        verdict: "fail",
        summary: "The handler swallows errors.",
        findings: [
          { severity: "high", title: "Errors are swallowed", path: "src/health.ts", line: 12 },
        ],
      }),
      run(healthId, "alignment_review", [1_000, 200, 800, 0], 0.0042, {
        gate: "tests",
        recommendation: "APPROVE",
        reasons: ["Covers every acceptance criterion."],
        summary: "Aligned.",
      }),
      run(darkId, "ba", [900, 250, 0, 600], 0.0058),
      run(darkId, "implement", [7_000, 5_000, 2_000, 0], 0.1288),
      ...(secretId > 0
        ? [run(secretId, "implement", [4_000, 1_000, 0, 0], 0.036, {}, "invalid_output")]
        : []),
    ])
    .execute();
  return { healthId, darkId, secretId };
}

/** A browser without the browser: keeps cookies, follows nothing on its own. */
export class Client {
  readonly cookies = new Map<string, string>();
  /** Every Set-Cookie line received, attributes and all. */
  readonly setCookies: string[] = [];
  /** Where signing in sent the browser in the end. */
  landing: string | null = null;
  readonly base: string;

  constructor(base: string) {
    this.base = base;
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url, this.base);
    const headers = new Headers(init.headers);
    // Cookies are per host, not per port: the app and the fake share 127.0.0.1, as in a browser.
    if (this.cookies.size) {
      headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    const response = await fetch(target, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      this.setCookies.push(line);
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some(
        (a) =>
          /^\s*max-age=0\s*$/i.test(a) ||
          (/^\s*expires=/i.test(a) && new Date(a.split("=")[1] ?? "").getTime() < Date.now()),
      );
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  get(url: string): Promise<Response> {
    return this.request(url);
  }

  post(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
    return this.request(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** GET a page and return its text (any status). */
  async page(url: string): Promise<{ status: number; html: string; response: Response }> {
    const response = await this.get(url);
    return { status: response.status, html: await response.text(), response };
  }

  /** The CSRF token a page's forms carry. */
  async csrf(url = "/"): Promise<string> {
    const { html } = await this.page(url);
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!token) throw new Error(`no CSRF token on ${url}`);
    return token;
  }
}

/** Signs in as `login` through /login → the fake's consent page → /auth/callback. */
export async function signIn(
  h: Harness,
  login: string,
  appUrl = h.appUrl,
  next?: string,
): Promise<Client> {
  const client = new Client(appUrl);
  const start = await client.get(next ? `/login?next=${encodeURIComponent(next)}` : "/login");
  if (start.status !== 302) throw new Error(`/login answered ${start.status}`);
  const authorize = new URL(start.headers.get("location") ?? "");
  const consent = await client.get(authorize.toString());
  if (consent.status !== 200) throw new Error(`the consent page answered ${consent.status}`);
  const decision = await client.post(`${authorize.origin}/login/oauth/authorize`, {
    client_id: authorize.searchParams.get("client_id") ?? "",
    redirect_uri: authorize.searchParams.get("redirect_uri") ?? "",
    state: authorize.searchParams.get("state") ?? "",
    login,
    authorize: "1",
  });
  const callback = decision.headers.get("location");
  if (decision.status !== 302 || !callback) throw new Error(`consent answered ${decision.status}`);
  const done = await client.get(callback);
  if (done.status !== 303) {
    throw new Error(`the callback answered ${done.status}: ${await done.text()}`);
  }
  client.landing = done.headers.get("location");
  return client;
}
