import type { ErrorRequestHandler, RequestHandler, Response } from "express";
import type { Logger } from "../../log.ts";
import { layoutFields, sendPage } from "./layout.ts";

/** Thrown inside a request: answered with an error page of this status. */
export class PageError extends Error {
  readonly status: number;
  readonly heading: string;
  /** Signed out on a page that needs a session: a GET goes to sign-in, then comes back. */
  readonly signInFirst: boolean;
  constructor(status: number, heading: string, message: string, signInFirst = false) {
    super(message);
    this.status = status;
    this.heading = heading;
    this.signInFirst = signInFirst;
  }
}

export const notFound = () =>
  new PageError(
    404,
    "Not found",
    "There is nothing here, or you do not have access to it with your GitHub account.",
  );

export function errorPage(res: Response, status: number, heading: string, message: string) {
  sendPage(res, status, "error", {
    ...layoutFields(res, heading),
    status,
    heading,
    message,
    signIn: status === 401,
  });
}

/** Last route: whatever no route answered. */
export const notFoundRoute: RequestHandler = () => {
  throw notFound();
};

/** Turns what a request threw into an error page; only unexpected failures are logged. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    if (res.headersSent) {
      res.end();
      return;
    }
    if (error instanceof PageError) {
      if (error.signInFirst && req.method === "GET") {
        res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
        return;
      }
      errorPage(res, error.status, error.heading, error.message);
      return;
    }
    const status = (error as { status?: number; statusCode?: number }).status;
    if (status === 404) {
      const page = notFound();
      errorPage(res, page.status, page.heading, page.message);
      return;
    }
    if (typeof status === "number" && status >= 400 && status < 500) {
      // Body parser limits and malformed bodies.
      errorPage(res, status, "Bad request", "The request could not be read.");
      return;
    }
    log.error(
      { path: req.path, reason: error instanceof Error ? error.message : String(error) },
      "dashboard: a page failed",
    );
    errorPage(res, 500, "Something went wrong", "The page could not be shown. Try again shortly.");
  };
}
