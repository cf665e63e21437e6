// PostgreSQL and Redis for the demo and the benchmark: a reachability check that names what is
// missing and how to start it, a fresh migrated database per run, and a BullMQ key prefix per run.

import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import { createDatabase } from "../../src/adapters/store/database.ts";
import { migrateToLatest } from "../../src/adapters/store/migrate.ts";

export const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

export interface ServiceUrls {
  databaseUrl: string;
  redisUrl: string;
}

export function serviceUrls(env: NodeJS.ProcessEnv = process.env): ServiceUrls {
  return {
    databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    redisUrl: env.REDIS_URL || DEFAULT_REDIS_URL,
  };
}

/** A URL with its password hidden, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return url;
  }
}

function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reason(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

async function checkPostgres(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("select 1");
    return null;
  } catch (error) {
    return reason(error);
  } finally {
    await client.end().catch(() => {});
  }
}

async function checkRedis(url: string): Promise<string | null> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let cause: unknown = null;
  redis.on("error", (error) => {
    cause ??= error;
  });
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    // "Connection is closed" says less than the error that closed it.
    return reason(cause ?? error);
  } finally {
    redis.disconnect();
  }
}

/**
 * Null when both services answer; otherwise one message naming each missing service and how to
 * start it.
 */
export async function checkServices(urls: ServiceUrls): Promise<string | null> {
  const [postgres, redis] = await Promise.all([
    checkPostgres(urls.databaseUrl),
    checkRedis(urls.redisUrl),
  ]);
  if (!postgres && !redis) return null;
  const missing = [postgres ? "PostgreSQL" : null, redis ? "Redis" : null].filter(Boolean);
  const lines = [`${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not reachable:`];
  if (postgres) lines.push(`  - PostgreSQL at ${redact(urls.databaseUrl)}: ${postgres}`);
  if (redis) lines.push(`  - Redis at ${redact(urls.redisUrl)}: ${redis}`);
  lines.push(
    "",
    "Start them with Docker, from this folder (the compose file's PostgreSQL has a password):",
    "  docker compose up -d postgres redis",
    "  export DATABASE_URL=postgres://postgres:practical@127.0.0.1:5432/postgres",
    `or, with the Debian packages installed, start ${missing.length > 1 ? "them" : "it"} as a local service:`,
  );
  if (postgres) {
    lines.push("  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start");
  }
  if (redis) {
    lines.push(
      '  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no',
    );
  }
  lines.push("Other addresses: set DATABASE_URL and REDIS_URL.");
  return lines.join("\n");
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

export interface RunDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh database named `<prefix>_<random>` next to the one DATABASE_URL names, migrated. */
export async function createRunDatabase(adminUrl: string, prefix: string): Promise<RunDatabase> {
  const name = `${prefix}_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  admin.on("error", () => {});
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const db = createDatabase(url, { max: 1 });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
  return {
    name,
    url,
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
      client.on("error", () => {});
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

export function createQueuePrefix(kind: string): string {
  return `${kind}-${randomBytes(5).toString("hex")}`;
}

/** Deletes every Redis key under a prefix. */
export async function deleteQueuePrefix(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  redis.on("error", () => {});
  let deleted = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return deleted;
}
