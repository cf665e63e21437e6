import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { databasePoolSize, readConfig } from "../../src/config/env.ts";
import { ConfigurationError } from "../../src/errors.ts";

const VALID = {
  APP_ID: "42",
  PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----",
  WEBHOOK_SECRET: "s".repeat(32),
  ENCRYPTION_KEY: "a".repeat(64),
};

describe("databasePoolSize", () => {
  it("gives every job of a worker a connection, with room to spare; DATABASE_POOL_SIZE wins", () => {
    const web = { web: true, worker: false };
    const worker = { web: false, worker: true };
    expect(databasePoolSize(web, readConfig({ ...VALID, WORKER_CONCURRENCY: "16" }))).toBe(10);
    expect(databasePoolSize(worker, readConfig(VALID))).toBe(12);
    expect(databasePoolSize(worker, readConfig({ ...VALID, WORKER_CONCURRENCY: "16" }))).toBe(24);
    expect(databasePoolSize(worker, readConfig({ ...VALID, WORKER_CONCURRENCY: "1" }))).toBe(10);
    expect(databasePoolSize(worker, readConfig({ ...VALID, DATABASE_POOL_SIZE: "5" }))).toBe(5);
  });
});

describe("readConfig", () => {
  it("applies safe defaults and derives the GitHub URLs from GHE_HOST", () => {
    const config = readConfig({ ...VALID, GHE_HOST: "127.0.0.1:9999", GHE_PROTOCOL: "http" });
    expect(config.githubApiUrl).toBe("http://127.0.0.1:9999/api/v3");
    expect(config.githubWebUrl).toBe("http://127.0.0.1:9999");
    expect(config.redisUrl).toBe("redis://127.0.0.1:6379");
    expect(config.workerConcurrency).toBe(4);
    expect(config.redeliveryIntervalMinutes).toBe(10);
    expect(config.snapshotCacheMb).toBe(64);
    expect(config.encryptionKey).toHaveLength(32);
    expect(readConfig(VALID).githubApiUrl).toBe("https://api.github.com");
  });

  it("reports every problem at once, naming each variable", () => {
    const { WEBHOOK_SECRET: _, ...withoutSecret } = VALID;
    let error: unknown;
    try {
      readConfig({ ...withoutSecret, DATABASE_URL: "mysql://nope", ENCRYPTION_KEY: "short" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const problems = (error as ConfigurationError).problems.join("\n");
    expect(problems).toContain("WEBHOOK_SECRET: is required");
    expect(problems).toContain(
      "DATABASE_URL: must be a URL starting with postgres:// or postgresql://",
    );
    expect(problems).toContain("ENCRYPTION_KEY: must be 32 bytes");
  });

  it("refuses a WEBHOOK_SECRET shorter than 32 characters", () => {
    expect(() => readConfig({ ...VALID, WEBHOOK_SECRET: "x" })).toThrow(
      /WEBHOOK_SECRET: must be at least 32 characters/,
    );
    expect(readConfig({ ...VALID, WEBHOOK_SECRET: "x".repeat(32) }).webhookSecret).toHaveLength(32);
  });

  it("accepts a base64 private key on one line, as Probot does", () => {
    const encoded = Buffer.from(VALID.PRIVATE_KEY).toString("base64");
    expect(readConfig({ ...VALID, PRIVATE_KEY: encoded }).privateKey).toBe(VALID.PRIVATE_KEY);
  });

  it("refuses to start with one message and no stack trace", async () => {
    const { WEBHOOK_SECRET: _, ...env } = VALID;
    const run = promisify(execFile)(process.execPath, ["src/main/web.ts"], {
      env: { PATH: process.env.PATH, ...env, DATABASE_URL: "not a url" },
    });
    const failure = await run.then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain("WEBHOOK_SECRET: is required");
    expect(failure?.stderr).toContain("DATABASE_URL: must be a URL");
    expect(failure?.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack frames
  });
});
