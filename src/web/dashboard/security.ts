import type { RequestHandler } from "express";
import { rateLimit } from "express-rate-limit";
import helmet from "helmet";
import { errorPage } from "./errors.ts";
import { localsOf } from "./session.ts";

/** Security headers: `pages` for the dashboard, `board` for the queue board's UI. */
export function securityHeaders(secure: boolean): { pages: RequestHandler; board: RequestHandler } {
  const pages = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
        ...(secure ? { "upgrade-insecure-requests": [] } : {}),
      },
    },
    referrerPolicy: { policy: "same-origin" },
    strictTransportSecurity: secure ? { maxAge: 31_536_000 } : false,
    crossOriginEmbedderPolicy: false,
    xFrameOptions: { action: "deny" },
  });
  // The queue board's UI sets inline styles; its scripts are files, so scripts stay 'self'.
  const board = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
      },
    },
    referrerPolicy: { policy: "same-origin" },
    strictTransportSecurity: secure ? { maxAge: 31_536_000 } : false,
    crossOriginEmbedderPolicy: false,
    xFrameOptions: { action: "deny" },
  });
  return { pages, board };
}

export interface RateLimitOptions {
  windowMs?: number;
  signIn?: number;
  keyChecks?: number;
}

const limited =
  (what: string): RequestHandler =>
  (_req, res) =>
    errorPage(res, 429, "Too many attempts", `Too many ${what}. Wait a few minutes and try again.`);

/**
 * Sign-ins per address and key checks per user. In memory, per process: a few web replicas
 * multiply them, which is fine.
 */
export function rateLimits(options: RateLimitOptions = {}): {
  signIn: RequestHandler;
  keyChecks: RequestHandler;
} {
  const windowMs = options.windowMs ?? 15 * 60_000;
  const signIn = rateLimit({
    windowMs,
    // Each sign-in is two requests (/login, /auth/callback): 60 is about 30 sign-ins.
    limit: options.signIn ?? 60,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    handler: limited("sign-in attempts from your address"),
  });
  const keyChecks = rateLimit({
    windowMs,
    limit: options.keyChecks ?? 10,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    keyGenerator: (_req, res) => `user:${localsOf(res).session?.userId ?? "none"}`,
    handler: limited("key checks"),
  });
  return { signIn, keyChecks };
}
