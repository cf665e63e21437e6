import type { Response } from "express";
import { renderPage } from "./render.ts";
import { localsOf } from "./session.ts";

/** Where the operator's queue board is served, and where the layout links to it. */
export const QUEUE_BOARD_PATH = "/admin/queues";

/** Fields every page's layout reads; `queueBoard` shows the link to the operator's board. */
export function layoutFields(res: Response, title: string, queueBoard = false) {
  const { session } = localsOf(res);
  return {
    title,
    user: session ? { login: session.login } : null,
    csrf: session?.csrfToken ?? "",
    queueBoard,
    queueBoardPath: QUEUE_BOARD_PATH,
  };
}

/** Renders `views/dashboard/<name>.hbs` as the response, never cached. */
export function sendPage(
  res: Response,
  status: number,
  name: string,
  data: Record<string, unknown>,
) {
  res.status(status).set("cache-control", "no-store").type("html").send(renderPage(name, data));
}
