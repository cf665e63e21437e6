import type { ServerResponse } from "node:http";
import { pino } from "pino";
import type { Logger } from "probot";

export type { Logger };

/** Field names whose values never reach a log line. */
const REDACT = [
  "apiKey",
  "api_key",
  "key",
  "token",
  "authorization",
  "privateKey",
  "*.apiKey",
  "*.token",
  "*.authorization",
  "headers.authorization",
  'headers["x-api-key"]',
  "req.headers.authorization",
  "req.headers.cookie",
  'res.headers["set-cookie"]',
];

export function createLogger(options: { level: string; format: "json" | "pretty" }): Logger {
  return pino({
    level: options.level,
    name: "practical",
    redact: { paths: REDACT, censor: "[redacted]" },
    mixin: deliveryOfResponse,
    ...(options.format === "pretty"
      ? { transport: { target: "pino-pretty", options: { colorize: true } } }
      : {}),
  });
}

/**
 * A webhook's one log line is Probot's request line, logged with its response: it names the
 * delivery and its event as the app's other lines do (`deliveryId`). A new object each time:
 * pino merges the line's fields into it.
 */
function deliveryOfResponse(fields: object): { deliveryId?: string; event?: string } {
  const headers = (fields as { res?: ServerResponse }).res?.req?.headers;
  const id = headers?.["x-github-delivery"];
  const event = headers?.["x-github-event"];
  return typeof id === "string" && typeof event === "string" ? { deliveryId: id, event } : {};
}
