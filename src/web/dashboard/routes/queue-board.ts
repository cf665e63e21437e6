// The operator's queue board (@bull-board), for admins of the operator organisation's installation.
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import type { Queue } from "bullmq";
import { type Request, type RequestHandler, Router } from "express";
import type { UserAccess } from "../access.ts";
import { PageError } from "../errors.ts";
import { QUEUE_BOARD_PATH } from "../layout.ts";
import { localsOf } from "../session.ts";

export interface QueueBoardDeps {
  /** The BullMQ queues the board shows. */
  queues: Queue[];
  access: UserAccess;
  /** For the refusal's wording only; `access` decides who is an operator admin. */
  operatorOrg: string | undefined;
  /** Security headers that let the board's UI work. */
  headers: RequestHandler;
}

export function queueBoardRoutes({ queues, access, operatorOrg, headers }: QueueBoardDeps): Router {
  const board = new ExpressAdapter();
  board.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q)),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: "Build Practical" } },
  });
  const router = Router();
  router.use(
    QUEUE_BOARD_PATH,
    headers,
    async (req, res, next) => {
      if (!localsOf(res).session) {
        res.redirect(303, `/login?next=${encodeURIComponent(QUEUE_BOARD_PATH)}`);
        return;
      }
      if (!access.isOperatorAdmin(await access.of(res))) {
        throw new PageError(
          403,
          "Not allowed",
          operatorOrg
            ? `The queue board is for admins of the ${operatorOrg} organisation's installation.`
            : "The queue board is turned off (OPERATOR_ORG is not set).",
        );
      }
      // The board's own writes (retry, clean) cannot carry our form token: accept them only
      // from this origin, as browsers report it.
      if (req.method !== "GET" && req.method !== "HEAD" && !sameOrigin(req)) {
        throw new PageError(403, "Refused", "That request did not come from this dashboard.");
      }
      next();
    },
    board.getRouter() as RequestHandler,
  );
  return router;
}

function sameOrigin(req: Request): boolean {
  const site = req.headers["sec-fetch-site"];
  if (typeof site === "string") return site === "same-origin";
  const origin = req.headers.origin;
  if (typeof origin !== "string") return false;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
