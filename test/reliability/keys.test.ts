// Model keys at rest: a tampered ciphertext, one moved from another installation, one sealed
// under an encryption key the app no longer has. Decryption fails closed (no model call with
// anything else), and the installation is told to enter its key again. A missing or malformed
// ENCRYPTION_KEY stops the app at start with one clear message.

import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptModelKey } from "../../src/core/model-keys.ts";
import { DEMO_REPO_FILES, scriptDemoFeature } from "../../testkit/demo-feature.ts";
import { type Journey, journey } from "../../testkit/journey.ts";
import { spawnApp } from "../../testkit/processes.ts";
import { sleep, waitFor } from "../../testkit/services.ts";
import { type Harness, INSTALLATION_ID, OWNER, REPO } from "../../testkit/stack.ts";
import { refused, settle, startReliabilityHarness } from "./support/suite.ts";

const FILE = "keys";
const INSTALLATION_KEY = `sk-ant-api03-inst-${randomBytes(16).toString("hex")}`;
let h: Harness;
let d: Journey;
let encryptionKey: Buffer;

beforeAll(async () => {
  h = await startReliabilityHarness({ files: DEMO_REPO_FILES, modelKeys: [INSTALLATION_KEY] });
  d = journey(h, { maintainer: true });
  scriptDemoFeature(h.model);
  encryptionKey = Buffer.from(h.env.ENCRYPTION_KEY ?? "", "hex");
  await h.db.store.ensureInstallation(INSTALLATION_ID, OWNER, "Organization");
});
afterAll(async () => {
  if (h) await settle(FILE, h);
  await h?.stop();
});

async function storeKey(sealed: { ciphertext: Buffer; version: string; hint: string }) {
  await h.db.db
    .updateTable("installations")
    .set({
      model_key_ciphertext: sealed.ciphertext,
      model_key_version: sealed.version,
      model_key_hint: sealed.hint,
    })
    .where("id", "=", INSTALLATION_ID)
    .execute();
}

/** Opens an issue; the BA must stop before any model call and say the key must be entered again. */
async function expectKeyRefused(title: string) {
  const calls = h.model.requests.length;
  const issue = await d.open(title);
  await waitFor(
    "the failure comment",
    () => d.botComments(issue).some((c) => c.body.includes("❌")),
    15_000,
  );
  await sleep(500);
  const failures = d.botComments(issue).filter((c) => c.body.includes("❌"));
  expect(failures).toHaveLength(1);
  expect(failures[0]?.body).toMatch(
    /cannot be decrypted: an installation admin must enter it again on the dashboard/,
  );
  // Failed closed: no model call at all, not even with the operator's key.
  expect(h.model.requests.length).toBe(calls);
  return "message" as const;
}

describe("model keys at rest", () => {
  it("a tampered ciphertext fails closed", () =>
    refused(FILE, "tampered key ciphertext", async () => {
      const sealed = encryptModelKey(INSTALLATION_KEY, INSTALLATION_ID, encryptionKey);
      const ciphertext = Buffer.from(sealed.ciphertext);
      ciphertext[ciphertext.length - 1] = (ciphertext[ciphertext.length - 1] ?? 0) ^ 0x01;
      await storeKey({ ...sealed, ciphertext });
      return expectKeyRefused("Tampered key");
    }));

  it("a ciphertext swapped in from another installation fails closed", () =>
    refused(FILE, "key ciphertext swapped from another installation", async () => {
      await storeKey(encryptModelKey(INSTALLATION_KEY, INSTALLATION_ID + 1, encryptionKey));
      return expectKeyRefused("Swapped key");
    }));

  it("a ciphertext sealed under an encryption key the app no longer has fails closed", () =>
    refused(FILE, "key sealed under an unknown encryption key", async () => {
      await storeKey(encryptModelKey(INSTALLATION_KEY, INSTALLATION_ID, randomBytes(32)));
      return expectKeyRefused("Rotated away key");
    }));

  it("once the key is entered again, the installation's own key is used", async () => {
    await storeKey(encryptModelKey(INSTALLATION_KEY, INSTALLATION_ID, encryptionKey));
    const issue = await d.open("Key fixed");
    await waitFor("the BA's question", () =>
      h.github.comments(OWNER, REPO, issue).some((c) => c.body.includes("Two questions")),
    );
    expect(h.model.requests.at(-1)?.keyLastFour).toBe(INSTALLATION_KEY.slice(-4));
  });
});

describe("the encryption key at start", () => {
  const cases: [string, NodeJS.ProcessEnv, RegExp][] = [
    ["ENCRYPTION_KEY missing", { ENCRYPTION_KEY: undefined }, /ENCRYPTION_KEY: is required/],
    ["ENCRYPTION_KEY too short", { ENCRYPTION_KEY: "abc123" }, /ENCRYPTION_KEY: must be 32 bytes/],
    [
      "a previous encryption key malformed",
      { ENCRYPTION_KEYS_PREVIOUS: "not-a-key" },
      /ENCRYPTION_KEYS_PREVIOUS.*must be 32 bytes/,
    ],
  ];
  for (const [name, change, message] of cases) {
    for (const role of ["web", "worker"] as const) {
      it(`${name}: the ${role} process refuses to start, saying why`, () =>
        refused(FILE, `${name} (${role})`, async () => {
          const env = { ...h.env, ...change };
          if ("ENCRYPTION_KEY" in change && change.ENCRYPTION_KEY === undefined)
            delete env.ENCRYPTION_KEY;
          const app = spawnApp(role, env);
          const code = await Promise.race([app.exited, sleep(15_000).then(() => "still running")]);
          await app.kill();
          expect(code).toBe(1);
          const output = app.lines.join("\n");
          expect(output).toMatch(message);
          expect(output).toContain("See the configuration table in README.md.");
          expect(output).not.toMatch(/\n\s+at /); // one message, no stack trace
          return "message";
        }));
    }
  }
});
