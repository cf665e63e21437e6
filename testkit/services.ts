// PostgreSQL and Redis for the tests, the demo and the benchmark: a reachability check that names
// what is missing and how to start it, a fresh migrated database per run, a BullMQ key prefix per
// run; and the two small helpers every runner needs (a free port, polling until something holds).

import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { Redis } from "ioredis";
import pg from "pg";
import { createDatabase, type Db } from "../src/adapters/store/database.ts";
import { migrateToLatest } from "../src/adapters/store/migrate.ts";
import { createStore, type Store } from "../src/adapters/store/store.ts";

export const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

/** The tests' services (TEST_DATABASE_URL, TEST_REDIS_URL; local defaults). */
export const ADMIN_DATABASE_URL = process.env.TEST_DATABASE_URL ?? DEFAULT_DATABASE_URL;
export const REDIS_URL = process.env.TEST_REDIS_URL ?? DEFAULT_REDIS_URL;

export interface ServiceUrls {
  databaseUrl: string;
  redisUrl: string;
}

/** The services the demo and the benchmark use (DATABASE_URL, REDIS_URL; local defaults). */
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

async function asAdmin(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  /** A connection pool (opened lazily: unused, it costs nothing). */
  db: Db;
  store: Store;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database of its own, named `<prefix>_<random>`, next to the one `adminUrl`
 * names; `drop()` removes it.
 */
export async function createTestDatabase(
  options: { adminUrl?: string; prefix?: string } = {},
): Promise<TestDatabase> {
  const adminUrl = options.adminUrl ?? ADMIN_DATABASE_URL;
  const name = `${options.prefix ?? "bp_test"}_${randomBytes(5).toString("hex")}`;
  await asAdmin(adminUrl, `CREATE DATABASE ${name}`);
  const url = withDatabase(adminUrl, name);
  const db = createDatabase(url);
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.destroy().catch(() => {});
    throw error;
  }
  return {
    name,
    url,
    db,
    store: createStore(db),
    async drop() {
      await db.destroy();
      await asAdmin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** A BullMQ key prefix of its own, `<kind>-<random>`. */
export function createQueuePrefix(kind = "bpt"): string {
  return `${kind}-${randomBytes(5).toString("hex")}`;
}

/** Deletes every Redis key under a prefix; returns how many. */
export async function deleteQueuePrefix(prefix: string, redisUrl = REDIS_URL): Promise<number> {
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

/** A TCP port free on 127.0.0.1 at the time of asking. */
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

/** Polls until `check` returns a truthy value, or fails with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T> | T,
  timeoutMs = 15_000,
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
