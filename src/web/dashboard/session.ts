import type { ServerResponse } from "node:http";
import type { CookieOptions, RequestHandler, Response } from "express";
import type { Session, SessionStore } from "../../adapters/store/sessions.ts";

export const SESSION_COOKIE = "bp_session";
export const OAUTH_COOKIE = "bp_oauth";

/** What every request carries once the session middleware ran. */
interface Locals {
  session: Session | null;
  sessionId: string | null;
}

export const localsOf = (res: Response) => res.locals as unknown as Locals;

/** The options every dashboard cookie shares; `secure` when the dashboard is served over https. */
export function cookieOptions(secure: boolean): CookieOptions {
  return { httpOnly: true, sameSite: "lax", secure, signed: true };
}

/** Puts the signed-in user's session, if any, in `res.locals`; clears a cookie that names none. */
export function loadSession(sessions: SessionStore, cookies: CookieOptions): RequestHandler {
  return async (req, res, next) => {
    const locals = localsOf(res);
    locals.session = null;
    locals.sessionId = null;
    const id = req.signedCookies?.[SESSION_COOKIE];
    if (typeof id === "string" && id) {
      const session = await sessions.find(id);
      if (session) {
        locals.session = session;
        locals.sessionId = id;
      } else {
        res.clearCookie(SESSION_COOKIE, { ...cookies, signed: false, path: "/" });
      }
    }
    next();
  };
}

/**
 * The HTTP request log serializes each response's headers (`res.getHeaders()`), which would put
 * session cookies in the logs. This response reports its headers without Set-Cookie; Node writes
 * them from its own record, so the browser still receives them.
 */
export function hideCookiesFromLogs(res: ServerResponse): void {
  const getHeaders = res.getHeaders.bind(res);
  res.getHeaders = () => {
    const { "set-cookie": _hidden, ...rest } = getHeaders();
    return rest;
  };
}
