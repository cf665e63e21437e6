// Everything the app talks to, on this machine, for the tests, the demo and the benchmark: the
// GitHub fake with one repository, the model fake (or the real model API), a fresh database and a
// BullMQ key prefix; the environment that points the app at them; and the app's roles, in this
// process or as child processes.

import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { Queue } from "bullmq";
import { type Runtime, start } from "../src/main/runtime.ts";
import type { DashboardOptions } from "../src/web/dashboard/index.ts";
import { DEMO_REPO_FILES, DEMO_WORKFLOW, scriptDemoFeature } from "./demo-feature.ts";
import { deliver, type GitHubFakeServer, startGitHubFake } from "./fakes/github/index.ts";
import { type ModelFake, startModelFake } from "./fakes/model/index.ts";
import { type AppProcess, type Role, spawnApp } from "./processes.ts";
import {
  ADMIN_DATABASE_URL,
  createQueuePrefix,
  createTestDatabase,
  deleteQueuePrefix,
  freePort,
  REDIS_URL,
  type ServiceUrls,
  type TestDatabase,
} from "./services.ts";

export const WEBHOOK_SECRET = "test-webhook-secret-of-32-characters";
export const MODEL_KEY = `sk-ant-api03-test-${randomBytes(12).toString("hex")}`;
export const OWNER = "octo-org";
export const REPO = "hello-app";
export const INSTALLATION_ID = 4242;
/** The person who opens issues, answers the BA and approves. */
export const MAINTAINER = "mona";

export type ModelChoice = { kind: "scripted" } | { kind: "real"; apiKey: string; baseUrl?: string };

type Webhook = { id: string; name: string; payload: unknown };
type DashboardTuning = Pick<DashboardOptions, "pollMs" | "rateLimits" | "accessTtlMs">;

export interface StackOptions {
  /** PostgreSQL and Redis (default: the tests', TEST_DATABASE_URL and TEST_REDIS_URL). */
  services?: ServiceUrls;
  /** Database name prefix, e.g. practical_demo. */
  databasePrefix?: string;
  /** Queue prefix kind, e.g. practical-demo. */
  queueKind?: string;
  /** The repository's files on its default branch. */
  files?: Record<string, string>;
  description?: string;
  /** A person with write access to the repository, and their display name. */
  maintainer?: { login: string; name: string };
  /** The model fake (default) or the real model API. */
  model?: ModelChoice;
  /** More keys the model fake accepts, besides MODEL_KEY. */
  modelKeys?: string[];
  /** Signing in to the dashboard goes through the fake's OAuth pages. */
  oauth?: boolean;
  /**
   * Keep the fake's idle connections open this long, as GitHub does. Its default (1 s) is below
   * the 2 s margin Node's fetch keeps, so fetch would open a new connection for each call.
   */
  githubKeepAliveMs?: number;
  /** More settings for the app (LOG_LEVEL, WORKER_CONCURRENCY, …). */
  env?: Record<string, string | undefined>;
}

export interface Stack {
  github: GitHubFakeServer;
  /** The model fake; null when the real model API is used. */
  model: ModelFake | null;
  db: TestDatabase;
  prefix: string;
  redisUrl: string;
  webhookSecret: string;
  port: number;
  appUrl: string;
  webhookUrl: string;
  /** The environment for the app's roles, in this process or not. */
  env: NodeJS.ProcessEnv;
  /** Requests of the app the model API would refuse (the fake answers them as it would). */
  refusals: string[];
  /** Signs and POSTs a webhook to the app. */
  send(webhook: Webhook, headers?: Record<string, string>): Promise<Response>;
  /** The app's pipeline queue, closed by `stop()`. */
  pipelineQueue(): Queue;
  /** Starts the app's roles in this process (the same code as `npm start`). */
  startApp(
    roles: { web: boolean; worker: boolean },
    extras?: { dashboard?: DashboardTuning },
  ): Promise<Runtime>;
  /** Starts a role as a child process with the stack's environment (and `options.env`). */
  spawnApp(
    role: Role,
    options?: { env?: NodeJS.ProcessEnv; logFile?: string; script?: string; name?: string },
  ): AppProcess;
  /**
   * Stops what it started (the app, the fakes), drops the database and removes the queue keys;
   * then fails if anything of that failed, or if the model API would have refused a request.
   */
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const services = options.services ?? { databaseUrl: ADMIN_DATABASE_URL, redisUrl: REDIS_URL };
  const cleanups: (() => Promise<unknown>)[] = [];
  const refusals: string[] = [];
  const stop = async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => errors.push(error));
    }
    if (errors.length > 0) throw errors[0];
    if (refusals.length > 0) {
      throw new Error(
        `the model API would refuse ${refusals.length} request(s) the app made: ${refusals.slice(0, 3).join("; ")}`,
      );
    }
  };
  try {
    const github = await startGitHubFake();
    cleanups.push(() => github.close());
    if (options.githubKeepAliveMs) {
      (github as unknown as { server: Server }).server.keepAliveTimeout = options.githubKeepAliveMs;
    }
    github.addInstallation({ id: INSTALLATION_ID, account: OWNER });
    github.addRepo({
      installationId: INSTALLATION_ID,
      owner: OWNER,
      name: REPO,
      files: options.files ?? {
        "README.md": "# hello-app\n",
        "src/index.js": "console.log('hi');\n",
      },
      ...(options.description ? { description: options.description } : {}),
    });
    if (options.maintainer) {
      github.setPermission(OWNER, REPO, options.maintainer.login, "write");
      github.addUser(options.maintainer.login, { name: options.maintainer.name });
    }

    const choice = options.model ?? { kind: "scripted" };
    let model: ModelFake | null = null;
    let modelEnv: NodeJS.ProcessEnv;
    if (choice.kind === "scripted") {
      // Every request the app makes must be one the API accepts.
      const fake = await startModelFake({
        validKeys: [MODEL_KEY, ...(options.modelKeys ?? [])],
        onRefusal: (message) => refusals.push(message),
      });
      model = fake;
      cleanups.push(() => fake.close());
      modelEnv = { ANTHROPIC_API_KEY: MODEL_KEY, ANTHROPIC_BASE_URL: fake.url };
    } else {
      modelEnv = {
        ANTHROPIC_API_KEY: choice.apiKey,
        ...(choice.baseUrl ? { ANTHROPIC_BASE_URL: choice.baseUrl } : {}),
      };
    }

    const db = await createTestDatabase({
      adminUrl: services.databaseUrl,
      ...(options.databasePrefix ? { prefix: options.databasePrefix } : {}),
    });
    cleanups.push(() => db.drop());
    const prefix = createQueuePrefix(options.queueKind);
    cleanups.push(() => deleteQueuePrefix(prefix, services.redisUrl));

    const port = await freePort();
    const appUrl = `http://127.0.0.1:${port}`;
    const webhookUrl = `${appUrl}/api/github/webhooks`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      APP_ID: String(github.appId),
      PRIVATE_KEY: github.privateKey,
      WEBHOOK_SECRET,
      DATABASE_URL: db.url,
      REDIS_URL: services.redisUrl,
      ENCRYPTION_KEY: randomBytes(32).toString("hex"),
      ...modelEnv,
      GHE_HOST: github.host,
      GHE_PROTOCOL: "http",
      HOST: "127.0.0.1",
      PORT: String(port),
      PUBLIC_URL: appUrl,
      QUEUE_PREFIX: prefix,
      // The database is migrated above.
      MIGRATE_ON_START: "false",
      // Octokit's throttling spaces writes a second apart, which GitHub asks of integrations;
      // the local fake does not need it.
      GITHUB_THROTTLE: "false",
      // A repository without CI is said so at once rather than after 20 minutes.
      CI_WAIT_MINUTES: "0",
      LOG_LEVEL: "silent",
      ...(options.oauth
        ? { GITHUB_CLIENT_ID: github.clientId, GITHUB_CLIENT_SECRET: github.clientSecret }
        : {}),
      ...options.env,
    };

    // The app's webhook as registered on GitHub: what GitHub sends on its own (a played CI)
    // is delivered there.
    github.setWebhookConfig({ url: webhookUrl, secret: WEBHOOK_SECRET, contentType: "json" });

    const queues: Queue[] = [];
    cleanups.push(() => Promise.all(queues.map((queue) => queue.close())));
    return {
      github,
      model,
      db,
      prefix,
      redisUrl: services.redisUrl,
      webhookSecret: WEBHOOK_SECRET,
      port,
      appUrl,
      webhookUrl,
      env,
      refusals,
      send: (webhook, headers) =>
        deliver(webhook, {
          url: webhookUrl,
          secret: WEBHOOK_SECRET,
          ...(headers ? { headers } : {}),
        }),
      pipelineQueue() {
        const queue = new Queue("pipeline", { connection: { url: services.redisUrl }, prefix });
        queues.push(queue);
        return queue;
      },
      async startApp(roles, extras = {}) {
        const app = await start(roles, env, extras);
        if (!app) throw new Error("the app did not start");
        cleanups.push(() => app.stop());
        return app;
      },
      spawnApp(role, spawnOptions = {}) {
        const { env: more, ...rest } = spawnOptions;
        const app = spawnApp(role, { ...env, ...more }, rest);
        cleanups.push(() => app.stop());
        return app;
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}

export interface Harness extends Stack {
  model: ModelFake;
  app: Runtime;
}

/**
 * The tests' stack: the real app (web and/or workers) in this process, pointed at the GitHub fake
 * through GHE_HOST and at the model fake through ANTHROPIC_BASE_URL, with its own database and
 * queue prefix.
 */
export async function startHarness(
  options: {
    web?: boolean;
    worker?: boolean;
    env?: NodeJS.ProcessEnv;
    files?: Record<string, string>;
    /** More keys the model fake accepts, besides MODEL_KEY. */
    modelKeys?: string[];
    /** Dashboard tuning (page refresh interval, rate limits). */
    dashboard?: DashboardTuning;
  } = {},
): Promise<Harness> {
  const stack = await startStack({
    ...(options.files ? { files: options.files } : {}),
    ...(options.modelKeys ? { modelKeys: options.modelKeys } : {}),
    oauth: true,
    env: { WORKER_LOCK_MS: "2000", ...options.env },
  });
  try {
    const app = await stack.startApp(
      { web: options.web ?? true, worker: options.worker ?? true },
      options.dashboard ? { dashboard: options.dashboard } : {},
    );
    return { ...stack, model: stack.model as ModelFake, app };
  } catch (error) {
    await stack.stop().catch(() => {});
    throw error;
  }
}

/**
 * The demo's and the benchmark's stack: the demo repository and its maintainer, the model fake
 * scripted with the demo feature (or the real model API), the app as in production.
 */
export async function startDemoStack(options: {
  services: ServiceUrls;
  /** Names the database (practical_<run>_…) and the queue prefix (practical-<run>-…). */
  run: string;
  model: ModelChoice;
  /** More settings for the app (LOG_LEVEL, WORKER_CONCURRENCY, …). */
  env?: Record<string, string | undefined>;
}): Promise<Stack> {
  const stack = await startStack({
    services: options.services,
    databasePrefix: `practical_${options.run}`,
    queueKind: `practical-${options.run}`,
    files: DEMO_REPO_FILES,
    description: "A tiny HTTP service",
    maintainer: { login: MAINTAINER, name: "Mona Lisa" },
    model: options.model,
    githubKeepAliveMs: 60_000,
    env: { NODE_ENV: "production", ...options.env },
  });
  if (stack.model) scriptDemoFeature(stack.model);
  // The demo repository has a CI: red on the contract tests, green once the code exists.
  stack.github.playActions({ owner: OWNER, repo: REPO, workflow: DEMO_WORKFLOW });
  return stack;
}
