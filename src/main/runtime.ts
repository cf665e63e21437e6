import { Probot, ProbotOctokit, run, Server } from "probot";
import { OctokitAppWebhook } from "../adapters/github/app-webhook.ts";
import { ConditionalReads, READ_CACHE_BYTES } from "../adapters/github/conditional-reads.ts";
import { OctokitGitHub } from "../adapters/github/octokit-github.ts";
import { PermissionCache } from "../adapters/github/permissions.ts";
import { SnapshotCache } from "../adapters/github/snapshot-cache.ts";
import { refreshRejectedTokens } from "../adapters/github/token-refresh.ts";
import { AnthropicModel } from "../adapters/model/anthropic.ts";
import { BullMqJobQueue } from "../adapters/queue/bullmq.ts";
import { startWorkers } from "../adapters/queue/worker.ts";
import { createDatabase } from "../adapters/store/database.ts";
import { migrateToLatest } from "../adapters/store/migrate.ts";
import { OutboxListener } from "../adapters/store/outbox-listener.ts";
import { createStore } from "../adapters/store/store.ts";
import { OutboxRelay } from "../app/outbox-relay.ts";
import {
  type Config,
  databasePoolSize,
  needsAppRegistration,
  readConfig,
  WEBHOOK_PATH,
} from "../config/env.ts";
import { ConfigurationError } from "../errors.ts";
import { createJobProcessors, onFinalFailure, SWEEP_SCHEDULER_ID } from "../jobs/index.ts";
import { createLogger, type Logger } from "../log.ts";
import { Metrics } from "../ops/metrics.ts";
import {
  deliveryRetentionDays,
  REDELIVERY_JOB,
  redeliverLostDeliveries,
  scheduleRedelivery,
} from "../ops/redelivery.ts";
import { startRetentionSweep } from "../ops/retention.ts";
import { createApp } from "../web/app.ts";
import { limitWebhookBodies } from "../web/body-limit.ts";
import { createDashboard, type DashboardOptions } from "../web/dashboard/index.ts";

/** Addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

export interface Roles {
  web: boolean;
  worker: boolean;
}

/**
 * Octokit as the app uses it: Probot's retry plugin is off because it would re-send a
 * POST whose response was lost (a duplicate comment); jobs retry instead, and every
 * write is an idempotent `ensure*`. A cached installation token GitHub rejects is replaced.
 * A read repeated by this process is conditional (a 304 does not count against the rate limit).
 */
export function appOctokit(throttle: boolean, reads = new ConditionalReads(READ_CACHE_BYTES)) {
  return ProbotOctokit.plugin(refreshRejectedTokens, reads.plugin).defaults(
    (options: Record<string, unknown>) => ({
      ...options,
      retry: { enabled: false },
      ...(throttle ? {} : { throttle: { enabled: false } }),
    }),
  );
}

/** How every Probot of the app is made, in the web and the worker roles. */
export function probotOptionsOf(
  config: Pick<
    Config,
    "appId" | "privateKey" | "webhookSecret" | "githubApiUrl" | "githubThrottle" | "redisUrl"
  >,
  log: Logger,
) {
  return {
    appId: config.appId,
    privateKey: config.privateKey,
    secret: config.webhookSecret,
    baseUrl: config.githubApiUrl,
    log,
    Octokit: appOctokit(config.githubThrottle),
    // Probot's throttling spaces content-creating requests per installation; through Redis the
    // spacing is shared by every process, so several workers do not add up past GitHub's
    // secondary limits (one content-creating request a second).
    ...(config.githubThrottle ? { redisConfig: config.redisUrl } : {}),
  };
}

export interface Runtime {
  config: Config;
  log: Logger;
  server: Server | null;
  metrics: Metrics;
  stop(): Promise<void>;
}

/** Reads the configuration, builds the adapters and starts the given roles. */
export async function start(
  roles: Roles,
  env: NodeJS.ProcessEnv = process.env,
  /** Tuning the tests use: faster page refresh, other rate limits. */
  extras: { dashboard?: Pick<DashboardOptions, "pollMs" | "rateLimits" | "accessTtlMs"> } = {},
): Promise<Runtime | null> {
  if (roles.web && needsAppRegistration(env)) {
    // Not registered yet: Probot's setup page registers the app from app.yml.
    await run(() => {}, { env: { ...env, NODE_ENV: env.NODE_ENV ?? "development" } });
    return null;
  }
  const config = readConfig(env);
  const servesMetrics = roles.web || (roles.worker && config.metricsPort !== undefined);
  if (servesMetrics && !config.metricsToken && !isLoopback(config.host)) {
    throw new ConfigurationError([
      `METRICS_TOKEN: is required when HOST (${config.host}) is not a loopback address: /metrics would be readable by anyone who reaches the port`,
    ]);
  }
  const log = createLogger({ level: config.logLevel, format: config.logFormat });

  const db = createDatabase(config.databaseUrl, { max: databasePoolSize(roles, config) });
  if (config.migrateOnStart) {
    const applied = await migrateToLatest(db);
    if (applied.length) log.info({ applied }, "database migrated");
  }
  const store = createStore(db);
  const queue = new BullMqJobQueue(config.redisUrl, config.queuePrefix, {
    backoffMs: config.jobBackoffMs,
  });
  const metrics = new Metrics({
    store,
    queues: Object.values(queue.queues),
    aggregatesTtlMs: config.metricsCacheSeconds * 1000,
  });

  const probotOptions = probotOptionsOf(config, log);

  let server: Server | null = null;
  if (roles.web) {
    server = new Server({
      Probot: Probot.defaults(probotOptions),
      host: config.host,
      port: config.port,
      // On a laptop: Probot fetches the events from this smee.io channel (the app's webhook URL).
      webhookProxy: env.WEBHOOK_PROXY_URL || undefined,
      log,
    });
    const dashboard = createDashboard({
      config,
      log,
      store,
      queues: Object.values(queue.queues),
      metrics,
      ...extras.dashboard,
    });
    await server.load(
      createApp({
        store,
        queue,
        appId: config.appId,
        permissions: new PermissionCache(),
        countDelivery: metrics.countDelivery,
        githubFor: (app) => new OctokitGitHub(app, config.appId),
        routes: [dashboard.handle],
      }),
    );
    const httpServer = await server.start();
    limitWebhookBodies(httpServer, WEBHOOK_PATH);
    metrics.observeWebhooks(httpServer, WEBHOOK_PATH);
  }

  let workers: ReturnType<typeof startWorkers> | null = null;
  let relay: OutboxRelay | null = null;
  let listener: OutboxListener | null = null;
  let retention: ReturnType<typeof startRetentionSweep> | null = null;
  let metricsServer: Awaited<ReturnType<Metrics["listen"]>> | null = null;
  if (roles.worker) {
    // The workers move the outbox to the queue: woken by the outbox's notification, and by a
    // slow poll for a notification lost while not listening. Several workers relay safely.
    const outboxRelay = new OutboxRelay(store, queue, log);
    relay = outboxRelay;
    outboxRelay.start(config.outboxPollMs);
    listener = new OutboxListener(config.databaseUrl, () => void outboxRelay.kick(), log);
    await listener.start();
    const probot = new Probot(probotOptions);
    const model = new AnthropicModel({
      baseURL: config.anthropicBaseUrl,
      timeoutMs: config.modelTimeoutMs,
    });
    const deps = {
      config,
      log,
      store,
      queue,
      relay: outboxRelay,
      model,
      github: new OctokitGitHub(probot, config.appId, {
        snapshots: new SnapshotCache(config.snapshotCacheMb * 1024 * 1024),
      }),
    };
    const processors = createJobProcessors(deps);
    processors.maintenance[REDELIVERY_JOB] = () =>
      redeliverLostDeliveries({
        api: new OctokitAppWebhook(probot),
        redis: queue.connection,
        keyPrefix: config.queuePrefix,
        recorded: (guids) => store.recordedDeliveryIds(guids),
        retentionDays: deliveryRetentionDays(config.githubWebUrl),
        log,
        onRedelivered: (d) => metrics.deliveriesRedelivered.inc({ event: d.event }),
      });
    workers = startWorkers({
      redisUrl: config.redisUrl,
      prefix: config.queuePrefix,
      concurrency: config.workerConcurrency,
      lockDurationMs: config.workerLockMs,
      log,
      processors,
      onFinalFailure: (job, error) => onFinalFailure(deps, job, error),
      observe: metrics.observeJob,
    });
    retention = startRetentionSweep({ store, retentionDays: config.retentionDays, log });
    // Without the web role nothing else would show this process's job metrics.
    if (!roles.web && config.metricsPort) {
      metricsServer = await metrics.listen(config.metricsPort, config.host, config.metricsToken);
    }
    await Promise.all(workers.workers.map((w) => w.waitUntilReady()));
    await queue.queues.maintenance.upsertJobScheduler(
      SWEEP_SCHEDULER_ID,
      { every: 60_000 },
      { name: "sweep" },
    );
    await scheduleRedelivery(queue.queues.maintenance, config.redeliveryIntervalMinutes);
    log.info({ concurrency: config.workerConcurrency }, "workers started");
  }

  return {
    config,
    log,
    server,
    metrics,
    async stop() {
      retention?.stop();
      await new Promise((resolve) =>
        metricsServer ? metricsServer.close(resolve) : resolve(null),
      );
      await server?.stop();
      await listener?.stop();
      await workers?.close();
      await relay?.stop();
      await queue.close();
      await db.destroy();
    },
  };
}

/** Entry point for `npm start*`: one clear message on bad configuration, graceful stop on signals. */
export async function main(roles: Roles): Promise<void> {
  let runtime: Runtime | null;
  try {
    runtime = await start(roles);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      process.stderr.write(`${error.message}\nSee the configuration table in README.md.\n`);
    } else {
      process.stderr.write(
        `Could not start: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
    process.exit(1);
  }
  if (!runtime) return;
  const stop = async (signal: string) => {
    runtime.log.info({ signal }, "stopping");
    await runtime.stop();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
}
