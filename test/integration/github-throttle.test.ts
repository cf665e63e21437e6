// One write limiter for every process: Probot's throttling shared through Redis spaces the
// content-creating requests of two worker processes on one installation. GitHub asks to "wait
// at least one second between each request" that creates content.
// https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#avoid-concurrent-requests

import { execFile } from "node:child_process";
import { randomInt } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitHubFakeServer, startGitHubFake } from "../../testkit/fakes/github/index.ts";
import { REDIS_URL } from "../../testkit/services.ts";

const run = promisify(execFile);

describe("a write limiter shared through Redis", () => {
  let fake: GitHubFakeServer;

  beforeAll(async () => {
    fake = await startGitHubFake({ slug: "build-practical" });
  });
  afterAll(async () => fake?.close());

  /** Two worker processes post two comments each at once; the gaps between their writes. */
  async function gapsBetweenWrites(redisUrl: string): Promise<number[]> {
    // A fresh installation: the limiter's Redis keys are per installation.
    const installation = randomInt(1_000_000, 2_000_000_000);
    const owner = `acme-${installation}`;
    fake.addInstallation({ id: installation, account: owner, accountType: "Organization" });
    fake.addRepo({ installationId: installation, owner, name: "widgets", files: {} });
    fake.openIssue({ owner, repo: "widgets", author: "alice", title: "T" });
    const env = {
      PATH: process.env.PATH,
      APP_ID: String(fake.appId),
      PRIVATE_KEY: fake.privateKey,
      GITHUB_URL: fake.baseUrl,
      INSTALLATION: String(installation),
      OWNER: owner,
      REDIS_URL: redisUrl,
    };
    const script = "test/integration/support/throttled-writer.ts";
    const outputs = await Promise.all(
      [1, 2].map(() => run(process.execPath, [script], { env, timeout: 60_000 })),
    );
    const times = outputs.flatMap((o) => JSON.parse(o.stdout) as number[]).sort((a, b) => a - b);
    return times.slice(1).map((t, i) => t - (times[i] ?? t));
  }

  it("spaces the writes of two worker processes at least a second apart", async () => {
    const gaps = await gapsBetweenWrites(REDIS_URL);
    expect(gaps).toHaveLength(3);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(900);
  }, 90_000);
});
