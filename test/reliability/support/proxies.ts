// Network faults between the app and its services, without touching the shared services:
// a TCP proxy that can be cut (Postgres, Redis), and an HTTP proxy in front of the GitHub
// fake that can hold a chosen request (to kill a worker at an exact point of its work).

import { createServer as createHttpServer, request as httpRequest } from "node:http";
import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  /** host:port of the proxy. */
  readonly address: string;
  readonly port: number;
  /** Drops every connection and refuses new ones (the service looks down). */
  cut(): void;
  /**
   * Keeps every connection open but forwards nothing, either way (a network partition: the
   * service neither answers nor refuses).
   */
  blackhole(): void;
  /** Accepts and forwards again. */
  restore(): void;
  close(): Promise<void>;
}

/** A TCP proxy to `target` (host:port) on a random local port. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let down = false;
  let silent = false;
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.on("data", (chunk) => {
      if (!silent) upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (!silent) client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    port,
    cut() {
      down = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    blackhole() {
      silent = true;
    },
    restore() {
      // Connections that lost bytes in a blackhole are broken: they end, as after a partition.
      if (silent) {
        for (const socket of sockets) socket.destroy();
        sockets.clear();
      }
      down = false;
      silent = false;
    },
    close() {
      down = true;
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** The same URL with its host and port replaced by the proxy's. */
export function throughProxy(url: string, proxy: TcpProxy): string {
  const parsed = new URL(url);
  parsed.host = proxy.address;
  return parsed.toString();
}

export interface HeldRequest {
  method: string;
  path: string;
}

export interface HttpHoldProxy {
  /** host:port, for GHE_HOST. */
  readonly host: string;
  /**
   * Holds the next request matching `match` (never forwarded) and resolves when it arrives.
   * Held requests stay open until `close()`.
   */
  holdNext(match: (request: HeldRequest) => boolean): Promise<HeldRequest>;
  close(): Promise<void>;
}

/** An HTTP proxy to the fake at `targetHost` (host:port) that can hold requests. */
export async function startHttpHoldProxy(targetHost: string): Promise<HttpHoldProxy> {
  const [host, port] = targetHost.split(":");
  const waiting: { match: (r: HeldRequest) => boolean; resolve: (r: HeldRequest) => void }[] = [];
  const held = new Set<import("node:http").ServerResponse>();
  const server = createHttpServer((req, res) => {
    const request = { method: req.method ?? "GET", path: req.url ?? "/" };
    const hold = waiting.findIndex((w) => w.match(request));
    if (hold >= 0) {
      const [entry] = waiting.splice(hold, 1);
      held.add(res);
      req.resume();
      entry?.resolve(request);
      return;
    }
    const upstream = httpRequest(
      { host, port: Number(port), method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return {
    host: `127.0.0.1:${address.port}`,
    holdNext(match) {
      return new Promise((resolve) => waiting.push({ match, resolve }));
    },
    close() {
      for (const res of held) res.destroy();
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
