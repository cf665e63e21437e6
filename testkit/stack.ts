import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { Queue } from "bullmq";
import { type Runtime, start } from "../src/main/runtime.ts";
import type { DashboardOptions } from "../src/web/dashboard/index.ts";
import { deliver, type GitHubFakeServer, startGitHubFake } from "./fakes/github/index.ts";
import { type ModelFake, startModelFake } from "./fakes/model/index.ts";
import {
  createQueuePrefix,
  createTestDatabase,
  deleteQueuePrefix,
  REDIS_URL,
  type TestDatabase,
} from "./services.ts";

export const WEBHOOK_SECRET = "test-webhook-secret";
export const MODEL_KEY = `sk-ant-api03-test-${randomBytes(12).toString("hex")}`;
export const OWNER = "octo-org";
export const REPO = "hello-app";
export const INSTALLATION_ID = 4242;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

export interface Harness {
  github: GitHubFakeServer;
  model: ModelFake;
  db: TestDatabase;
  prefix: string;
  env: NodeJS.ProcessEnv;
  app: Runtime;
  webhookUrl: string;
  appUrl: string;
  /** Delivers a fake-made webhook, signed, to the running app. */
  send(
    webhook: { id: string; name: string; payload: unknown },
    headers?: Record<string, string>,
  ): Promise<Response>;
  pipelineQueue(): Queue;
  stop(): Promise<void>;
}

/**
 * The real app (web and/or workers) in this process, pointed at the GitHub fake through
 * GHE_HOST and at the model fake through ANTHROPIC_BASE_URL, with its own database and
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
    dashboard?: Pick<DashboardOptions, "pollMs" | "rateLimits" | "accessTtlMs">;
  } = {},
): Promise<Harness> {
  const github = await startGitHubFake();
  // Every request the app makes must be one the API accepts: a refusal fails the test file.
  const refusals: string[] = [];
  const model = await startModelFake({
    validKeys: [MODEL_KEY, ...(options.modelKeys ?? [])],
    onRefusal: (message) => refusals.push(message),
  });
  const db = await createTestDatabase();
  const prefix = createQueuePrefix();
  github.addInstallation({ id: INSTALLATION_ID, account: OWNER });
  github.addRepo({
    installationId: INSTALLATION_ID,
    owner: OWNER,
    name: REPO,
    files: options.files ?? {
      "README.md": "# hello-app\n",
      "src/index.js": "console.log('hi');\n",
    },
  });
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    APP_ID: String(github.appId),
    PRIVATE_KEY: github.privateKey,
    WEBHOOK_SECRET,
    DATABASE_URL: db.url,
    REDIS_URL,
    ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    ANTHROPIC_API_KEY: MODEL_KEY,
    ANTHROPIC_BASE_URL: model.url,
    GHE_HOST: github.host,
    GHE_PROTOCOL: "http",
    HOST: "127.0.0.1",
    PORT: String(port),
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: "silent",
    MIGRATE_ON_START: "false",
    WORKER_LOCK_MS: "2000",
    // Signing in to the dashboard goes through the fake's OAuth pages.
    GITHUB_CLIENT_ID: github.clientId,
    GITHUB_CLIENT_SECRET: github.clientSecret,
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    GITHUB_THROTTLE: "false",
    // A repository without CI is said so at once rather than after 20 minutes.
    CI_WAIT_MINUTES: "0",
    ...options.env,
  };
  const app = await start(
    { web: options.web ?? true, worker: options.worker ?? true },
    env,
    options.dashboard ? { dashboard: options.dashboard } : {},
  );
  if (!app) throw new Error("the app did not start");
  const appUrl = `http://127.0.0.1:${port}`;
  const webhookUrl = `${appUrl}/api/github/webhooks`;
  // Webhooks GitHub sends on its own (a CI the fake plays) reach the app like any other.
  github.setWebhookSink((webhook) =>
    deliver(webhook, { url: webhookUrl, secret: WEBHOOK_SECRET }).catch(() => undefined),
  );
  const queues: Queue[] = [];
  return {
    github,
    model,
    db,
    prefix,
    env,
    app,
    webhookUrl,
    appUrl,
    send: (webhook, headers) =>
      deliver(webhook, {
        url: webhookUrl,
        secret: WEBHOOK_SECRET,
        ...(headers ? { headers } : {}),
      }),
    pipelineQueue() {
      const queue = new Queue("pipeline", { connection: { url: REDIS_URL }, prefix });
      queues.push(queue);
      return queue;
    },
    async stop() {
      await app.stop();
      for (const queue of queues) await queue.close();
      await github.close();
      await model.close();
      await db.drop();
      await deleteQueuePrefix(prefix);
      if (refusals.length > 0) {
        throw new Error(
          `the model API would refuse ${refusals.length} request(s) the app made: ${refusals.slice(0, 3).join("; ")}`,
        );
      }
    },
  };
}
