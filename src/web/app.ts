import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApplicationFunction, Probot } from "probot";
import { WEBHOOK_PATH } from "../config/env.ts";
import { onCheckRunCompleted } from "../handlers/check-run-completed.ts";
import { onCheckRunRequestedAction } from "../handlers/check-run-requested-action.ts";
import { onCheckRunRerequested } from "../handlers/check-run-rerequested.ts";
import { onCheckSuiteCompleted } from "../handlers/check-suite-completed.ts";
import { onCheckSuiteRerequested } from "../handlers/check-suite-rerequested.ts";
import type { HandlerDeps } from "../handlers/context.ts";
import { onInstallation } from "../handlers/installation.ts";
import { onIssueCommentCreated } from "../handlers/issue-comment-created.ts";
import { onIssuesLabeled } from "../handlers/issues-labeled.ts";
import { onIssuesOpened } from "../handlers/issues-opened.ts";
import { onPullRequestClosed } from "../handlers/pull-request-closed.ts";
import { onPullRequestReviewSubmitted } from "../handlers/pull-request-review-submitted.ts";
import { onStatus } from "../handlers/status.ts";
import type { JobQueue } from "../ports/queue.ts";

export interface AppDeps extends Omit<HandlerDeps, "github"> {
  queue: JobQueue;
  appId: number;
  /**
   * The handlers' GitHub port, over the Probot instance that receives the webhooks: it shares
   * that instance's installation tokens with the webhook contexts.
   */
  githubFor: (app: Probot) => HandlerDeps["github"];
  /** Told the event name of each delivery whose signature was verified (the metrics). */
  countDelivery?: (name: string) => void;
  /** Extra HTTP routes (the dashboard), tried after health checks. */
  routes?: ((req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>)[];
}

/** Registers the webhook handlers and HTTP routes. Handlers only record and enqueue. */
export function createApp(deps: AppDeps): ApplicationFunction {
  return (app: Probot, { addHandler }) => {
    const handlerDeps = { ...deps, github: deps.githubFor(app) };
    // No log line of its own per delivery: Probot's request line carries its id and event
    // (`deliveryOfRequest` in src/log.ts) and the answer.
    if (deps.countDelivery) {
      const count = deps.countDelivery;
      app.onAny((event) => count(event.name));
    }
    app.on("issues.opened", onIssuesOpened(handlerDeps));
    app.on("issues.labeled", onIssuesLabeled(handlerDeps));
    app.on("issue_comment.created", onIssueCommentCreated(handlerDeps));
    app.on("pull_request.closed", onPullRequestClosed(handlerDeps));
    app.on("pull_request_review.submitted", onPullRequestReviewSubmitted(handlerDeps));
    app.on("check_suite.completed", onCheckSuiteCompleted(handlerDeps));
    app.on("check_run.completed", onCheckRunCompleted(handlerDeps));
    app.on("status", onStatus(handlerDeps));
    app.on("check_run.requested_action", onCheckRunRequestedAction(handlerDeps));
    app.on("check_run.rerequested", onCheckRunRerequested(handlerDeps));
    app.on("check_suite.rerequested", onCheckSuiteRerequested(handlerDeps));
    app.on(["installation", "installation_repositories"], onInstallation(handlerDeps));

    // Probot's setup page registers the app with this server's bare address as its webhook URL
    // (`hook_attributes.url` is `WEBHOOK_PROXY_URL` or `<address>/`: probot/lib/manifest-creation.js),
    // so a delivery to "/" is handled as one to the webhook path.
    const webhooks = app.getNodeMiddleware();
    addHandler(async (req, res) => {
      if (req.method !== "POST" || (req.url ?? "/").split("?")[0] !== "/") return false;
      req.url = WEBHOOK_PATH;
      return (await webhooks)(req, res);
    });
    addHandler(async (req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method !== "GET") return false;
      if (path === "/healthz") return sendJson(res, 200, { status: "ok" });
      if (path === "/readyz") {
        const problems = await readinessProblems(deps);
        return sendJson(res, problems.length ? 503 : 200, {
          status: problems.length ? "unavailable" : "ok",
          ...(problems.length ? { unavailable: problems } : {}),
        });
      }
      return false;
    });
    for (const route of deps.routes ?? []) addHandler(route);
  };
}

async function readinessProblems(deps: AppDeps): Promise<string[]> {
  const within = <T>(promise: Promise<T>) =>
    Promise.race([
      promise,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), 2_000)),
    ]);
  const [postgres, redis] = await Promise.allSettled([
    within(deps.store.ping()),
    within(deps.queue.ping()),
  ]);
  const problems: string[] = [];
  if (postgres.status === "rejected") problems.push("postgres");
  if (redis.status === "rejected") problems.push("redis");
  return problems;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  return true;
}
