// `npm run doctor` against the fakes, real PostgreSQL and Redis: a healthy set-up passes every
// check; each thing an operator gets wrong fails its own check with a fix.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { connect } from "node:net";
import { promisify } from "node:util";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Check, runDoctor } from "../../src/ops/doctor/index.ts";
import { projectPath } from "../../src/project-root.ts";
import { type GitHubFakeServer, startGitHubFake } from "../../testkit/fakes/github/index.ts";
import { type ModelFake, startModelFake } from "../../testkit/fakes/model/index.ts";
import {
  ADMIN_DATABASE_URL,
  createTestDatabase,
  freePort,
  REDIS_URL,
  type TestDatabase,
  waitFor,
} from "../../testkit/services.ts";

const INSTALLATION_ID = 77;
const WEBHOOK_SECRET = `whsec-${randomBytes(16).toString("hex")}`;
const MODEL_KEY = `sk-ant-api03-doctor-${randomBytes(12).toString("hex")}`;
const ENCRYPTION_KEY = randomBytes(32).toString("hex");
const HEALTHY_HOOK = {
  url: "https://practical.example.com/api/github/webhooks",
  secret: WEBHOOK_SECRET,
  contentType: "json",
  insecureSsl: "0" as const,
};

let github: GitHubFakeServer;
let model: ModelFake;
let db: TestDatabase;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  github = await startGitHubFake();
  // What app.yml asks beyond the fake's defaults.
  github.grantAppPermission("actions", "read");
  github.grantAppPermission("members", "read");
  github.addInstallation({ id: INSTALLATION_ID, account: "octo-org", accountType: "Organization" });
  model = await startModelFake({ validKeys: [MODEL_KEY] });
  db = await createTestDatabase();
  env = {
    PATH: process.env.PATH,
    APP_ID: String(github.appId),
    PRIVATE_KEY: github.privateKey,
    WEBHOOK_SECRET,
    ENCRYPTION_KEY,
    DATABASE_URL: db.url,
    REDIS_URL,
    ANTHROPIC_API_KEY: MODEL_KEY,
    ANTHROPIC_BASE_URL: model.url,
    GHE_HOST: github.host,
    GHE_PROTOCOL: "http",
  };
});
afterEach(() => {
  github.setWebhookConfig(HEALTHY_HOOK);
});
afterAll(async () => {
  await github?.close();
  await model?.close();
  await db?.drop();
});

const byName = (checks: Check[], name: string) => {
  const check = checks.find((c) => c.name === name);
  if (!check) throw new Error(`no check named ${name}: ${checks.map((c) => c.name).join(", ")}`);
  return check;
};

describe("npm run doctor", () => {
  it("a healthy set-up: every check ✓, exit 0, no secret printed", async () => {
    github.setWebhookConfig(HEALTHY_HOOK);
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, [projectPath("scripts/doctor.ts")], {
      env,
      cwd: projectPath(),
    });
    expect(stdout).toContain("All checks passed.");
    for (const name of [
      "Configuration",
      "GitHub App credentials",
      "Clock",
      "Webhook configuration",
      "Installations",
      "PostgreSQL",
      "Redis",
      "Model key",
    ]) {
      expect(stdout).toMatch(new RegExp(`✓ ${name}`));
    }
    expect(stdout).not.toContain("✗");
    for (const secret of [WEBHOOK_SECRET, MODEL_KEY, ENCRYPTION_KEY, "PRIVATE KEY"]) {
      expect(stdout).not.toContain(secret);
    }
  });

  it("a failed check: exit 1, the fix printed under it", async () => {
    github.setWebhookConfig({ ...HEALTHY_HOOK, secret: null });
    const child = spawn(process.execPath, [projectPath("scripts/doctor.ts")], {
      env,
      cwd: projectPath(),
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const code = await new Promise((resolve) => child.once("exit", resolve));
    expect(code).toBe(1);
    expect(stdout).toMatch(/✗ Webhook configuration +no webhook secret is set/);
    expect(stdout).toContain("→ On GitHub, the App's settings");
    expect(stdout).toContain("1 check(s) failed.");
  });

  it("a configuration that does not parse: the friendly error, and nothing else is tried", async () => {
    const { WEBHOOK_SECRET: _, ...withoutSecret } = env;
    const checks = await runDoctor({ ...withoutSecret, ENCRYPTION_KEY: "short" });
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ name: "Configuration", ok: false });
    expect(checks[0]?.detail).toContain("WEBHOOK_SECRET: is required");
    expect(checks[0]?.detail).toContain("ENCRYPTION_KEY: must be 32 bytes");
    expect(checks[0]?.detail).not.toContain("short");
  });

  it("a private key of another App, or a wrong App id: the credentials are refused", async () => {
    const other = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    }).privateKey;
    const wrongKey = byName(
      await runDoctor({ ...env, PRIVATE_KEY: other }),
      "GitHub App credentials",
    );
    expect(wrongKey.ok).toBe(false);
    expect(wrongKey.detail).toMatch(/GitHub refused the App's JWT \(401/);
    expect(wrongKey.fix).toMatch(/APP_ID .*PRIVATE_KEY/);

    const wrongId = await runDoctor({ ...env, APP_ID: String(github.appId + 1) });
    expect(byName(wrongId, "GitHub App credentials").detail).toContain("Integration not found");
    // Asked as the App: nothing else about GitHub can be told.
    expect(wrongId.map((c) => c.name)).not.toContain("Webhook configuration");
    expect(byName(wrongId, "Clock").ok).toBe(true);
  });

  it("a webhook without a secret, or with the form content type", async () => {
    github.setWebhookConfig({ ...HEALTHY_HOOK, secret: null });
    const noSecret = byName(await runDoctor(env), "Webhook configuration");
    expect(noSecret).toMatchObject({ ok: false });
    expect(noSecret.detail).toContain("no webhook secret is set");
    expect(noSecret.fix).toContain("WEBHOOK_SECRET");

    github.setWebhookConfig({ ...HEALTHY_HOOK, contentType: "form" });
    const form = byName(await runDoctor(env), "Webhook configuration");
    expect(form.detail).toContain("the content type is form, not json");

    github.setWebhookConfig({ ...HEALTHY_HOOK, url: "https://practical.example.com/hooks" });
    const barePath = byName(await runDoctor(env), "Webhook configuration");
    expect(barePath.detail).toContain("receives webhooks at /api/github/webhooks");
  });

  it("an installation that has not accepted a permission app.yml asks for is named", async () => {
    github.setInstallationGrants(INSTALLATION_ID, {
      permissions: {
        checks: "write",
        contents: "write",
        issues: "write",
        metadata: "read",
        pull_requests: "read",
        statuses: "read",
        members: "read",
      },
      events: ["check_run", "check_suite", "issue_comment", "issues", "pull_request", "status"],
    });
    try {
      const check = byName(await runDoctor(env), "Installations");
      expect(check.ok).toBe(false);
      expect(check.detail).toContain(
        `octo-org (${INSTALLATION_ID}) lacks pull_requests: write (has read), actions: read, events pull_request_review`,
      );
      expect(check.fix).toContain(`/settings/installations/${INSTALLATION_ID}`);
    } finally {
      github.setInstallationGrants(INSTALLATION_ID, {
        permissions: {
          checks: "write",
          contents: "write",
          issues: "write",
          metadata: "read",
          pull_requests: "write",
          actions: "read",
          statuses: "read",
          members: "read",
        },
        events: [
          "check_run",
          "check_suite",
          "issue_comment",
          "issues",
          "pull_request",
          "pull_request_review",
          "status",
        ],
      });
    }
  });

  it("an unmigrated database: the migrations not applied are named", async () => {
    const name = `bp_doctor_${randomBytes(5).toString("hex")}`;
    const admin = new Kysely<unknown>({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: ADMIN_DATABASE_URL, max: 1 }),
      }),
    });
    await sql.raw(`CREATE DATABASE ${name}`).execute(admin);
    try {
      const url = new URL(ADMIN_DATABASE_URL);
      url.pathname = `/${name}`;
      const check = byName(await runDoctor({ ...env, DATABASE_URL: url.toString() }), "PostgreSQL");
      expect(check.ok).toBe(false);
      const files = readdirSync(projectPath("migrations")).filter((f) => f.endsWith(".sql"));
      expect(check.detail).toMatch(
        new RegExp(
          `^${files.length} of ${files.length} migration\\(s\\) not applied \\(0001_init, `,
        ),
      );
      expect(check.fix).toContain("npm run migrate");
    } finally {
      await sql.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).execute(admin);
      await admin.destroy();
    }
  });

  it("a Redis that may evict keys", async () => {
    const port = await freePort();
    const redis: ChildProcess = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--maxmemory-policy",
        "allkeys-lru",
      ],
      { stdio: "ignore" },
    );
    try {
      await waitFor(
        "the throwaway Redis",
        () =>
          new Promise<boolean>((resolve) => {
            const socket = connect(port, "127.0.0.1", () => {
              socket.end();
              resolve(true);
            });
            socket.on("error", () => resolve(false));
          }),
        10_000,
      );
      const check = byName(
        await runDoctor({ ...env, REDIS_URL: `redis://127.0.0.1:${port}` }),
        "Redis",
      );
      expect(check).toMatchObject({ ok: false });
      expect(check.detail).toContain("maxmemory-policy is allkeys-lru");
      expect(check.fix).toContain("noeviction");
    } finally {
      redis.kill("SIGKILL");
    }
  });

  it("a model key the API rejects", async () => {
    const check = byName(
      await runDoctor({ ...env, ANTHROPIC_API_KEY: `sk-ant-api03-revoked-${"x".repeat(20)}` }),
      "Model key",
    );
    expect(check).toMatchObject({ ok: false, detail: "the model key was rejected (401)" });
  });

  it("PostgreSQL and Redis that do not answer", async () => {
    const port = await freePort();
    const checks = await runDoctor({
      ...env,
      DATABASE_URL: `postgres://postgres:hunter2@127.0.0.1:${port}/x`,
      REDIS_URL: `redis://127.0.0.1:${port}`,
    });
    expect(byName(checks, "PostgreSQL")).toMatchObject({ ok: false });
    expect(byName(checks, "PostgreSQL").detail).toContain(`postgres://127.0.0.1:${port}/x`);
    expect(byName(checks, "Redis")).toMatchObject({ ok: false });
    expect(JSON.stringify(checks)).not.toContain("hunter2");
  });
});
