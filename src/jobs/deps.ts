import { createHash } from "node:crypto";
import type { Job } from "bullmq";
import type { Store } from "../adapters/store/store.ts";
import type { OutboxRelay } from "../app/outbox-relay.ts";
import type { Config } from "../config/env.ts";
import type { Logger } from "../log.ts";
import type { GitHubCodePort, GitHubPort } from "../ports/github.ts";
import type { JobQueue } from "../ports/queue.ts";

/** What every job may use; built once per worker process. */
export interface JobDeps {
  config: Config;
  log: Logger;
  store: Store;
  queue: JobQueue;
  relay: OutboxRelay;
  github: GitHubPort & GitHubCodePort;
}

/**
 * The job's first run: never started before, never stalled. Nothing it does can have happened
 * already, so idempotence checks that cost a GitHub call can be skipped.
 */
export function isFirstRun(job: Job): boolean {
  return job.attemptsStarted <= 1 && job.stalledCounter === 0;
}

/** A short content hash: the version of an artifact that is not (yet) a commit. */
export const contentHash = (text: string) =>
  createHash("sha256").update(text).digest("hex").slice(0, 12);
