import { githubStatusOf } from "../../errors.ts";

// Repeated reads cost nothing when GitHub can say "not modified": the ETag of a GET's answer is
// kept and sent back as If-None-Match, and a 304 is answered from the kept response. "Making a
// conditional request does not count against your primary rate limit if a 304 response is
// returned and the request was made while correctly authorized with an Authorization header"
// (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate).
// GitHub's answers vary by token (`Vary: Accept, Authorization, Cookie`), so entries are kept
// per installation; a new token gets a 200 and a new ETag, which is still correct.
// Identical reads in flight at the same moment (the three reviews comparing one head) share
// one request. Every caller gets its own copy: Octokit's paginate rewrites the responses it
// is given.

type Request = (options: Record<string, unknown>) => Promise<unknown>;

interface Response {
  status: number;
  headers: Record<string, string | undefined>;
  data: unknown;
}

interface HookedClient {
  hook: {
    wrap(
      name: "request",
      wrapper: (request: Request, options: Record<string, unknown>) => Promise<unknown>,
    ): void;
  };
  request: { endpoint: { parse(options: Record<string, unknown>): { url: string } } };
}

/**
 * What a process keeps of the answers it may read again (estimated as their JSON; the parsed
 * objects take a few times that).
 */
export const READ_CACHE_BYTES = 4 * 1024 * 1024;

/** A response larger than this is not kept (a big tree or file is rarely read twice). */
const MAX_ENTRY_BYTES = 256 * 1024;

/** Bytes a response's data holds, roughly (V8 keeps ASCII strings at a byte a character). */
function dataBytes(data: unknown): number {
  if (typeof data === "string") return data.length;
  return JSON.stringify(data)?.length ?? 0;
}

export class ConditionalReads {
  readonly maxBytes: number;
  /** Insertion order is recency: the first entry is the least recently used. */
  readonly #entries = new Map<string, { etag: string; response: Response; bytes: number }>();
  readonly #inFlight = new Map<string, Promise<Response>>();
  #bytes = 0;
  /** Reads GitHub answered with 304 Not Modified. */
  notModified = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /**
   * The Octokit plugin: installation clients only (the app's JWT client reads nothing twice).
   * Binary answers (archives) are never kept.
   */
  readonly plugin = (octokit: unknown, options: { auth?: unknown } = {}): void => {
    const installationId = (options.auth as { installationId?: number | string } | undefined)
      ?.installationId;
    if (installationId === undefined || this.maxBytes <= 0) return;
    const client = octokit as HookedClient;
    client.hook.wrap("request", (request, requestOptions) => {
      if (String(requestOptions.method ?? "GET").toUpperCase() !== "GET") {
        return request(requestOptions);
      }
      const headers = (requestOptions.headers ?? {}) as Record<string, string | undefined>;
      if (headers["if-none-match"] || headers["if-modified-since"]) return request(requestOptions);
      const { url } = client.request.endpoint.parse(requestOptions);
      const key = `${installationId} ${headers.accept ?? ""} ${url}`;
      const pending = this.#inFlight.get(key);
      if (pending) return pending.then((response) => structuredClone(response));
      const reading = this.#read(key, request, requestOptions, headers).finally(() =>
        this.#inFlight.delete(key),
      );
      this.#inFlight.set(key, reading);
      return reading;
    });
  };

  async #read(
    key: string,
    request: Request,
    options: Record<string, unknown>,
    headers: Record<string, string | undefined>,
  ): Promise<Response> {
    const kept = this.#entries.get(key);
    if (!kept) return this.#keep(key, (await request(options)) as Response);
    // Octokit's hooks are bound to this very options object: the header is set on it, as a
    // new object passed to `request` would not reach the hooks inside this one.
    options.headers = { ...headers, "if-none-match": kept.etag };
    try {
      const response = (await request(options)) as Response;
      return this.#keep(key, response);
    } catch (error) {
      if (githubStatusOf(error) !== 304) throw error;
      this.notModified += 1;
      this.#entries.delete(key);
      this.#entries.set(key, kept);
      return structuredClone(kept.response);
    }
  }

  #keep(key: string, response: Response): Response {
    const etag = response.headers?.etag;
    const old = this.#entries.get(key);
    if (old) {
      this.#entries.delete(key);
      this.#bytes -= old.bytes;
    }
    if (response.status !== 200 || !etag) return response;
    const { data } = response;
    if (data instanceof ArrayBuffer || ArrayBuffer.isView(data) || data === undefined) {
      return response;
    }
    const bytes = dataBytes(data) + key.length;
    if (bytes > MAX_ENTRY_BYTES || bytes > this.maxBytes) return response;
    this.#entries.set(key, { etag, response: structuredClone(response), bytes });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
    return response;
  }
}
