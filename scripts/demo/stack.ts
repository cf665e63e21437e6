// Everything the app talks to, on this machine: the GitHub fake with the demo repository, the
// scripted model fake (or the real model API), a fresh database and a BullMQ key prefix; and the
// environment that points the app's web and worker roles at them.

import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { DEMO_REPO_FILES, scriptDemoFeature } from "../../testkit/demo-feature.ts";
import {
  deliver,
  type GitHubFakeServer,
  startGitHubFake,
} from "../../testkit/fakes/github/index.ts";
import { type ModelFake, startModelFake } from "../../testkit/fakes/model/index.ts";
import { freePort } from "../../testkit/stack.ts";
import {
  createQueuePrefix,
  createRunDatabase,
  deleteQueuePrefix,
  type RunDatabase,
  type ServiceUrls,
} from "./services.ts";

export { freePort };

export const OWNER = "octo-org";
export const REPO = "hello-app";
export const INSTALLATION_ID = 4242;
/** The person who opens the issue, answers the BA and approves (write access). */
export const HUMAN = "mona";

export type ModelChoice = { kind: "scripted" } | { kind: "real"; apiKey: string; baseUrl?: string };

export interface Stack {
  github: GitHubFakeServer;
  /** The scripted model fake; null when the real model API is used. */
  model: ModelFake | null;
  db: RunDatabase;
  prefix: string;
  redisUrl: string;
  webhookSecret: string;
  port: number;
  webhookUrl: string;
  /** The environment for the app's processes (web, worker or both). */
  env: NodeJS.ProcessEnv;
  /** Signs and POSTs a webhook to the app. */
  send(webhook: { id: string; name: string; payload: unknown }): Promise<Response>;
  /** Stops the fakes, drops the database and removes the queue keys. */
  stop(): Promise<void>;
}

export async function startStack(options: {
  services: ServiceUrls;
  /** Database name prefix, e.g. practical_demo. */
  databasePrefix: string;
  /** Queue prefix kind, e.g. practical-demo. */
  queueKind: string;
  model: ModelChoice;
  /** More settings for the app (LOG_LEVEL, WORKER_CONCURRENCY, …). */
  env?: Record<string, string | undefined>;
}): Promise<Stack> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  };
  try {
    const github = await startGitHubFake();
    cleanups.push(() => github.close());
    // The fake closes idle connections after 1 s; Node's fetch (undici) then never reuses one,
    // since it keeps a connection only while the server's timeout exceeds its own 2 s margin.
    // GitHub keeps them open, so each API call here would pay a new TCP connection GitHub does
    // not cost: keep them longer, as GitHub does.
    (github as unknown as { server: Server }).server.keepAliveTimeout = 60_000;
    github.addInstallation({ id: INSTALLATION_ID, account: OWNER });
    github.addRepo({
      installationId: INSTALLATION_ID,
      owner: OWNER,
      name: REPO,
      files: DEMO_REPO_FILES,
      description: "A tiny HTTP service",
    });
    github.setPermission(OWNER, REPO, HUMAN, "write");
    github.addUser(HUMAN, { name: "Mona Lisa" });

    let model: ModelFake | null = null;
    let modelEnv: NodeJS.ProcessEnv;
    if (options.model.kind === "scripted") {
      const fake = await startModelFake();
      model = fake;
      cleanups.push(() => fake.close());
      scriptDemoFeature(fake);
      modelEnv = {
        ANTHROPIC_API_KEY: `sk-ant-api03-local-${randomBytes(12).toString("hex")}`,
        ANTHROPIC_BASE_URL: fake.url,
      };
    } else {
      modelEnv = {
        ANTHROPIC_API_KEY: options.model.apiKey,
        ...(options.model.baseUrl ? { ANTHROPIC_BASE_URL: options.model.baseUrl } : {}),
      };
    }

    const db = await createRunDatabase(options.services.databaseUrl, options.databasePrefix);
    cleanups.push(() => db.drop());
    const prefix = createQueuePrefix(options.queueKind);
    cleanups.push(() => deleteQueuePrefix(options.services.redisUrl, prefix));

    const port = await freePort();
    const webhookSecret = randomBytes(16).toString("hex");
    const webhookUrl = `http://127.0.0.1:${port}/api/github/webhooks`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      APP_ID: String(github.appId),
      PRIVATE_KEY: github.privateKey,
      WEBHOOK_SECRET: webhookSecret,
      DATABASE_URL: db.url,
      REDIS_URL: options.services.redisUrl,
      ENCRYPTION_KEY: randomBytes(32).toString("hex"),
      ...modelEnv,
      GHE_HOST: github.host,
      GHE_PROTOCOL: "http",
      HOST: "127.0.0.1",
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      QUEUE_PREFIX: prefix,
      // The database is migrated above.
      MIGRATE_ON_START: "false",
      // Octokit's throttling spaces writes a second apart, which GitHub asks of integrations;
      // the local fake does not need it.
      GITHUB_THROTTLE: "false",
      LOG_LEVEL: "silent",
      NODE_ENV: "production",
      ...options.env,
    };
    return {
      github,
      model,
      db,
      prefix,
      redisUrl: options.services.redisUrl,
      webhookSecret,
      port,
      webhookUrl,
      env,
      send: (webhook) => deliver(webhook, { url: webhookUrl, secret: webhookSecret }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
