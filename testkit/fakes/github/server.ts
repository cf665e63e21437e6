// The HTTP side: request pipeline (OpenAPI match → body check → auth → faults → handler →
// ledger) and the small helpers route handlers share.

import { createHash, randomUUID } from "node:crypto";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { AppKeys } from "./auth.ts";
import { looksLikeJwt, verifyAppJwt } from "./auth.ts";
import { badCredentials, HttpError, notFound } from "./errors.ts";
import {
  type ActiveFault,
  defaultFaultBody,
  type FaultSpec,
  faultMatches,
  type LedgerEntry,
  type RequestRecord,
  type Violation,
} from "./ledger.ts";
import {
  matchOperation,
  type OperationMatch,
  validateRequestBody,
  validateResponseBody,
} from "./openapi.ts";
import type { Shapes, Urls } from "./shapes.ts";
import type { FakeState, InstallationRec, RepoRec, TokenRec, UserRec } from "./state.ts";

/** "user": a user access token from signing in with GitHub (ghu_…). */
export type AuthKind = "jwt" | "token" | "user" | "none";

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A non-JSON body (tarballs, raw file contents). */
  raw?: { data: Buffer | string; contentType: string };
  /** False when a non-GET request did not change anything (kept out of the ledger). */
  changed?: boolean;
  /** A GraphQL request's operation: a query reads, a mutation writes. */
  operation?: "query" | "mutation";
}

export interface RouteContext {
  method: string;
  path: string;
  template: string;
  params: Record<string, string>;
  query: URLSearchParams;
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are validated against the OpenAPI schema first
  body: any;
  headers: IncomingHttpHeaders;
  core: FakeCore;
  token: TokenRec | undefined;
  installation: InstallationRec | undefined;
  /** The repository named by {owner}/{repo} (404 when absent or not installed). */
  repo(): RepoRec;
  /** Who acts through this request: the app's bot user. */
  actor: UserRec;
  /** The signed-in user, on routes called with a user access token. */
  user: UserRec | undefined;
}

export type RouteHandler = (ctx: RouteContext) => RouteResult | Promise<RouteResult>;

export interface RouteDef {
  auth: AuthKind;
  handler: RouteHandler;
}

export class RouteTable {
  readonly routes = new Map<string, RouteDef>();

  add(spec: string, auth: AuthKind, handler: RouteHandler): void {
    const [method, template] = spec.split(" ") as [string, string];
    this.routes.set(`${method.toUpperCase()} ${template}`, { auth, handler });
  }

  get(method: string, template: string): RouteDef | undefined {
    return this.routes.get(`${method.toUpperCase()} ${template}`);
  }
}

export interface FakeCoreOptions {
  state: FakeState;
  shapes: Shapes;
  urls: Urls;
  keys: AppKeys;
  validateResponses: boolean;
}

/** State plus the records the HTTP side keeps. */
export class FakeCore {
  readonly state: FakeState;
  readonly shapes: Shapes;
  readonly urls: Urls;
  readonly keys: AppKeys;
  readonly validateResponses: boolean;
  readonly ledger: LedgerEntry[] = [];
  readonly requestLog: RequestRecord[] = [];
  readonly violations: Violation[] = [];
  readonly faults: ActiveFault[] = [];
  private seq = 0;

  constructor(options: FakeCoreOptions) {
    this.state = options.state;
    this.shapes = options.shapes;
    this.urls = options.urls;
    this.keys = options.keys;
    this.validateResponses = options.validateResponses;
  }

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  injectFault(spec: FaultSpec): void {
    this.faults.push({ ...spec, remaining: spec.times ?? 1 });
  }

  takeFault(method: string, route: string | null, path: string): ActiveFault | undefined {
    const fault = this.faults.find((f) => faultMatches(f, method, route, path));
    if (fault) fault.remaining -= 1;
    return fault;
  }

  violation(v: Violation): void {
    this.violations.push(v);
  }

  /** The installation token (or app JWT) an Authorization header carries. */
  authenticate(headers: IncomingHttpHeaders, kind: AuthKind): TokenRec | undefined {
    if (kind === "none") return undefined;
    const header = headers.authorization ?? "";
    const match = /^(?:token|bearer)\s+(\S+)$/i.exec(header);
    const credential = match?.[1];
    if (!credential) {
      if (kind === "jwt") {
        throw new HttpError(401, {
          message: "A JSON web token could not be decoded",
          documentation_url: "https://docs.github.com/rest",
        });
      }
      throw new HttpError(401, {
        message: "Requires authentication",
        documentation_url: "https://docs.github.com/rest",
      });
    }
    if (kind === "jwt") {
      if (!looksLikeJwt(credential)) {
        throw new HttpError(401, {
          message: "A JSON web token could not be decoded",
          documentation_url: "https://docs.github.com/rest",
        });
      }
      verifyAppJwt(credential, this.keys.publicKey, this.state.app.id, this.state.nowMs());
      return undefined;
    }
    if (kind === "user") {
      // An installation token is valid but may not act as a user.
      if (this.state.liveToken(credential)) {
        throw new HttpError(403, "Resource not accessible by integration");
      }
      if (!this.state.oauth.liveUserToken(credential, this.state.nowMs())) throw badCredentials();
      return undefined;
    }
    const token = this.state.liveToken(credential);
    if (!token) throw badCredentials();
    return token;
  }

  /** The user a user access token belongs to (after `authenticate(…, "user")` accepted it). */
  userOf(headers: IncomingHttpHeaders): UserRec | undefined {
    const credential = /^(?:token|bearer)\s+(\S+)$/i.exec(headers.authorization ?? "")?.[1];
    const record = credential
      ? this.state.oauth.liveUserToken(credential, this.state.nowMs())
      : undefined;
    return record ? this.state.user(record.login) : undefined;
  }
}

export function json(
  status: number,
  body?: unknown,
  headers?: Record<string, string>,
): RouteResult {
  return { status, body, ...(headers ? { headers } : {}) };
}

/** A page of a list with GitHub's Link header (`per_page` ≤ 100, default 30). */
export function paginate<T>(
  ctx: RouteContext,
  items: readonly T[],
  wrap?: (page: T[]) => unknown,
): RouteResult {
  const perPage = Math.min(100, Math.max(1, Number(ctx.query.get("per_page") ?? 30) || 30));
  const page = Math.max(1, Number(ctx.query.get("page") ?? 1) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const links: string[] = [];
  const link = (p: number, rel: string) => {
    const query = new URLSearchParams(ctx.query);
    query.set("per_page", String(perPage));
    query.set("page", String(p));
    links.push(`<${ctx.core.urls.api}${ctx.path}?${query.toString()}>; rel="${rel}"`);
  };
  if (page > 1) {
    link(Math.min(page - 1, last), "prev");
  }
  if (page < last) {
    link(page + 1, "next");
    link(last, "last");
  }
  if (page > 1) link(1, "first");
  const headers: Record<string, string> = links.length > 0 ? { link: links.join(", ") } : {};
  return { status: 200, body: wrap ? wrap(slice) : slice, headers };
}

export function intParam(ctx: RouteContext, name: string): number {
  const value = Number(ctx.params[name]);
  if (!Number.isInteger(value)) throw notFound();
  return value;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function baseHeaders(): Record<string, string> {
  const reset = Math.floor(Date.now() / 1000) + 3600;
  return {
    "x-github-request-id": randomUUID().toUpperCase(),
    "x-github-media-type": "github.v3; format=json",
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": "4999",
    "x-ratelimit-reset": String(reset),
    "x-ratelimit-used": "1",
    "x-ratelimit-resource": "core",
  };
}

export function send(res: ServerResponse, result: RouteResult): void {
  const headers: Record<string, string> = { ...baseHeaders(), ...(result.headers ?? {}) };
  if (result.raw) {
    const data =
      typeof result.raw.data === "string" ? Buffer.from(result.raw.data) : result.raw.data;
    res.writeHead(result.status, {
      ...headers,
      "content-type": result.raw.contentType,
      "content-length": data.length,
    });
    res.end(data);
    return;
  }
  if (result.body === undefined || result.status === 204 || result.status === 304) {
    res.writeHead(result.status, headers);
    res.end();
    return;
  }
  const data = Buffer.from(JSON.stringify(result.body));
  res.writeHead(result.status, {
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": data.length,
  });
  res.end(data);
}

function errorResult(error: unknown): RouteResult {
  if (error instanceof HttpError)
    return { status: error.status, body: error.body, headers: error.headers };
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, body: { message: `Fake GitHub internal error: ${message}` } };
}

/** The handlers outside the REST table, given by the caller (they build on this module). */
export interface ExtraHandlers {
  /** /login/oauth/*; null for a path it does not serve. */
  oauth(
    method: string,
    url: URL,
    headers: IncomingHttpHeaders,
    rawBody: Buffer,
  ): RouteResult | null;
  graphql(ctx: {
    body: unknown;
    headers: IncomingHttpHeaders;
    token: TokenRec;
  }): Promise<RouteResult> | RouteResult;
  codeload(path: string): Promise<RouteResult> | RouteResult;
}

/** Handles one HTTP request against the fake. */
export async function handleRequest(
  core: FakeCore,
  table: RouteTable,
  extra: ExtraHandlers,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? "/", core.urls.web);
  const method = (req.method ?? "GET").toUpperCase();
  const at = core.state.now();
  const log = (route: string | null, path: string, status: number, operation?: string) =>
    core.requestLog.push({
      seq: core.nextSeq(),
      method,
      route,
      path,
      status,
      at,
      ...(operation ? { operation: operation as "query" | "mutation" } : {}),
    });
  const rawBody = await readBody(req);

  if (url.pathname.startsWith("/_codeload/")) {
    const result = await Promise.resolve(extra.codeload(url.pathname)).catch(errorResult);
    log("/_codeload", url.pathname, result.status);
    send(res, result);
    return;
  }

  if (url.pathname.startsWith("/login/oauth/")) {
    const result = extra.oauth(method, url, req.headers, rawBody) ?? {
      status: 404,
      body: { message: "Not Found" },
    };
    log("/login/oauth", url.pathname, result.status);
    send(res, result);
    return;
  }

  if (url.pathname === "/api/graphql") {
    const result = await handleGraphql(core, extra, method, req.headers, rawBody);
    log("/graphql", url.pathname, result.status, result.operation);
    send(res, result);
    return;
  }

  if (url.pathname !== "/api/v3" && !url.pathname.startsWith("/api/v3/")) {
    log(null, url.pathname, 404);
    send(res, { status: 404, body: { message: "Not Found" } });
    return;
  }
  const path = url.pathname.slice("/api/v3".length) || "/";
  const result = await handleRest(
    core,
    table,
    method,
    path,
    url.searchParams,
    req.headers,
    rawBody,
  );
  log(result.route, path, result.result.status);
  send(res, result.result);
}

function parseJsonBody(raw: Buffer): { ok: true; value: unknown } | { ok: false } {
  if (raw.length === 0) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw.toString("utf8")) };
  } catch {
    return { ok: false };
  }
}

async function handleRest(
  core: FakeCore,
  table: RouteTable,
  method: string,
  path: string,
  query: URLSearchParams,
  headers: IncomingHttpHeaders,
  rawBody: Buffer,
): Promise<{ route: string | null; result: RouteResult }> {
  const matched = matchOperation(method, path);
  if (matched.kind !== "ok") {
    const route = matched.kind === "unknown-method" ? matched.template : null;
    core.violation({
      kind: "unknown-route",
      method,
      path,
      route,
      message: `${method} ${path} is not an operation in GitHub's REST API description`,
    });
    return { route, result: errorResult(notFound()) };
  }
  const match: OperationMatch = matched.match;
  const route = match.template;
  const parsed = parseJsonBody(rawBody);
  if (!parsed.ok) {
    core.violation({
      kind: "invalid-json",
      method,
      path,
      route,
      message: "Body is not valid JSON",
    });
    return {
      route,
      result: {
        status: 400,
        body: { message: "Problems parsing JSON", documentation_url: match.documentationUrl },
      },
    };
  }
  const body = parsed.value;
  const invalid =
    method === "GET" || method === "HEAD" ? undefined : validateRequestBody(match, body);
  if (invalid) {
    core.violation({ kind: "invalid-body", method, path, route, message: invalid, body });
    return {
      route,
      result: {
        status: 422,
        body: {
          message: `Invalid request.\n\n${invalid}`,
          documentation_url: match.documentationUrl,
          status: "422",
        },
      },
    };
  }
  const def = table.get(method, route);
  if (!def) {
    core.violation({
      kind: "not-implemented",
      method,
      path,
      route,
      message: `${method} ${route} is documented by GitHub but not implemented by the fake`,
      body,
    });
    return {
      route,
      result: {
        status: 501,
        body: { message: `Not implemented by the GitHub fake: ${method} ${route}` },
      },
    };
  }

  let token: TokenRec | undefined;
  try {
    token = core.authenticate(headers, def.auth);
  } catch (error) {
    return { route, result: errorResult(error) };
  }
  const installation = token ? core.state.installations.get(token.installationId) : undefined;
  const ctx: RouteContext = {
    method,
    path,
    template: route,
    params: match.params,
    query,
    body,
    headers,
    core,
    token,
    installation,
    actor: core.state.app.bot,
    user: def.auth === "user" ? core.userOf(headers) : undefined,
    repo() {
      const { owner, repo } = match.params;
      if (!owner || !repo) throw notFound();
      const record = core.state.repos.get(`${owner}/${repo}`.toLowerCase());
      if (!record) throw notFound();
      if (def.auth === "token" && record.installationId !== token?.installationId) throw notFound();
      return record;
    },
  };
  if (def.auth === "token" && match.params.owner && match.params.repo) {
    try {
      ctx.repo();
    } catch (error) {
      return { route, result: errorResult(error) };
    }
  }

  const fault = core.takeFault(method, route, path);
  if (fault && !fault.afterWrite) return { route, result: faultResult(fault) };

  let result: RouteResult;
  try {
    result = await def.handler(ctx);
  } catch (error) {
    result = errorResult(error);
  }
  const succeeded = result.status >= 200 && result.status < 400;
  const wrote = method !== "GET" && method !== "HEAD" && succeeded && result.changed !== false;
  if (core.validateResponses && succeeded && result.body !== undefined && !result.raw) {
    const mismatch = validateResponseBody(match, result.status, result.body);
    if (mismatch) {
      core.violation({
        kind: "response-mismatch",
        method,
        path,
        route,
        message: `The fake's ${result.status} response does not match GitHub's schema: ${mismatch}`,
      });
    }
  }
  if (fault?.afterWrite) {
    if (wrote) {
      core.ledger.push({
        seq: core.nextSeq(),
        method,
        route,
        path,
        body,
        status: fault.status,
        at: core.state.now(),
        faulted: true,
      });
    }
    return { route, result: faultResult(fault) };
  }
  if (wrote)
    core.ledger.push({
      seq: core.nextSeq(),
      method,
      route,
      path,
      body,
      status: result.status,
      at: core.state.now(),
    });
  return { route, result: method === "GET" ? conditional(headers, result) : result };
}

/**
 * GitHub's conditional requests: "Most endpoints return an etag header … You can use the
 * values of these headers to make conditional GET requests. … If the data has not changed, you
 * will receive a 304 Not Modified response", which does not count against the primary rate
 * limit (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate).
 * The answers vary by `Accept` and `Authorization` (GitHub sends `Vary: Accept, Authorization,
 * Cookie`), so both are part of the weak ETag, as the content is.
 */
function conditional(headers: IncomingHttpHeaders, result: RouteResult): RouteResult {
  if (result.status !== 200) return result;
  const content = result.raw ? result.raw.data : JSON.stringify(result.body ?? null);
  const etag = `W/"${createHash("sha256")
    .update(`${headers.accept ?? ""}\n${headers.authorization ?? ""}\n`)
    .update(content)
    .digest("hex")
    .slice(0, 40)}"`;
  const vary = { etag, vary: "Accept, Authorization, Cookie" };
  const asked = String(headers["if-none-match"] ?? "")
    .split(",")
    .map((tag) => tag.trim());
  if (asked.includes(etag) || asked.includes("*")) return { status: 304, headers: vary };
  return { ...result, headers: { ...(result.headers ?? {}), ...vary } };
}

function faultResult(fault: ActiveFault): RouteResult {
  return {
    status: fault.status,
    body: fault.body ?? defaultFaultBody(fault.status),
    headers:
      fault.headers ??
      (fault.status === 403 || fault.status === 429 ? { "retry-after": "60" } : {}),
  };
}

async function handleGraphql(
  core: FakeCore,
  extra: ExtraHandlers,
  method: string,
  headers: IncomingHttpHeaders,
  rawBody: Buffer,
): Promise<RouteResult> {
  if (method !== "POST") return { status: 404, body: { message: "Not Found" } };
  let token: TokenRec | undefined;
  try {
    token = core.authenticate(headers, "token");
  } catch (error) {
    return errorResult(error);
  }
  if (!token) return errorResult(badCredentials());
  const parsed = parseJsonBody(rawBody);
  if (!parsed.ok) return { status: 400, body: { message: "Problems parsing JSON" } };
  const fault = core.takeFault("POST", "/graphql", "/graphql");
  if (fault && !fault.afterWrite) return faultResult(fault);
  let result: RouteResult;
  try {
    result = await extra.graphql({ body: parsed.value, headers, token });
  } catch (error) {
    result = errorResult(error);
  }
  const wrote = result.status === 200 && result.changed === true;
  if (wrote) {
    core.ledger.push({
      seq: core.nextSeq(),
      method: "POST",
      route: "/graphql",
      path: "/graphql",
      body: parsed.value,
      status: fault?.afterWrite ? fault.status : 200,
      at: core.state.now(),
      ...(fault?.afterWrite ? { faulted: true } : {}),
    });
  }
  if (fault?.afterWrite) return faultResult(fault);
  return result;
}
