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
    ...(options.format === "pretty"
      ? { transport: { target: "pino-pretty", options: { colorize: true } } }
      : {}),
  });
}
