// The doctor's checks of the services: PostgreSQL, Redis and the model key.
import { readdir } from "node:fs/promises";
import Anthropic from "@anthropic-ai/sdk";
import { Redis } from "ioredis";
import { sql } from "kysely";
import { createDatabase } from "../../adapters/store/database.ts";
import { projectPath } from "../../project-root.ts";
import { type Check, fail, pass, reasonOf, safeUrl } from "./check.ts";

// ---- PostgreSQL and Redis ----------------------------------------------------------------------

export function checkMigrations(applied: string[], files: string[]): Check {
  const name = "PostgreSQL";
  const pending = files.filter((f) => !applied.includes(f));
  const unknown = applied.filter((a) => !files.includes(a));
  if (unknown.length > 0) {
    return fail(
      name,
      `the database has migrations this code does not have (${unknown.join(", ")})`,
      "Run the version of the app that migrated it, or a newer one.",
    );
  }
  if (pending.length > 0) {
    return fail(
      name,
      `${pending.length} of ${files.length} migration(s) not applied (${pending.join(", ")})`,
      "Run `npm run migrate` (or start the app with MIGRATE_ON_START=true).",
    );
  }
  return pass(name, `reachable, all ${files.length} migrations applied`);
}

export async function migrationFiles(folder = projectPath("migrations")): Promise<string[]> {
  return (await readdir(folder))
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((f) => f.replace(/\.sql$/, ""));
}

export async function checkDatabase(databaseUrl: string, files: string[]): Promise<Check> {
  const db = createDatabase(databaseUrl, { max: 1 });
  try {
    const table = await sql<{
      t: string | null;
    }>`select to_regclass('kysely_migration')::text as t`.execute(db);
    const applied = table.rows[0]?.t
      ? (
          await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db)
        ).rows.map((r) => r.name)
      : [];
    return checkMigrations(applied, files);
  } catch (error) {
    return fail(
      "PostgreSQL",
      `${safeUrl(databaseUrl)} did not answer (${reasonOf(error)})`,
      "Start PostgreSQL (`docker compose up -d postgres`) or fix DATABASE_URL.",
    );
  } finally {
    await db.destroy().catch(() => {});
  }
}

/** BullMQ needs Redis to keep every key: https://docs.bullmq.io/guide/going-to-production#max-memory-policy */
export function checkRedisPolicy(policy: string | null): Check {
  const name = "Redis";
  if (policy === "noeviction") return pass(name, "reachable, maxmemory-policy noeviction");
  return fail(
    name,
    policy
      ? `maxmemory-policy is ${policy}: Redis may evict BullMQ's keys and lose jobs`
      : "could not read maxmemory-policy",
    "Set `maxmemory-policy noeviction` (redis.conf, `redis-server --maxmemory-policy noeviction`, or the managed service's parameter).",
  );
}

export async function checkRedis(redisUrl: string): Promise<Check> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 3_000,
    retryStrategy: () => null,
  });
  redis.on("error", () => {});
  try {
    await redis.connect();
    // INFO works where managed services disable CONFIG.
    const info = await redis.info("memory");
    const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? null;
    return checkRedisPolicy(policy);
  } catch (error) {
    return fail(
      "Redis",
      `${safeUrl(redisUrl)} did not answer (${reasonOf(error)})`,
      "Start Redis (`docker compose up -d redis`) or fix REDIS_URL.",
    );
  } finally {
    redis.disconnect();
  }
}

// ---- the model key -----------------------------------------------------------------------------

export async function checkModelKey(
  apiKey: string | undefined,
  baseURL: string | undefined,
): Promise<Check> {
  const name = "Model key";
  if (!apiKey) {
    return pass(name, "no ANTHROPIC_API_KEY: each installation's admins set a key in Settings");
  }
  const client = new Anthropic({
    apiKey,
    ...(baseURL ? { baseURL } : {}),
    maxRetries: 0,
    timeout: 15_000,
  });
  try {
    // One model listed: no tokens, no cost.
    await client.models.list({ limit: 1 });
    return pass(name, `ANTHROPIC_API_KEY accepted by ${baseURL ? safeUrl(baseURL) : "the API"}`);
  } catch (error) {
    if (error instanceof Anthropic.AuthenticationError) {
      return fail(
        name,
        "the model key was rejected (401)",
        "Set ANTHROPIC_API_KEY to a valid key (Claude Console → API keys), or unset it and let installations set their own.",
      );
    }
    if (error instanceof Anthropic.PermissionDeniedError) {
      return fail(
        name,
        "the key was accepted but refused access (403)",
        "Check the key's workspace and organisation in the Claude Console.",
      );
    }
    if (error instanceof Anthropic.APIConnectionError) {
      return fail(
        name,
        `${baseURL ? safeUrl(baseURL) : "the model API"} could not be reached`,
        "Check the network, or ANTHROPIC_BASE_URL.",
      );
    }
    const status = (error as { status?: number }).status;
    return fail(
      name,
      `the model API could not check the key${status ? ` (${status})` : ""}`,
      "Try again shortly; check ANTHROPIC_BASE_URL if it is set.",
    );
  }
}
