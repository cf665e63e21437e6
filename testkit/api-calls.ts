// GitHub API calls the app made, by kind, from the GitHub fake's request log: what the demo,
// the benchmark and the tests count.

import type { RequestRecord } from "./fakes/github/index.ts";

export type CallKind = "read" | "write" | "appAuth" | "asApp" | "download" | "notModified";

/**
 * What one request to GitHub counts as. Reads are GET/HEAD; writes are every other method
 * (GraphQL mutations included); the installation-token request is made as the app, not the
 * installation, as are the app's other requests (`/app/…`, with its JWT: the sweep for lost
 * webhook deliveries), which count against the app's own limit; the archive download after a
 * tarball redirect is not an API call; a
 * conditional read answered 304 does not count against the rate limit
 * (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate).
 */
export function callKind(
  record: Pick<RequestRecord, "method" | "route" | "status" | "operation">,
): CallKind {
  if (record.route === "/_codeload") return "download";
  if (record.status === 304) return "notModified";
  if (record.route === "/app/installations/{installation_id}/access_tokens") return "appAuth";
  if (record.route?.startsWith("/app/") || record.route === "/app") return "asApp";
  // A GraphQL query is a read: only a mutation changes anything (or creates content).
  if (record.route === "/graphql") return record.operation === "query" ? "read" : "write";
  return record.method === "GET" || record.method === "HEAD" ? "read" : "write";
}

/**
 * Content-creating requests, for GitHub's secondary limit (80 a minute, 500 an hour): counted
 * conservatively as every POST the installation makes (comments, reactions, labels, git objects
 * and refs, pull requests, check runs, GraphQL mutations).
 */
export const createsContent = (
  record: Pick<RequestRecord, "method" | "route" | "status" | "operation">,
) => record.method === "POST" && callKind(record) === "write";

export interface ApiCalls {
  /** Requests that count against the installation's hourly limit (reads + writes). */
  total: number;
  reads: number;
  writes: number;
  contentCreating: number;
  appAuth: number;
  downloads: number;
  /** Other requests made as the app (its JWT), not the installation. */
  asApp: number;
  /** Conditional reads GitHub answered 304 Not Modified: free, so not in `total`. */
  notModified: number;
  byRoute: { route: string; kind: CallKind; count: number }[];
}

export function countApiCalls(records: readonly RequestRecord[]): ApiCalls {
  const calls: ApiCalls = {
    total: 0,
    reads: 0,
    writes: 0,
    contentCreating: 0,
    appAuth: 0,
    downloads: 0,
    asApp: 0,
    notModified: 0,
    byRoute: [],
  };
  const routes = new Map<string, { route: string; kind: CallKind; count: number }>();
  for (const record of records) {
    const kind = callKind(record);
    if (kind === "read") calls.reads++;
    if (kind === "write") calls.writes++;
    if (kind === "appAuth") calls.appAuth++;
    if (kind === "download") calls.downloads++;
    if (kind === "notModified") calls.notModified++;
    if (kind === "asApp") calls.asApp++;
    if (createsContent(record)) calls.contentCreating++;
    // GraphQL requests by operation ("POST /graphql mutation").
    const route = `${record.method} ${record.route ?? record.path}${record.operation ? ` ${record.operation}` : ""}`;
    const key = `${kind} ${route}`;
    const entry = routes.get(key) ?? { route, kind, count: 0 };
    entry.count++;
    routes.set(key, entry);
  }
  calls.total = calls.reads + calls.writes;
  calls.byRoute = [...routes.values()].sort((a, b) => b.count - a.count);
  return calls;
}
