import { describe, expect, it } from "vitest";
import {
  deliveryRetentionDays,
  deliverySucceeded,
  findLostDeliveries,
} from "../../../src/ops/redelivery.ts";
import type { HookDelivery } from "../../../src/ports/app-webhook.ts";

const NOW = Date.parse("2026-05-10T12:00:00Z");
const HOUR = 3600_000;

/** A delivery `hoursAgo` old; ids grow with time, as GitHub's do. */
function delivery(id: number, guid: string, hoursAgo: number, ok: boolean, redelivery = false) {
  return {
    id,
    guid,
    deliveredAt: new Date(NOW - hoursAgo * HOUR).toISOString(),
    redelivery,
    status: ok ? "OK" : "failed to connect",
    statusCode: ok ? 200 : 0,
    event: "issues",
    action: "opened",
  } satisfies HookDelivery;
}

/** Newest first, in pages of `size`, counting the pages read. */
function paged(deliveries: HookDelivery[], size = 2) {
  const sorted = [...deliveries].sort((a, b) => b.id - a.id);
  const read = { pages: 0 };
  async function* pages() {
    for (let i = 0; i < sorted.length; i += size) {
      read.pages += 1;
      yield sorted.slice(i, i + size);
    }
  }
  return { pages: pages(), read };
}

const nothingRecorded = async () => new Set<string>();
const scan = (
  deliveries: HookDelivery[],
  options: { lastSeenId?: number | null; recorded?: (g: string[]) => Promise<Set<string>> } = {},
) => {
  const { pages, read } = paged(deliveries);
  return findLostDeliveries(pages, {
    lastSeenId: options.lastSeenId ?? null,
    notBefore: NOW - 3 * 24 * HOUR,
    recorded: options.recorded ?? nothingRecorded,
  }).then((result) => ({ ...result, pagesRead: read.pages }));
};

describe("finding lost deliveries", () => {
  it("keeps failed events, newest attempt each, and remembers the newest id", async () => {
    const result = await scan([
      delivery(1, "a", 5, false),
      delivery(2, "b", 4, true),
      delivery(3, "a", 3, false, true),
      delivery(4, "c", 2, false),
    ]);
    expect(result.lost.map((d) => [d.id, d.guid])).toEqual([
      [4, "c"],
      [3, "a"],
    ]);
    expect(result.newestId).toBe(4);
  });

  it("skips an event when any attempt succeeded (a redelivery of the same guid)", async () => {
    const result = await scan([delivery(1, "a", 5, false), delivery(2, "a", 4, true, true)]);
    expect(result.lost).toEqual([]);
  });

  it("skips failed events ingest recorded (answered too late, yet kept)", async () => {
    const asked: string[][] = [];
    const result = await scan([delivery(1, "a", 5, false), delivery(2, "b", 4, false)], {
      recorded: async (guids) => {
        asked.push(guids);
        return new Set(["a"]);
      },
    });
    expect(asked).toEqual([["b", "a"]]);
    expect(result.lost.map((d) => d.guid)).toEqual(["b"]);
  });

  it("stops at the newest delivery an earlier scan saw, without reading further pages", async () => {
    const all = [1, 2, 3, 4, 5, 6].map((id) => delivery(id, `g${id}`, 10 - id, false));
    const result = await scan(all, { lastSeenId: 4 });
    expect(result.lost.map((d) => d.id)).toEqual([6, 5]);
    expect(result.newestId).toBe(6);
    expect(result.pagesRead).toBe(2);
  });

  it("stops at GitHub's retention", async () => {
    const result = await scan([
      delivery(1, "old", 24 * 3 + 1, false),
      delivery(2, "older-page", 24 * 3 + 0.5, false),
      delivery(3, "recent", 1, false),
    ]);
    expect(result.lost.map((d) => d.guid)).toEqual(["recent"]);
  });

  it("nothing new: keeps the last seen id and asks nothing", async () => {
    let asked = false;
    const result = await scan([delivery(1, "a", 5, false)], {
      lastSeenId: 1,
      recorded: async () => {
        asked = true;
        return new Set();
      },
    });
    expect(result).toMatchObject({ newestId: 1, lost: [] });
    expect(asked).toBe(false);
  });
});

describe("delivery outcome and retention", () => {
  it("counts OK or a 2xx/3xx status code as delivered; no HTTP answer or 4xx/5xx as failed", () => {
    expect(deliverySucceeded({ status: "OK", statusCode: 200 })).toBe(true);
    expect(deliverySucceeded({ status: "Accepted", statusCode: 202 })).toBe(true);
    expect(deliverySucceeded({ status: "Invalid HTTP Response: 503", statusCode: 503 })).toBe(
      false,
    );
    expect(deliverySucceeded({ status: "failed to connect", statusCode: 0 })).toBe(false);
    expect(deliverySucceeded({ status: "timed out", statusCode: 0 })).toBe(false);
  });

  it("3 days on github.com, 7 on GitHub Enterprise Server", () => {
    expect(deliveryRetentionDays("https://github.com")).toBe(3);
    expect(deliveryRetentionDays("https://ghe.example.com")).toBe(7);
  });
});
