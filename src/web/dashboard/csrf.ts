import type { RequestHandler } from "express";
import { csrfMatches } from "../../adapters/store/sessions.ts";
import type { Logger } from "../../log.ts";
import { PageError } from "./errors.ts";
import { localsOf } from "./session.ts";

/** Every POST carries the session's CSRF token. */
export function csrfCheck(log: Logger): RequestHandler {
  return (req, res, next) => {
    if (req.method !== "POST") return next();
    const { session } = localsOf(res);
    const submitted = (req.body as Record<string, unknown> | undefined)?._csrf;
    if (!session || !csrfMatches(session, submitted)) {
      log.warn({ path: req.path }, "dashboard: a form without a valid CSRF token was refused");
      throw new PageError(
        403,
        "Form refused",
        "This form has expired or did not come from the dashboard. Reload the page and try again.",
      );
    }
    next();
  };
}
