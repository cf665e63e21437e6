// One worker process's GitHub client, as runtime.ts makes it: posts two comments at once and
// prints when each write completed. Run twice at once by github-throttle.test.ts.

import { pino } from "pino";
import { Probot } from "probot";
import { probotOptionsOf } from "../../../src/main/runtime.ts";

const env = process.env;
const probot = new Probot(
  probotOptionsOf(
    {
      appId: Number(env.APP_ID),
      privateKey: env.PRIVATE_KEY ?? "",
      webhookSecret: "webhook-secret",
      githubApiUrl: env.GITHUB_URL ?? "",
      githubThrottle: true,
      redisUrl: env.REDIS_URL ?? "",
    },
    pino({ level: "silent" }),
  ),
);
const octokit = await probot.auth(Number(env.INSTALLATION));
await octokit.rest.issues.get({ owner: env.OWNER ?? "", repo: "widgets", issue_number: 1 }); // warm up
await Promise.all(
  [1, 2].map(async (n) => {
    await octokit.rest.issues.createComment({
      owner: env.OWNER ?? "",
      repo: "widgets",
      issue_number: 1,
      body: `${process.pid} ${n}`,
    });
    return Date.now();
  }),
).then((times) => {
  process.stdout.write(JSON.stringify(times));
  process.exit(0);
});
