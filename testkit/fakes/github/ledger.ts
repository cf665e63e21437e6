// What the fake records: every request (requestLog), every state-changing write (ledger) and every
// departure from GitHub's API description (violations).

export interface RequestRecord {
  seq: number;
  method: string;
  /** The OpenAPI path template ("/repos/{owner}/{repo}/issues/{issue_number}/comments"), "/graphql",
   * "/_codeload" or null when nothing matched. */
  route: string | null;
  path: string;
  status: number;
  at: string;
  /** For "/graphql": whether the document was a query (a read) or a mutation (a write). */
  operation?: "query" | "mutation";
}

export interface LedgerEntry {
  seq: number;
  method: string;
  route: string;
  path: string;
  body: unknown;
  /** The status the client saw (an injected afterWrite fault's status when one fired). */
  status: number;
  at: string;
  /** True when an injected afterWrite fault hid this write's success from the client. */
  faulted?: boolean;
}

export type ViolationKind =
  | "unknown-route"
  | "invalid-body"
  | "not-implemented"
  | "invalid-json"
  | "graphql"
  | "response-mismatch";

export interface Violation {
  kind: ViolationKind;
  method: string;
  path: string;
  route: string | null;
  message: string;
  body?: unknown;
}

export interface FaultSpec {
  method?: string;
  /** OpenAPI path template, e.g. "/repos/{owner}/{repo}/issues/{issue_number}/comments" ("/graphql" for GraphQL). */
  route?: string;
  /** Alternative to `route`: a substring of the request path. */
  pathIncludes?: string;
  /** How many matching requests fail (default 1). */
  times?: number;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Perform the write, then answer the error (the client sees a failure, the write happened). */
  afterWrite?: boolean;
}

export interface ActiveFault extends FaultSpec {
  remaining: number;
}

export function faultMatches(
  fault: ActiveFault,
  method: string,
  route: string | null,
  path: string,
): boolean {
  if (fault.remaining <= 0) return false;
  if (fault.method && fault.method.toUpperCase() !== method.toUpperCase()) return false;
  if (fault.route && fault.route !== route) return false;
  if (fault.pathIncludes && !path.includes(fault.pathIncludes)) return false;
  return true;
}

/** A default body for an injected fault status, worded like GitHub's. */
export function defaultFaultBody(status: number): Record<string, unknown> {
  const docs = "https://docs.github.com/rest";
  if (status === 403) {
    return {
      message:
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.",
      documentation_url:
        "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
    };
  }
  if (status === 429) return { message: "API rate limit exceeded", documentation_url: docs };
  if (status === 502) return { message: "Server Error" };
  if (status === 503) return { message: "Service Unavailable" };
  return { message: status >= 500 ? "Server Error" : "Error", documentation_url: docs };
}
