import type { IncomingMessage, Server, ServerResponse } from "node:http";

/**
 * "Payloads are capped at 25 MB. If an event generates a larger payload, GitHub will not deliver
 * a payload for that webhook event."
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads#payload-cap
 * A larger body cannot be a delivery from GitHub, whatever its signature says.
 */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;

type RequestListener = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * Puts a byte limit in front of every other `request` listener of `server` (Probot's own, which
 * buffers the whole body before it checks the signature): a POST to `path` declaring more than
 * `maxBytes`, or streaming more (chunked), is answered 413 and its connection closed, with at
 * most `maxBytes` read. A body within the limit is handed on already read, as the raw bytes the
 * webhook middleware verifies (`request.rawBody`, as body-parsing frameworks leave it).
 */
export function limitWebhookBodies(
  server: Server,
  path: string,
  maxBytes: number = MAX_WEBHOOK_BYTES,
): void {
  const listeners = server.listeners("request") as RequestListener[];
  server.removeAllListeners("request");
  const next = (req: IncomingMessage, res: ServerResponse) => {
    for (const listener of listeners) listener.call(server, req, res);
  };
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "POST" || (req.url ?? "").split("?")[0]?.replace(/\/+$/, "") !== path) {
      next(req, res);
      return;
    }
    const declared = Number(req.headers["content-length"] ?? Number.NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      tooLarge(req, res, maxBytes);
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let refused = false;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) {
        refused = true;
        chunks.length = 0;
        req.off("data", onData);
        tooLarge(req, res, maxBytes);
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => {
      if (refused) return;
      Object.assign(req, { body: {}, rawBody: Buffer.concat(chunks, received) });
      next(req, res);
    });
    req.once("error", () => {
      if (!res.headersSent) res.writeHead(400).end();
    });
  });
}

function tooLarge(req: IncomingMessage, res: ServerResponse, maxBytes: number): void {
  if (!res.headersSent) {
    res.writeHead(413, { "content-type": "application/json", connection: "close" }).end(
      JSON.stringify({
        error: `Payload too large: GitHub's webhook payloads are at most ${maxBytes} bytes`,
      }),
    );
  }
  // The rest of the body is never buffered: it is read and dropped for a moment, so the client
  // reads the 413 before the connection is reset, then the connection is cut.
  res.once("finish", () => {
    req.resume();
    setTimeout(() => req.destroy(), 1_000).unref();
  });
}
