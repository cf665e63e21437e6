import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import type { Queue } from "bullmq";
import cookieParser from "cookie-parser";
import express, {
  type CookieOptions,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from "express";
import { rateLimit } from "express-rate-limit";
import helmet from "helmet";
import { dashboardQueries } from "../../adapters/store/dashboard-queries.ts";
import { csrfMatches, type Session, SessionStore } from "../../adapters/store/sessions.ts";
import type { Store } from "../../adapters/store/store.ts";
import type { Config } from "../../config/env.ts";
import { parseInstallationSettings } from "../../config/installation-settings.ts";
import { STAGES } from "../../core/feature.ts";
import { encryptModelKey } from "../../core/model-keys.ts";
import { cookieSecret } from "../../core/sealed.ts";
import { githubStatusOf, SignInError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import type { Metrics } from "../../ops/metrics.ts";
import { projectPath } from "../../project-root.ts";
import {
  type Access,
  AccessCache,
  type InstallationAccess,
  loadAccess,
  repoKey,
} from "./access.ts";
import { GitHubSignIn } from "./github-user.ts";
import { checkModelKey } from "./model-key.ts";
import {
  agentRuns,
  conversation,
  githubLinks,
  isStopped,
  modelSettingsRows,
  reviews,
  stageKind,
  stageOptions,
  timeline,
} from "./pages.ts";
import { renderPage } from "./render.ts";
import { parseSettingsForm } from "./settings.ts";

export const SESSION_COOKIE = "bp_session";
export const OAUTH_COOKIE = "bp_oauth";
export const QUEUE_BOARD_PATH = "/admin/queues";

export interface DashboardOptions {
  config: Config;
  log: Logger;
  store: Store;
  /** The BullMQ queues the operator's board shows. */
  queues: Queue[];
  metrics: Metrics;
  /** Sign-in requests per address, and key checks per user, in each window (15 minutes). */
  rateLimits?: { windowMs?: number; signIn?: number; keyChecks?: number };
  /** How long what GitHub said about a user's access is reused (default 60 s). */
  accessTtlMs?: number;
  /** How often a working feature's page asks whether it changed (default 5 s). */
  pollMs?: number;
}

export interface Dashboard {
  /** A route for `createApp({ routes })`: serves every request the webhook and health routes did not. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

/** Thrown inside a request: answered with an error page of this status. */
class PageError extends Error {
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

const notFound = () =>
  new PageError(
    404,
    "Not found",
    "There is nothing here, or you do not have access to it with your GitHub account.",
  );

interface Locals {
  session: Session | null;
  sessionId: string | null;
}

const localsOf = (res: Response) => res.locals as unknown as Locals;

export function createDashboard(options: DashboardOptions): Dashboard {
  const { config, log, store, metrics } = options;
  const queries = dashboardQueries(store.db);
  const keys = [config.encryptionKey, ...config.previousEncryptionKeys];
  const sessions = new SessionStore(store.db, keys);
  const accessCache = new AccessCache(options.accessTtlMs ?? 60_000);
  const secure = config.publicUrl.startsWith("https:");
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
  const pollMs = options.pollMs ?? 5_000;

  const cookieBase: CookieOptions = { httpOnly: true, sameSite: "lax", secure, signed: true };

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", config.trustProxy ? 1 : false);

  // ---- operations: metrics (bearer token when configured) -----------------------------------
  app.get("/metrics", (req, res) => {
    void metrics.serve(req, res, config.metricsToken);
  });

  // ---- security headers -----------------------------------------------------------------------
  const pageHeaders = helmet({
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
  const boardHeaders = helmet({
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

  app.use(
    "/static",
    pageHeaders,
    express.static(projectPath("views/dashboard/static"), {
      index: false,
      dotfiles: "ignore",
      maxAge: "1h",
      fallthrough: false,
    }),
  );

  app.use(cookieParser(keys.map(cookieSecret)));

  // ---- the session, if any ---------------------------------------------------------------------
  app.use(async (req, res, next) => {
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
        res.clearCookie(SESSION_COOKIE, { ...cookieBase, signed: false, path: "/" });
      }
    }
    next();
  });

  /**
   * What GitHub says the user may see: from the cache for pages, asked afresh with the user's
   * token for anything that changes data.
   */
  async function accessOf(res: Response, fresh = false): Promise<Access> {
    const { session, sessionId } = localsOf(res);
    if (!session || !sessionId || !signIn) {
      throw new PageError(401, "Sign in", "Sign in first.", true);
    }
    const cached = fresh ? undefined : accessCache.get(session.idHash);
    if (cached) return cached;
    const token = session.token();
    if (!token) {
      await sessions.delete(sessionId);
      throw new PageError(401, "Sign in again", "Your session ended. Sign in again.");
    }
    try {
      const access = await loadAccess(signIn.forToken(token), session.login);
      accessCache.set(session.idHash, access);
      return access;
    } catch (error) {
      const status = githubStatusOf(error);
      if (status === 401) {
        await sessions.delete(sessionId);
        accessCache.delete(session.idHash);
        throw new PageError(
          401,
          "Sign in again",
          "GitHub no longer accepts your sign-in (it expired or was revoked). Sign in again.",
        );
      }
      log.warn({ status, login: session.login }, "dashboard: GitHub did not answer for a user");
      throw new PageError(
        502,
        "GitHub did not answer",
        "GitHub could not be asked what you can see. Try again in a moment.",
      );
    }
  }

  function installationOf(access: Access, idText: string | undefined): InstallationAccess {
    const id = Number(idText);
    const installation = access.installations.find((i) => i.id === id);
    if (!Number.isSafeInteger(id) || !installation) throw notFound();
    return installation;
  }

  function operatorAdmin(access: Access): boolean {
    const org = config.operatorOrg?.toLowerCase();
    return (
      org !== undefined &&
      access.installations.some((i) => i.account.toLowerCase() === org && i.admin)
    );
  }

  /** Fields every page's layout reads. */
  function common(res: Response, title: string, access: Access | null = null) {
    const { session } = localsOf(res);
    return {
      title,
      user: session ? { login: session.login } : null,
      csrf: session?.csrfToken ?? "",
      queueBoard: access ? operatorAdmin(access) : false,
      queueBoardPath: QUEUE_BOARD_PATH,
    };
  }

  function sendPage(res: Response, status: number, name: string, data: Record<string, unknown>) {
    res.status(status).set("cache-control", "no-store").type("html").send(renderPage(name, data));
  }

  function errorPage(res: Response, status: number, heading: string, message: string) {
    sendPage(res, status, "error", {
      ...common(res, heading),
      status,
      heading,
      message,
      signIn: status === 401,
    });
  }

  // ---- rate limits (in memory, per process: a few web replicas multiply them, which is fine) ----
  const windowMs = options.rateLimits?.windowMs ?? 15 * 60_000;
  const limited =
    (what: string): RequestHandler =>
    (_req, res) =>
      errorPage(
        res,
        429,
        "Too many attempts",
        `Too many ${what}. Wait a few minutes and try again.`,
      );
  const signInLimit = rateLimit({
    windowMs,
    // Each sign-in is two requests (/login, /auth/callback): 60 is about 30 sign-ins.
    limit: options.rateLimits?.signIn ?? 60,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    handler: limited("sign-in attempts from your address"),
  });
  const keyCheckLimit = rateLimit({
    windowMs,
    limit: options.rateLimits?.keyChecks ?? 10,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    keyGenerator: (_req, res) => `user:${localsOf(res).session?.userId ?? "none"}`,
    handler: limited("key checks"),
  });

  // ---- the operator's queue board (@bull-board) ---------------------------------------------------
  const board = new ExpressAdapter();
  board.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: options.queues.map((q) => new BullMQAdapter(q)),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: "Build Practical" } },
  });
  app.use(
    QUEUE_BOARD_PATH,
    boardHeaders,
    async (req, res, next) => {
      if (!localsOf(res).session) {
        res.redirect(303, `/login?next=${encodeURIComponent(QUEUE_BOARD_PATH)}`);
        return;
      }
      const access = await accessOf(res);
      if (!operatorAdmin(access)) {
        throw new PageError(
          403,
          "Not allowed",
          config.operatorOrg
            ? `The queue board is for admins of the ${config.operatorOrg} organisation's installation.`
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

  app.use(pageHeaders);
  app.use(express.urlencoded({ extended: false, limit: "32kb", parameterLimit: 200 }));

  // Every POST carries the session's CSRF token.
  app.use((req, res, next) => {
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
  });

  // ---- sign-in ------------------------------------------------------------------------------------
  app.get("/login", signInLimit, (req, res) => {
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
      ...cookieBase,
      path: "/auth",
      maxAge: 10 * 60_000,
    });
    res.redirect(302, signIn.authorizeUrl(state));
  });

  app.get("/auth/callback", signInLimit, async (req, res) => {
    if (!signIn) throw notFound();
    const stored = req.signedCookies?.[OAUTH_COOKIE];
    res.clearCookie(OAUTH_COOKIE, { ...cookieBase, signed: false, path: "/auth" });
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
      ...cookieBase,
      path: "/",
      maxAge: Math.max(0, created.expiresAt.getTime() - Date.now()),
    });
    log.info({ login: user.login, userId: user.id }, "dashboard: signed in");
    res.redirect(303, safeNext(next));
  });

  app.post("/logout", async (_req, res) => {
    const { session, sessionId } = localsOf(res);
    if (session && sessionId) {
      await sessions.delete(sessionId);
      accessCache.delete(session.idHash);
      log.info({ login: session.login }, "dashboard: signed out");
    }
    res.clearCookie(SESSION_COOKIE, { ...cookieBase, signed: false, path: "/" });
    res.redirect(303, "/");
  });

  // ---- pages --------------------------------------------------------------------------------------
  app.get("/", async (_req, res) => {
    if (!localsOf(res).session) {
      sendPage(res, 200, "signin", {
        ...common(res, "Sign in"),
        configured: signIn !== null,
      });
      return;
    }
    const access = await accessOf(res);
    const rows = await queries.installations(access.installations.map((i) => i.id));
    const cards = await Promise.all(
      access.installations.map(async (installation) => {
        const row = rows.find((r) => r.id === installation.id);
        const settings = parseInstallationSettings(row?.settings);
        const repoKeys = installation.repos.map((r) => repoKey(r.owner, r.name));
        return {
          id: installation.id,
          account: installation.account,
          accountType: installation.accountType,
          admin: installation.admin,
          repoCount: installation.repos.length,
          keyHint: row?.model_key_hint ?? null,
          monthlyBudget: settings.budget_monthly_usd ?? null,
          ...(await queries.summary(installation.id, repoKeys)),
        };
      }),
    );
    sendPage(res, 200, "overview", {
      ...common(res, "Installations", access),
      installations: cards,
      retentionDays: config.retentionDays,
    });
  });

  app.get("/installations/:id", async (req, res) => {
    const access = await accessOf(res);
    const installation = installationOf(access, req.params.id);
    const repoKeys = installation.repos.map((r) => repoKey(r.owner, r.name));
    const repoFilter = typeof req.query.repo === "string" ? req.query.repo : "";
    const stageFilter = typeof req.query.stage === "string" ? req.query.stage : "";
    const repo = repoKeys.includes(repoFilter.toLowerCase()) ? repoFilter : "";
    const stage = (STAGES as readonly string[]).includes(stageFilter) ? stageFilter : "";
    const features = await queries.listFeatures(installation.id, repoKeys, { repo, stage });
    sendPage(res, 200, "features", {
      ...common(res, `${installation.account} · features`, access),
      installation: {
        id: installation.id,
        account: installation.account,
        admin: installation.admin,
      },
      features: features.map((f) => ({ ...f, kind: stageKind(f.stage) })),
      repos: installation.repos.map((r) => {
        const name = `${r.owner}/${r.name}`;
        return { value: name, selected: name.toLowerCase() === repo.toLowerCase() };
      }),
      stages: stageOptions(stage || undefined),
      filtered: Boolean(repo || stage),
    });
  });

  async function featureFor(req: Request, res: Response) {
    const access = await accessOf(res);
    const installation = installationOf(access, req.params.id as string | undefined);
    const featureId = Number(req.params.featureId);
    if (!Number.isSafeInteger(featureId)) throw notFound();
    const feature = await queries.feature(installation.id, featureId);
    const readable = new Set(installation.repos.map((r) => repoKey(r.owner, r.name)));
    if (!feature || !readable.has(repoKey(feature.repo_owner, feature.repo_name))) {
      throw notFound();
    }
    return { access, installation, feature };
  }

  app.get("/installations/:id/features/:featureId", async (req, res) => {
    const { access, installation, feature } = await featureFor(req, res);
    const [events, approvals, messages, runs] = await Promise.all([
      queries.featureEvents(feature.id),
      store.listApprovals(feature.id),
      store.listMessages(feature.id),
      queries.agentRuns(feature.id),
    ]);
    const usage = agentRuns(runs);
    sendPage(res, 200, "feature", {
      ...common(res, `${feature.repo_owner}/${feature.repo_name}#${feature.issue_number}`, access),
      installation: { id: installation.id, account: installation.account },
      feature: {
        id: feature.id,
        repo: `${feature.repo_owner}/${feature.repo_name}`,
        issueNumber: feature.issue_number,
        title: feature.issue_title,
        author: feature.issue_author,
        stage: feature.stage,
        kind: stageKind(feature.stage),
        branch: feature.branch,
        prNumber: feature.pr_number,
        failureReason: feature.failure_reason,
        createdAt: feature.created_at,
        updatedAt: feature.updated_at,
      },
      links: githubLinks(config.githubWebUrl, feature),
      timeline: timeline(config.githubWebUrl, feature, events, approvals),
      conversation: conversation(messages),
      runs: usage.rows,
      totals: usage.totals,
      reviews: reviews(runs),
      poll: isStopped(feature.stage)
        ? null
        : {
            url: `/installations/${installation.id}/features/${feature.id}/version`,
            fingerprint: fingerprintOf(feature.version, messages.length, runs.length),
            ms: pollMs,
          },
    });
  });

  app.get("/installations/:id/features/:featureId/version", async (req, res) => {
    const { feature } = await featureFor(req, res);
    const [messages, runs] = await Promise.all([
      store.listMessages(feature.id),
      queries.agentRuns(feature.id),
    ]);
    res
      .status(200)
      .set("cache-control", "no-store")
      .json({
        fingerprint: fingerprintOf(feature.version, messages.length, runs.length),
        stage: feature.stage,
        working: !isStopped(feature.stage),
      });
  });

  // ---- settings (admins of the installation's account) ------------------------------------------
  async function adminInstallation(req: Request, res: Response) {
    const access = await accessOf(res, req.method !== "GET");
    const installation = installationOf(access, req.params.id as string | undefined);
    if (!installation.admin) {
      throw new PageError(
        403,
        "Admins only",
        installation.adminUnknown
          ? `Settings need an owner of the ${installation.account} organisation. GitHub did not say whether you are one: the app needs the "Members" organisation permission (read) to ask.`
          : installation.accountType === "Organization"
            ? `Settings are for owners of the ${installation.account} organisation. Ask one of them.`
            : `Settings are for ${installation.account}, whose account this installation is on.`,
      );
    }
    return { access, installation };
  }

  async function settingsPage(
    res: Response,
    access: Access,
    installation: InstallationAccess,
    status: number,
    messages: { notice?: string; keyError?: string; settingsErrors?: string[] } = {},
  ) {
    const row = await queries.installation(installation.id);
    const settings = parseInstallationSettings(row?.settings);
    sendPage(res, status, "settings", {
      ...common(res, `${installation.account} · settings`, access),
      installation: { id: installation.id, account: installation.account },
      key: { set: Boolean(row?.model_key_ciphertext), hint: row?.model_key_hint ?? "" },
      operatorKey: Boolean(config.anthropicApiKey),
      agents: modelSettingsRows(settings),
      budgetMonthly: settings.budget_monthly_usd ?? "",
      budgetFeature: settings.budget_feature_usd ?? "",
      retentionDays: config.retentionDays,
      notice: messages.notice ?? null,
      keyError: messages.keyError ?? null,
      settingsErrors: messages.settingsErrors ?? [],
    });
  }

  const NOTICES: Record<string, string> = {
    key: "The key was checked with the model API and saved.",
    "key-deleted": "The key was deleted.",
    settings: "The settings were saved.",
  };

  app.get("/installations/:id/settings", async (req, res) => {
    const { access, installation } = await adminInstallation(req, res);
    const saved = typeof req.query.saved === "string" ? NOTICES[req.query.saved] : undefined;
    await settingsPage(res, access, installation, 200, saved ? { notice: saved } : {});
  });

  app.post("/installations/:id/settings/key", keyCheckLimit, async (req, res) => {
    const { access, installation } = await adminInstallation(req, res);
    const pasted = String((req.body as Record<string, unknown>).key ?? "").trim();
    const check = await checkModelKey(pasted, { baseURL: config.anthropicBaseUrl });
    if (!check.ok) {
      log.info(
        { installationId: installation.id, login: localsOf(res).session?.login },
        "dashboard: a pasted model key failed its check",
      );
      await settingsPage(res, access, installation, 422, { keyError: check.message });
      return;
    }
    await store.ensureInstallation(installation.id, installation.account, installation.accountType);
    await queries.setModelKey(
      installation.id,
      encryptModelKey(pasted, installation.id, config.encryptionKey),
    );
    log.info(
      { installationId: installation.id, login: localsOf(res).session?.login },
      "dashboard: model key saved",
    );
    res.redirect(303, `/installations/${installation.id}/settings?saved=key`);
  });

  app.post("/installations/:id/settings/key/delete", async (req, res) => {
    const { installation } = await adminInstallation(req, res);
    await queries.deleteModelKey(installation.id);
    log.info(
      { installationId: installation.id, login: localsOf(res).session?.login },
      "dashboard: model key deleted",
    );
    res.redirect(303, `/installations/${installation.id}/settings?saved=key-deleted`);
  });

  app.post("/installations/:id/settings", async (req, res) => {
    const { access, installation } = await adminInstallation(req, res);
    const parsed = parseSettingsForm(req.body as Record<string, unknown>);
    if (!parsed.ok) {
      await settingsPage(res, access, installation, 422, { settingsErrors: parsed.problems });
      return;
    }
    await store.ensureInstallation(installation.id, installation.account, installation.accountType);
    await queries.saveSettings(installation.id, parsed.settings);
    log.info(
      { installationId: installation.id, login: localsOf(res).session?.login },
      "dashboard: settings saved",
    );
    res.redirect(303, `/installations/${installation.id}/settings?saved=settings`);
  });

  // ---- not found and errors -------------------------------------------------------------------
  app.use(() => {
    throw notFound();
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
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
  });

  return {
    handle(req, res) {
      hideCookiesFromLogs(res);
      app(req as Request, res as Response);
      return true;
    },
  };
}

/**
 * The HTTP request log serializes each response's headers (`res.getHeaders()`), which would put
 * session cookies in the logs. This response reports its headers without Set-Cookie; Node writes
 * them from its own record, so the browser still receives them.
 */
function hideCookiesFromLogs(res: ServerResponse): void {
  const getHeaders = res.getHeaders.bind(res);
  res.getHeaders = () => {
    const { "set-cookie": _hidden, ...rest } = getHeaders();
    return rest;
  };
}

function fingerprintOf(version: number, messages: number, runs: number): string {
  return `${version}.${messages}.${runs}`;
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
