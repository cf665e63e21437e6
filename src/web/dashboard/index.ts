// The dashboard: composes the security headers, session, CSRF check and routes into one app.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Queue } from "bullmq";
import cookieParser from "cookie-parser";
import express, { type Request, type Response } from "express";
import type { Store } from "../../adapters/store/store.ts";
import type { Config } from "../../config/env.ts";
import { cookieSecret } from "../../core/sealed.ts";
import type { Logger } from "../../log.ts";
import type { Metrics } from "../../ops/metrics.ts";
import { projectPath } from "../../project-root.ts";
import { AccessCache, UserAccess } from "./access.ts";
import { csrfCheck } from "./csrf.ts";
import { errorHandler, notFoundRoute } from "./errors.ts";
import { GitHubSignIn } from "./github-user.ts";
import { authRoutes } from "./routes/auth.ts";
import { pageRoutes } from "./routes/pages.ts";
import { queueBoardRoutes } from "./routes/queue-board.ts";
import { settingsRoutes } from "./routes/settings.ts";
import { type RateLimitOptions, rateLimits, securityHeaders } from "./security.ts";
import { cookieOptions, hideCookiesFromLogs, loadSession } from "./session.ts";

export interface DashboardOptions {
  config: Config;
  log: Logger;
  store: Store;
  /** The BullMQ queues the operator's board shows. */
  queues: Queue[];
  metrics: Metrics;
  /** Sign-in requests per address, and key checks per user, in each window (15 minutes). */
  rateLimits?: RateLimitOptions;
  /** How long what GitHub said about a user's access is reused (default 60 s). */
  accessTtlMs?: number;
  /** How often a working feature's page asks whether it changed (default 5 s). */
  pollMs?: number;
}

export interface Dashboard {
  /** A route for `createApp({ routes })`: serves every request the webhook and health routes did not. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

export function createDashboard(options: DashboardOptions): Dashboard {
  const { config, log, store, metrics } = options;
  const queries = store.dashboard;
  const keys = [config.encryptionKey, ...config.previousEncryptionKeys];
  const sessions = store.sessions(keys);
  const signIn =
    config.githubClientId && config.githubClientSecret
      ? new GitHubSignIn({
          apiUrl: config.githubApiUrl,
          clientId: config.githubClientId,
          clientSecret: config.githubClientSecret,
          redirectUrl: `${config.publicUrl}/auth/callback`,
          log,
        })
      : null;
  const access = new UserAccess({
    sessions,
    cache: new AccessCache(options.accessTtlMs ?? 60_000),
    signIn,
    operatorOrg: config.operatorOrg,
    log,
  });
  const secure = config.publicUrl.startsWith("https:");
  const cookies = cookieOptions(secure);
  const headers = securityHeaders(secure);
  const limits = rateLimits(options.rateLimits);

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", config.trustProxy ? 1 : false);

  // Operations: metrics (bearer token when configured).
  app.get("/metrics", (req, res) => {
    void metrics.serve(req, res, config.metricsToken);
  });
  app.use(
    "/static",
    headers.pages,
    express.static(projectPath("views/dashboard/static"), {
      index: false,
      dotfiles: "ignore",
      maxAge: "1h",
      fallthrough: false,
    }),
  );
  app.use(cookieParser(keys.map(cookieSecret)));
  app.use(loadSession(sessions, cookies));
  app.use(
    queueBoardRoutes({
      queues: options.queues,
      access,
      operatorOrg: config.operatorOrg,
      headers: headers.board,
    }),
  );
  app.use(headers.pages);
  app.use(express.urlencoded({ extended: false, limit: "32kb", parameterLimit: 200 }));
  app.use(csrfCheck(log));
  app.use(authRoutes({ signIn, sessions, access, cookies, signInLimit: limits.signIn, log }));
  app.use(
    pageRoutes({
      config,
      store,
      queries,
      access,
      signInConfigured: signIn !== null,
      pollMs: options.pollMs ?? 5_000,
    }),
  );
  app.use(settingsRoutes({ config, store, queries, access, keyCheckLimit: limits.keyChecks, log }));
  app.use(notFoundRoute);
  app.use(errorHandler(log));

  return {
    handle(req, res) {
      hideCookiesFromLogs(res);
      app(req as Request, res as Response);
      return true;
    },
  };
}
