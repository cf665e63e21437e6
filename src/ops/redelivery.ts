// Lost deliveries: GitHub does not redeliver a failed delivery by itself
// (https://docs.github.com/en/webhooks/using-webhooks/handling-failed-webhook-deliveries), so a
// delivery made while the web role was down or answered 5xx would be lost. A worker lists the
// app's deliveries since the last scan and asks GitHub again for each event that never got
// through and that ingest never recorded. Ingest's dedupe by guid keeps a double redelivery
// harmless.
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "../log.ts";
import type { AppWebhookPort, HookDelivery } from "../ports/app-webhook.ts";

export const REDELIVERY_JOB = "redeliver";
export const REDELIVERY_SCHEDULER_ID = "redeliver-lost";

/**
 * How long GitHub keeps deliveries: 3 days on github.com, 7 on GitHub Enterprise Server
 * (https://docs.github.com/webhooks/testing-and-troubleshooting-webhooks/redelivering-webhooks,
 * https://docs.github.com/en/enterprise-server@3.17/webhooks/testing-and-troubleshooting-webhooks/redelivering-webhooks).
 */
export function deliveryRetentionDays(githubWebUrl: string): number {
  return githubWebUrl === "https://github.com" ? 3 : 7;
}

/**
 * "The data for a failed delivery will have a status value that is not OK" (the failed-deliveries
 * page above); the list's own `status=success` filter counts status codes 200-399 as success.
 * A delivery that got no HTTP answer at all (refused, timed out) has no such code.
 */
export function deliverySucceeded(d: Pick<HookDelivery, "status" | "statusCode">): boolean {
  return d.status === "OK" || (d.statusCode >= 200 && d.statusCode < 400);
}

export interface ScanInput {
  /** The newest delivery id an earlier scan saw: older ones were dealt with then. */
  lastSeenId: number | null;
  /** Deliveries older than this are past GitHub's retention. */
  notBefore: number;
  /** Which guids ingest recorded (in the `deliveries` table). */
  recorded(guids: string[]): Promise<Set<string>>;
}

export interface ScanResult {
  /** The newest delivery id seen (or the earlier one when nothing is newer). */
  newestId: number | null;
  /** One attempt per lost event (its newest), to be redelivered. */
  lost: HookDelivery[];
}

/**
 * Reads the newest pages until the last seen delivery or GitHub's retention, and keeps the
 * events of which no attempt succeeded and which ingest never recorded.
 */
export async function findLostDeliveries(
  pages: AsyncIterable<HookDelivery[]>,
  input: ScanInput,
): Promise<ScanResult> {
  let newestId = input.lastSeenId;
  const byGuid = new Map<string, { newest: HookDelivery; succeeded: boolean }>();
  scan: for await (const page of pages) {
    for (const delivery of page) {
      if (input.lastSeenId !== null && delivery.id <= input.lastSeenId) break scan;
      if (Date.parse(delivery.deliveredAt) < input.notBefore) break scan;
      if (newestId === null || delivery.id > newestId) newestId = delivery.id;
      let event = byGuid.get(delivery.guid);
      if (!event) {
        event = { newest: delivery, succeeded: false };
        byGuid.set(delivery.guid, event);
      }
      // Any attempt that went through (the first, or a redelivery of the same guid) recovers it.
      if (deliverySucceeded(delivery)) event.succeeded = true;
    }
  }
  const failed = [...byGuid.values()].filter((g) => !g.succeeded).map((g) => g.newest);
  if (failed.length === 0) return { newestId, lost: [] };
  const recorded = await input.recorded(failed.map((d) => d.guid));
  return { newestId, lost: failed.filter((d) => !recorded.has(d.guid)) };
}

export interface RedeliveryDeps {
  api: AppWebhookPort;
  /** Holds the last seen delivery id and the scan lock. */
  redis: Redis;
  keyPrefix: string;
  recorded(guids: string[]): Promise<Set<string>>;
  retentionDays: number;
  log: Logger;
  /** Told of each event GitHub was asked to deliver again (metrics). */
  onRedelivered?(delivery: HookDelivery): void;
  now?: () => number;
}

/** Longest a scan may hold the lock: a worker killed mid-scan frees it after this. */
const LOCK_MS = 10 * 60_000;

const RELEASE_LOCK = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

/** One scan; a scan already running elsewhere makes this one a no-op. */
export async function redeliverLostDeliveries(
  deps: RedeliveryDeps,
): Promise<{ redelivered: number; busy?: true }> {
  const lockKey = `${deps.keyPrefix}:redelivery:lock`;
  const lastSeenKey = `${deps.keyPrefix}:redelivery:last-seen`;
  const token = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  if ((await deps.redis.set(lockKey, token, "PX", LOCK_MS, "NX")) !== "OK") {
    return { redelivered: 0, busy: true };
  }
  try {
    const stored = await deps.redis.get(lastSeenKey);
    const now = deps.now?.() ?? Date.now();
    const { newestId, lost } = await findLostDeliveries(deps.api.deliveryPages(), {
      lastSeenId: stored === null ? null : Number(stored),
      notBefore: now - deps.retentionDays * 24 * 3600_000,
      recorded: deps.recorded,
    });
    let refused = 0;
    // Oldest first, so events reach the app in the order they happened.
    for (const delivery of [...lost].reverse()) {
      const fields = {
        deliveryId: delivery.id,
        guid: delivery.guid,
        event: delivery.action ? `${delivery.event}.${delivery.action}` : delivery.event,
      };
      try {
        await deps.api.redeliver(delivery.id);
        deps.log.info(fields, "a lost webhook delivery: GitHub was asked to deliver it again");
        deps.onRedelivered?.(delivery);
      } catch (error) {
        refused += 1;
        const reason = error instanceof Error ? error.message : String(error);
        deps.log.warn({ ...fields, reason }, "GitHub refused to redeliver a lost delivery");
      }
    }
    // Moving past a delivery GitHub refused to redeliver would lose it: the job retries instead.
    if (refused > 0) throw new Error(`${refused} of ${lost.length} redelivery request(s) failed`);
    if (newestId !== null) await deps.redis.set(lastSeenKey, String(newestId));
    return { redelivered: lost.length };
  } finally {
    await deps.redis.eval(RELEASE_LOCK, 1, lockKey, token).catch(() => {});
  }
}

/**
 * A scan now (one per minute however many workers start together) and then every `minutes`,
 * by a BullMQ job scheduler on the maintenance queue: one job per tick for all workers.
 */
export async function scheduleRedelivery(queue: Queue, minutes: number): Promise<void> {
  if (minutes <= 0) {
    await queue.removeJobScheduler(REDELIVERY_SCHEDULER_ID);
    return;
  }
  await queue.upsertJobScheduler(
    REDELIVERY_SCHEDULER_ID,
    { every: minutes * 60_000 },
    { name: REDELIVERY_JOB },
  );
  const minute = Math.floor(Date.now() / 60_000);
  await queue.add(REDELIVERY_JOB, {}, { jobId: `redeliver-start-${minute}` });
}
