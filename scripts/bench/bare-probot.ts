// The benchmark's baseline: a bare Probot app that verifies each webhook and acknowledges it,
// doing nothing else. Started as a child process with APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, HOST
// and PORT, like the app's web role, and on the same Probot server.

import { Probot, Server } from "probot";
import { createLogger } from "../../src/log.ts";

const env = process.env;
const log = createLogger({
  level: env.LOG_LEVEL ?? "info",
  format: env.LOG_FORMAT === "pretty" ? "pretty" : "json",
});
const server = new Server({
  Probot: Probot.defaults({
    appId: Number(env.APP_ID),
    privateKey: env.PRIVATE_KEY ?? "",
    secret: env.WEBHOOK_SECRET ?? "",
    log,
  }),
  host: env.HOST ?? "127.0.0.1",
  port: Number(env.PORT ?? 3000),
  log,
});
await server.load((app) => {
  app.on("issue_comment.created", async () => {});
});
await server.start();

const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
