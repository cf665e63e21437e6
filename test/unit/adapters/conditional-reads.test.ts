// Repeated GitHub reads: sent with the ETag of the kept answer, a 304 answered from it (each
// caller its own copy), identical reads in flight sharing one request, writes left alone.

import { describe, expect, it } from "vitest";
import { ConditionalReads } from "../../../src/adapters/github/conditional-reads.ts";

type Options = Record<string, unknown> & { headers?: Record<string, string> };
type Wrapper = (
  request: (options: Options) => Promise<unknown>,
  options: Options,
) => Promise<unknown>;

/** A client as Octokit's plugins see it, and a server that answers 304 to a matching ETag. */
function client(reads: ConditionalReads, installationId: number | null = 7) {
  let wrapper: Wrapper | undefined;
  const octokit = {
    hook: {
      wrap: (_name: string, w: Wrapper) => {
        wrapper = w;
      },
    },
    request: { endpoint: { parse: (o: Options) => ({ url: String(o.url) }) } },
  };
  reads.plugin(octokit, { auth: installationId === null ? {} : { installationId } });
  const sent: { method: string; url: string; ifNoneMatch: string | undefined }[] = [];
  let version = 1;
  const server = async (options: Options) => {
    const ifNoneMatch = options.headers?.["if-none-match"];
    sent.push({ method: String(options.method), url: String(options.url), ifNoneMatch });
    await new Promise((r) => setTimeout(r, 5));
    const etag = `W/"v${version}"`;
    if (ifNoneMatch === etag) throw Object.assign(new Error("Not modified"), { status: 304 });
    return { status: 200, headers: { etag }, data: { total_count: 1, items: [{ version }] } };
  };
  const call = (url: string, method = "GET") =>
    (wrapper ?? ((r, o) => r(o)))(server, { method, url, headers: {} }) as Promise<{
      status: number;
      data: { total_count?: number; items: { version: number }[] };
    }>;
  const change = () => {
    version += 1;
  };
  return { call, sent, change, hooked: () => wrapper !== undefined };
}

describe("ConditionalReads", () => {
  it("asks again with the ETag and answers a 304 from the kept response", async () => {
    const reads = new ConditionalReads(1024 * 1024);
    const github = client(reads);
    const first = await github.call("/repos/o/r/contents/a");
    const second = await github.call("/repos/o/r/contents/a");
    expect(second.data).toEqual(first.data);
    expect(github.sent.map((s) => s.ifNoneMatch)).toEqual([undefined, 'W/"v1"']);
    expect(reads.notModified).toBe(1);

    github.change();
    const third = await github.call("/repos/o/r/contents/a");
    expect(third.data.items[0]?.version).toBe(2);
    expect(reads.notModified).toBe(1);
  });

  it("gives every caller its own copy, so one rewriting it (as paginate does) harms no other", async () => {
    const reads = new ConditionalReads(1024 * 1024);
    const github = client(reads);
    const first = await github.call("/repos/o/r/check-runs");
    delete first.data.total_count;
    first.data.items.push({ version: 99 });
    const again = await github.call("/repos/o/r/check-runs");
    expect(again.data).toEqual({ total_count: 1, items: [{ version: 1 }] });
  });

  it("shares one request among identical reads in flight", async () => {
    const reads = new ConditionalReads(1024 * 1024);
    const github = client(reads);
    const [a, b, c] = await Promise.all([
      github.call("/repos/o/r/compare/main...abc"),
      github.call("/repos/o/r/compare/main...abc"),
      github.call("/repos/o/r/compare/main...def"),
    ]);
    expect(github.sent).toHaveLength(2);
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
    expect(c.status).toBe(200);
  });

  it("leaves writes, the app's own client and a zero budget alone", async () => {
    const reads = new ConditionalReads(1024 * 1024);
    const github = client(reads);
    await github.call("/repos/o/r/issues/1/comments", "POST");
    await github.call("/repos/o/r/issues/1/comments", "POST");
    expect(github.sent.map((s) => s.ifNoneMatch)).toEqual([undefined, undefined]);

    expect(client(reads, null).hooked()).toBe(false);
    expect(client(new ConditionalReads(0)).hooked()).toBe(false);
  });

  it("keeps no more than its bytes, the least recently used out first", async () => {
    const reads = new ConditionalReads(100);
    const github = client(reads);
    await github.call("/a");
    await github.call("/b");
    await github.call("/c");
    expect(reads.bytes).toBeLessThanOrEqual(100);
    await github.call("/a");
    expect(github.sent.at(-1)?.ifNoneMatch).toBeUndefined();
  });
});
