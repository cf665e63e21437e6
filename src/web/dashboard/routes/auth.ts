// Signing in with GitHub (OAuth web flow) and signing out.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { type CookieOptions, type RequestHandler, Router } from "express";
import type { SessionStore } from "../../../adapters/store/sessions.ts";
import { SignInError } from "../../../errors.ts";
import type { Logger } from "../../../log.ts";
import type { UserAccess } from "../access.ts";
import { notFound, PageError } from "../errors.ts";
import type { GitHubSignIn } from "../github-user.ts";
import { localsOf, OAUTH_COOKIE, SESSION_COOKIE } from "../session.ts";

export interface AuthDeps {
  /** Null when the operator has not configured the app's OAuth credentials. */
  signIn: GitHubSignIn | null;
  sessions: SessionStore;
  access: UserAccess;
  cookies: CookieOptions;
  signInLimit: RequestHandler;
  log: Logger;
}

export function authRoutes({
  signIn,
  sessions,
  access,
  cookies,
  signInLimit,
  log,
}: AuthDeps): Router {
  const router = Router();

  router.get("/login", signInLimit, (req, res) => {
    if (!signIn) {
      throw new PageError(
        503,
        "Sign-in is not set up",
        "The operator has not configured GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET.",
      );
    }
    const state = randomBytes(24).toString("base64url");
    const next = safeNext(req.query.next);
    res.cookie(OAUTH_COOKIE, `${state}|${next}`, {
      ...cookies,
      path: "/auth",
      maxAge: 10 * 60_000,
    });
    res.redirect(302, signIn.authorizeUrl(state));
  });

  router.get("/auth/callback", signInLimit, async (req, res) => {
    if (!signIn) throw notFound();
    const stored = req.signedCookies?.[OAUTH_COOKIE];
    res.clearCookie(OAUTH_COOKIE, { ...cookies, signed: false, path: "/auth" });
    if (typeof req.query.error === "string") {
      throw new PageError(
        401,
        "Sign-in cancelled",
        req.query.error === "access_denied"
          ? "You did not authorize the app on GitHub, so you are not signed in."
          : "GitHub did not complete the sign-in. Try again.",
      );
    }
    const [expected = "", next = "/"] = typeof stored === "string" ? stored.split("|") : [];
    const state = typeof req.query.state === "string" ? req.query.state : "";
    const code = typeof req.query.code === "string" ? req.query.code : "";
    if (!expected || !equal(expected, state) || !code) {
      log.warn("sign-in: the callback's state did not match");
      throw new PageError(
        400,
        "Sign-in could not be verified",
        "This sign-in did not start here or took too long. Sign in again.",
      );
    }
    let user: { id: number; login: string };
    let created: { id: string; expiresAt: Date };
    try {
      const { token, expiresAt } = await signIn.exchangeCode(code);
      user = await signIn.forToken(token).getUser();
      created = await sessions.create({ userId: user.id, login: user.login, token, expiresAt });
    } catch (error) {
      if (error instanceof SignInError) throw new PageError(401, "Sign-in failed", error.message);
      throw error;
    }
    const previous = localsOf(res).sessionId;
    if (previous) await sessions.delete(previous);
    res.cookie(SESSION_COOKIE, created.id, {
      ...cookies,
      path: "/",
      maxAge: Math.max(0, created.expiresAt.getTime() - Date.now()),
    });
    log.info({ login: user.login, userId: user.id }, "dashboard: signed in");
    res.redirect(303, safeNext(next));
  });

  router.post("/logout", async (_req, res) => {
    const { session, sessionId } = localsOf(res);
    if (session && sessionId) {
      await sessions.delete(sessionId);
      access.forget(session.idHash);
      log.info({ login: session.login }, "dashboard: signed out");
    }
    res.clearCookie(SESSION_COOKIE, { ...cookies, signed: false, path: "/" });
    res.redirect(303, "/");
  });

  return router;
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A same-site path to return to after signing in; anything else goes home. */
function safeNext(value: unknown): string {
  if (typeof value !== "string") return "/";
  if (!value.startsWith("/") || value.startsWith("//") || value.includes("\\")) return "/";
  if (value.length > 500 || value.includes("|") || /[\r\n]/.test(value)) return "/";
  return value;
}
