import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigurationError } from "../errors.ts";

const urlWithProtocols = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}` },
  );

/** 32 bytes, as 64 hex characters or base64. */
const encryptionKey = z.string().transform((value, ctx) => {
  const bytes = /^[0-9a-f]{64}$/i.test(value)
    ? Buffer.from(value, "hex")
    : Buffer.from(value, "base64");
  if (bytes.length !== 32) {
    ctx.addIssue({
      code: "custom",
      message: "must be 32 bytes as 64 hex characters or base64 (try: openssl rand -hex 32)",
    });
    return z.NEVER;
  }
  return bytes;
});

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const flag = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0"])
    .default(fallback ? "true" : "false")
    .transform((v) => v === "true" || v === "1");

const EnvSchema = z.object({
  APP_ID: z.coerce.number().int().positive(),
  PRIVATE_KEY: z.string().min(1),
  /** GitHub signs each delivery with it: short secrets can be guessed offline from one delivery. */
  WEBHOOK_SECRET: z
    .string()
    .min(32, { message: "must be at least 32 characters (try: openssl rand -hex 32)" }),
  DATABASE_URL: urlWithProtocols(["postgres:", "postgresql:"]).default(
    "postgres://postgres@127.0.0.1:5432/postgres",
  ),
  REDIS_URL: urlWithProtocols(["redis:", "rediss:"]).default("redis://127.0.0.1:6379"),
  ENCRYPTION_KEY: encryptionKey,
  /** Earlier values of ENCRYPTION_KEY, comma-separated, kept to decrypt until re-encrypted. */
  ENCRYPTION_KEYS_PREVIOUS: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(encryptionKey)),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: urlWithProtocols(["http:", "https:"]).optional(),
  GHE_HOST: z.string().min(1).optional(),
  GHE_PROTOCOL: z.enum(["http", "https"]).default("https"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("localhost"),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  LOG_FORMAT: z.enum(["json", "pretty"]).default("json"),
  WORKER_CONCURRENCY: positiveInt(4),
  /**
   * PostgreSQL connections a process may open. Unset: 10 for the web role alone, else the
   * worker's concurrency + 8 (at least 10), so that no job waits for a connection.
   */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(1_000).optional(),
  /** A killed worker's job is retried by another after this lock expires. */
  WORKER_LOCK_MS: z.coerce.number().int().min(1_000).default(30_000),
  /** A failed job is retried after this delay, doubling for each attempt (four attempts). */
  JOB_BACKOFF_MS: z.coerce.number().int().min(10).default(2_000),
  /** How often a running agent job checks whether a cancel, the sweep or a retry stopped it. */
  JOB_STOP_POLL_MS: z.coerce.number().int().min(50).default(2_000),
  /**
   * How often a worker relays the outbox without being notified: the fallback for a notification
   * lost while its listening connection was down, and for rows a stopped process left behind.
   */
  OUTBOX_POLL_MS: z.coerce.number().int().min(50).default(5_000),
  /**
   * A model call that has not started answering after this long is abandoned (and retried):
   * a hung connection must not hold a job for the SDK's default of ten minutes per try.
   */
  MODEL_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(600_000),
  /** BullMQ key prefix; tests give each run its own. */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default("practical"),
  MIGRATE_ON_START: flag(true),
  /**
   * Octokit's throttling: one write a second and waiting out rate limits, as GitHub asks of
   * integrations. Only the local fakes of the tests, demo and benchmark turn it off.
   */
  GITHUB_THROTTLE: flag(true),
  /** A feature in a working stage longer than this is failed by the sweep. */
  STUCK_AFTER_MINUTES: positiveInt(60),
  /**
   * How long after a commit the app waits for a repository's CI before saying none reported,
   * unless `.github/practical.yml` sets `ci.wait_minutes`. Fractions are allowed.
   */
  CI_WAIT_MINUTES: z.coerce.number().min(0).max(1_440).default(20),
  GITHUB_CLIENT_ID: z.string().min(1).optional(),
  GITHUB_CLIENT_SECRET: z.string().min(1).optional(),
  METRICS_TOKEN: z.string().min(16).optional(),
  /** How long /metrics reuses its database sums, so scrapes cannot load PostgreSQL. */
  METRICS_CACHE_SECONDS: z.coerce.number().int().min(0).max(3_600).default(30),
  // Dashboard.
  /** Where people reach the dashboard; the OAuth callback is <PUBLIC_URL>/auth/callback. */
  PUBLIC_URL: urlWithProtocols(["http:", "https:"]).optional(),
  /** The operator's GitHub organisation: its admins see the queue board. Unset: no board. */
  OPERATOR_ORG: z.string().min(1).optional(),
  /** Days an uninstalled installation's features, runs and audit trail are kept. */
  RETENTION_DAYS: positiveInt(30),
  /** Behind a load balancer: take the client address from X-Forwarded-For (one hop). */
  TRUST_PROXY: flag(false),
  /** A workers-only process (`npm run start:worker`) serves GET /metrics on this port. */
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** How often a worker asks GitHub again for the deliveries that never reached the app; 0: never. */
  REDELIVERY_INTERVAL_MINUTES: z.coerce.number().int().min(0).max(1_440).default(10),
  /** Megabytes of parsed repository snapshots a worker keeps for its jobs to share; 0: none. */
  SNAPSHOT_CACHE_MB: z.coerce.number().min(0).max(65_536).default(64),
});

export interface Config {
  appId: number;
  privateKey: string;
  webhookSecret: string;
  databaseUrl: string;
  redisUrl: string;
  encryptionKey: Buffer;
  previousEncryptionKeys: Buffer[];
  anthropicApiKey: string | undefined;
  anthropicBaseUrl: string | undefined;
  /** REST base URL: https://api.github.com, or http(s)://GHE_HOST/api/v3. */
  githubApiUrl: string;
  /** Web base URL for links and OAuth: https://github.com or http(s)://GHE_HOST. */
  githubWebUrl: string;
  port: number;
  host: string;
  logLevel: z.infer<typeof EnvSchema>["LOG_LEVEL"];
  logFormat: "json" | "pretty";
  workerConcurrency: number;
  /** Set: the PostgreSQL pool size of every role (see `databasePoolSize`). */
  databasePoolSize: number | undefined;
  workerLockMs: number;
  jobBackoffMs: number;
  jobStopPollMs: number;
  outboxPollMs: number;
  modelTimeoutMs: number;
  queuePrefix: string;
  migrateOnStart: boolean;
  githubThrottle: boolean;
  stuckAfterMinutes: number;
  ciWaitMinutes: number;
  githubClientId: string | undefined;
  githubClientSecret: string | undefined;
  metricsToken: string | undefined;
  metricsCacheSeconds: number;
  /** The dashboard's external base URL, without a trailing slash. */
  publicUrl: string;
  operatorOrg: string | undefined;
  retentionDays: number;
  trustProxy: boolean;
  metricsPort: number | undefined;
  redeliveryIntervalMinutes: number;
  snapshotCacheMb: number;
}

type Env = Record<string, string | undefined>;

/** True when the GitHub App has not been registered yet: Probot's setup page applies. */
/** Where the web role receives webhooks (Probot's default path). */
export const WEBHOOK_PATH = "/api/github/webhooks";

export function needsAppRegistration(env: Env = process.env): boolean {
  return !env.APP_ID && !env.PRIVATE_KEY && !env.PRIVATE_KEY_PATH;
}

/** Reads every variable at once and reports every problem at once. */
export function readConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const input: Env = { ...env };
  for (const [name, value] of Object.entries(input)) if (value === "") delete input[name];

  if (!input.PRIVATE_KEY && input.PRIVATE_KEY_PATH) {
    try {
      input.PRIVATE_KEY = readFileSync(input.PRIVATE_KEY_PATH, "utf8");
    } catch {
      problems.push(`PRIVATE_KEY_PATH: cannot read ${input.PRIVATE_KEY_PATH}`);
      input.PRIVATE_KEY = "unreadable";
    }
  } else if (input.PRIVATE_KEY && !input.PRIVATE_KEY.includes("-----BEGIN")) {
    // Probot accepts the key base64-encoded on one line; so do we.
    input.PRIVATE_KEY = Buffer.from(input.PRIVATE_KEY, "base64").toString("utf8");
  }

  const parsed = EnvSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? "environment");
      const missing = issue.code === "invalid_type" && input[name] === undefined;
      problems.push(`${name}: ${missing ? "is required" : issue.message}`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigurationError(problems);

  const e = parsed.data;
  const gheBase = e.GHE_HOST ? `${e.GHE_PROTOCOL}://${e.GHE_HOST}` : undefined;
  return {
    appId: e.APP_ID,
    privateKey: e.PRIVATE_KEY,
    webhookSecret: e.WEBHOOK_SECRET,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    encryptionKey: e.ENCRYPTION_KEY,
    previousEncryptionKeys: e.ENCRYPTION_KEYS_PREVIOUS,
    anthropicApiKey: e.ANTHROPIC_API_KEY,
    anthropicBaseUrl: e.ANTHROPIC_BASE_URL,
    githubApiUrl: gheBase ? `${gheBase}/api/v3` : "https://api.github.com",
    githubWebUrl: gheBase ?? "https://github.com",
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    workerConcurrency: e.WORKER_CONCURRENCY,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    workerLockMs: e.WORKER_LOCK_MS,
    jobBackoffMs: e.JOB_BACKOFF_MS,
    jobStopPollMs: e.JOB_STOP_POLL_MS,
    outboxPollMs: e.OUTBOX_POLL_MS,
    modelTimeoutMs: e.MODEL_TIMEOUT_MS,
    queuePrefix: e.QUEUE_PREFIX,
    migrateOnStart: e.MIGRATE_ON_START,
    githubThrottle: e.GITHUB_THROTTLE,
    stuckAfterMinutes: e.STUCK_AFTER_MINUTES,
    ciWaitMinutes: e.CI_WAIT_MINUTES,
    githubClientId: e.GITHUB_CLIENT_ID,
    githubClientSecret: e.GITHUB_CLIENT_SECRET,
    metricsToken: e.METRICS_TOKEN,
    metricsCacheSeconds: e.METRICS_CACHE_SECONDS,
    publicUrl: (
      e.PUBLIC_URL ?? `http://${e.HOST === "0.0.0.0" ? "localhost" : e.HOST}:${e.PORT}`
    ).replace(/\/+$/, ""),
    operatorOrg: e.OPERATOR_ORG,
    retentionDays: e.RETENTION_DAYS,
    trustProxy: e.TRUST_PROXY,
    metricsPort: e.METRICS_PORT,
    redeliveryIntervalMinutes: e.REDELIVERY_INTERVAL_MINUTES,
    snapshotCacheMb: e.SNAPSHOT_CACHE_MB,
  };
}

/** The web role's connections: a delivery takes one or two short queries. */
const WEB_POOL_SIZE = 10;

/**
 * PostgreSQL connections of one process. A job holds one connection for the whole of a
 * `withLock` (a session advisory lock) and needs another for its queries meanwhile, so a pool
 * no larger than the worker's concurrency can be drained by jobs each waiting for a second
 * connection (until the 5 s connect timeout fails one), and short of that every query of every
 * job queues for a connection. With the worker role every job running at once gets one, with
 * room for the relay, the stop polls, a status job's parallel reads and the web role if any.
 */
export function databasePoolSize(
  roles: { web: boolean; worker: boolean },
  config: Pick<Config, "workerConcurrency" | "databasePoolSize">,
): number {
  if (config.databasePoolSize !== undefined) return config.databasePoolSize;
  return roles.worker ? Math.max(WEB_POOL_SIZE, config.workerConcurrency + 8) : WEB_POOL_SIZE;
}
