// Webhook signatures: forged, missing, mismatched, malformed, signed with another secret or over
// another body, and GitHub's own published test vector. Each is refused with a 4xx naming the
// problem, and nothing is recorded.

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { start } from "../../src/main/runtime.ts";
import { signWebhook } from "../../testkit/fakes/github/index.ts";
import { freePort } from "../../testkit/services.ts";
import { type Harness, OWNER, REPO, WEBHOOK_SECRET } from "../../testkit/stack.ts";
import { refused, settle, startReliabilityHarness } from "./support/suite.ts";

const FILE = "signatures";
let h: Harness;

// https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
const VECTOR = {
  secret: "It's a Secret to Everybody",
  payload: "Hello, World!",
  signature: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
};

beforeAll(async () => {
  h = await startReliabilityHarness({ worker: false });
});
afterAll(async () => {
  if (h) await settle(FILE, h);
  await h?.stop();
});

const count = async (table: "deliveries" | "outbox") =>
  Number(
    (
      await h.db.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

function labelledIssue() {
  return h.github.openIssue({
    owner: OWNER,
    repo: REPO,
    author: "mona",
    title: "Signed?",
    body: "b",
    labels: ["practical"],
  });
}

function post(body: string, headers: Record<string, string>, url = h.webhookUrl) {
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/test",
      "x-github-event": "issues",
      "x-github-delivery": randomUUID(),
      ...headers,
    },
    body,
  });
}

/** Sends a request that must be refused: a 4xx with a message matching `message`, nothing stored. */
async function expectRefused(response: Response, message: RegExp) {
  const before = { deliveries: await count("deliveries"), outbox: await count("outbox") };
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  expect(await response.text()).toMatch(message);
  expect({ deliveries: await count("deliveries"), outbox: await count("outbox") }).toEqual(before);
  return "message" as const;
}

describe("webhook signatures", () => {
  it("GitHub's published test vector: the fakes sign exactly as GitHub does", () => {
    expect(signWebhook(VECTOR.secret, VECTOR.payload)).toBe(VECTOR.signature);
  });

  it("a forged signature (zeros) is refused", () =>
    refused(FILE, "forged signature", async () => {
      const body = JSON.stringify(labelledIssue().payload);
      return expectRefused(
        await post(body, { "x-hub-signature-256": `sha256=${"0".repeat(64)}` }),
        /signature/i,
      );
    }));

  it("a missing signature is refused", () =>
    refused(FILE, "missing signature", async () => {
      const body = JSON.stringify(labelledIssue().payload);
      return expectRefused(await post(body, {}), /x-hub-signature-256/);
    }));

  it("only the old SHA-1 signature is refused", () =>
    refused(FILE, "SHA-1 signature only", async () => {
      const body = JSON.stringify(labelledIssue().payload);
      const sha1 = `sha1=${(await import("node:crypto")).createHmac("sha1", WEBHOOK_SECRET).update(body).digest("hex")}`;
      return expectRefused(await post(body, { "x-hub-signature": sha1 }), /x-hub-signature-256/);
    }));

  it("a signature made with another secret is refused", () =>
    refused(FILE, "signature with another secret", async () => {
      const body = JSON.stringify(labelledIssue().payload);
      return expectRefused(
        await post(body, { "x-hub-signature-256": signWebhook("not-our-secret", body) }),
        /signature/i,
      );
    }));

  it("a valid signature over a different body (tampered payload) is refused", () =>
    refused(FILE, "signature of another body (tampered payload)", async () => {
      const original = labelledIssue().payload;
      const signature = signWebhook(WEBHOOK_SECRET, JSON.stringify(original));
      const tampered = JSON.stringify({
        ...original,
        sender: { ...original.sender, login: "mallory" },
      });
      return expectRefused(
        await post(tampered, { "x-hub-signature-256": signature }),
        /signature/i,
      );
    }));

  it("a malformed signature (short, not hex) is refused", () =>
    refused(FILE, "malformed signature", async () => {
      const body = JSON.stringify(labelledIssue().payload);
      return expectRefused(
        await post(body, { "x-hub-signature-256": "sha256=not-hex" }),
        /signature/i,
      );
    }));

  it("the test vector's exact request, sent to an app with another secret, is refused", () =>
    refused(FILE, "GitHub test vector, wrong secret", async () =>
      expectRefused(
        await post(VECTOR.payload, { "x-hub-signature-256": VECTOR.signature }),
        /signature/i,
      ),
    ));

  it("the test vector's secret is refused at startup: a webhook secret has at least 32 characters", () =>
    refused(FILE, "a 26-character WEBHOOK_SECRET (GitHub's test vector's)", async () => {
      const port = await freePort();
      const starting = start(
        { web: true, worker: false },
        { ...h.env, PORT: String(port), WEBHOOK_SECRET: VECTOR.secret },
      );
      await expect(starting).rejects.toThrow(/WEBHOOK_SECRET: must be at least 32 characters/);
      return "message";
    }));

  it("a correctly signed body that is not JSON is refused", () =>
    refused(FILE, "right signature, body not JSON", async () =>
      expectRefused(
        await post(VECTOR.payload, {
          "x-hub-signature-256": signWebhook(WEBHOOK_SECRET, VECTOR.payload),
        }),
        /json|payload/i,
      ),
    ));

  it("a body that is not JSON at all is refused", () =>
    refused(FILE, "wrong content type", async () => {
      const body = "payload=%7B%7D";
      const response = await fetch(h.webhookUrl, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "x-github-event": "issues",
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": signWebhook(WEBHOOK_SECRET, body),
        },
        body,
      });
      return expectRefused(response, /content-type/i);
    }));
});
