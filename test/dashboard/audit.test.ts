// The audit trail cannot be edited: the database itself refuses UPDATE and DELETE on the
// feature events and the settings audit, except in the retention purge. Settings and model-key
// changes are audited (who, what, when; a key only as its last four) and shown on the settings page.
import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyFingerprint } from "../../src/core/model-keys.ts";
import { ROTATION_ACTOR, rotateModelKeys } from "../../src/ops/key-rotation.ts";
import { type Harness, INSTALLATION_ID, startHarness } from "../../testkit/stack.ts";
import { ADMIN, type Client, type Seeded, seedFeatures, seedGitHub, signIn } from "./support.ts";

const PASTED = `sk-ant-api03-audited-${randomBytes(16).toString("hex")}`;
const SETTINGS = `/installations/${INSTALLATION_ID}/settings`;

let h: Harness;
let seeded: Seeded;
let admin: Client;

beforeAll(async () => {
  h = await startHarness({ worker: false, modelKeys: [PASTED] });
  seedGitHub(h);
  seeded = await seedFeatures(h.db.db);
  admin = await signIn(h, ADMIN);
});
afterAll(async () => h?.stop());

const audit = () =>
  h.db.db
    .selectFrom("settings_audit")
    .selectAll()
    .where("installation_id", "=", INSTALLATION_ID)
    .orderBy("id")
    .execute();

async function refusal(query: Promise<unknown>): Promise<string> {
  const error = await query.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return (error as Error).message;
}

describe("the feature events", () => {
  it("refuse UPDATE, DELETE and TRUNCATE", async () => {
    const [event] = await h.db.db
      .selectFrom("feature_events")
      .selectAll()
      .where("feature_id", "=", seeded.healthId)
      .execute();
    expect(event).toBeDefined();
    const id = event?.id ?? 0;
    expect(
      await refusal(
        h.db.db
          .updateTable("feature_events")
          .set({ actor: "mallory" })
          .where("id", "=", id)
          .execute(),
      ),
    ).toMatch(/feature_events is append-only: UPDATE is refused/);
    expect(
      await refusal(h.db.db.deleteFrom("feature_events").where("id", "=", id).execute()),
    ).toMatch(/feature_events is append-only: DELETE is refused/);
    expect(await refusal(sql`TRUNCATE feature_events CASCADE`.execute(h.db.db))).toMatch(
      /append-only: TRUNCATE is refused/,
    );
    // Deleting the feature would cascade to its events: refused too.
    expect(
      await refusal(h.db.db.deleteFrom("features").where("id", "=", seeded.healthId).execute()),
    ).toMatch(/append-only/);
    const after = await h.db.db
      .selectFrom("feature_events")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    expect(after).toEqual(event);
  });

  it("still take new entries", async () => {
    await h.db.db
      .insertInto("feature_events")
      .values({
        feature_id: seeded.healthId,
        actor: "someone",
        event: "note",
        from_stage: "reviewing",
        to_stage: "reviewing",
      })
      .execute();
  });
});

describe("settings and model-key changes", () => {
  it("a settings change is audited with who, what and when, and shown on the settings page", async () => {
    const before = new Date(Date.now() - 1_000);
    const csrf = await admin.csrf(SETTINGS);
    const saved = await admin.post(SETTINGS, {
      _csrf: csrf,
      budget_monthly_usd: "42",
      budget_feature_usd: "3",
    });
    expect(saved.status).toBe(303);
    const entries = await audit();
    expect(entries).toMatchObject([
      {
        actor: ADMIN,
        action: "settings",
        detail: {
          changes: ["budget_feature_usd: default → 3", "budget_monthly_usd: default → 42"],
        },
      },
    ]);
    expect(entries[0]?.created_at.getTime()).toBeGreaterThanOrEqual(before.getTime());
    const { html } = await admin.page(SETTINGS);
    const recent = html.slice(html.indexOf('id="recent-changes"'));
    expect(recent).toContain(`<strong>${ADMIN}</strong> changed budget_feature_usd: default → 3`);
    expect(recent).toContain(`<time datetime="${entries[0]?.created_at.toISOString()}">`);
  });

  it("a key change is audited with its last four characters only, and shown", async () => {
    const csrf = await admin.csrf(SETTINGS);
    const saved = await admin.post(`${SETTINGS}/key`, { _csrf: csrf, key: PASTED });
    expect(saved.status).toBe(303);
    const deleted = await admin.post(`${SETTINGS}/key/delete`, { _csrf: csrf });
    expect(deleted.status).toBe(303);
    const entries = (await audit()).slice(1);
    expect(entries).toMatchObject([
      { actor: ADMIN, action: "model_key_set", detail: { hint: PASTED.slice(-4) } },
      { actor: ADMIN, action: "model_key_deleted", detail: { hint: PASTED.slice(-4) } },
    ]);
    const everything = JSON.stringify(await audit());
    expect(everything).not.toContain(PASTED.slice(0, -4));
    const { html } = await admin.page(SETTINGS);
    expect(html).toContain(
      `<strong>${ADMIN}</strong> set the model key (last four characters: ${PASTED.slice(-4)})`,
    );
    expect(html).toContain(`<strong>${ADMIN}</strong> deleted the model key`);
    expect(html).not.toContain(PASTED);
  });

  it("a key re-encrypted by `keys:rotate` is audited as the operator's", async () => {
    const oldKey = Buffer.from(h.env.ENCRYPTION_KEY ?? "", "hex");
    const newKey = randomBytes(32);
    const csrf = await admin.csrf(SETTINGS);
    expect((await admin.post(`${SETTINGS}/key`, { _csrf: csrf, key: PASTED })).status).toBe(303);
    const result = await rotateModelKeys(h.db.store, newKey, [oldKey]);
    expect(result.reEncrypted).toEqual([INSTALLATION_ID]);
    const last = (await audit()).at(-1);
    expect(last).toMatchObject({
      actor: ROTATION_ACTOR,
      action: "model_key_rotated",
      detail: { hint: PASTED.slice(-4), to: keyFingerprint(newKey) },
    });
  });

  it("the settings audit refuses UPDATE and DELETE", async () => {
    const [first] = await audit();
    const id = first?.id ?? 0;
    expect(
      await refusal(
        h.db.db
          .updateTable("settings_audit")
          .set({ actor: "mallory" })
          .where("id", "=", id)
          .execute(),
      ),
    ).toMatch(/settings_audit is append-only: UPDATE is refused/);
    expect(
      await refusal(h.db.db.deleteFrom("settings_audit").where("id", "=", id).execute()),
    ).toMatch(/settings_audit is append-only: DELETE is refused/);
    expect((await audit())[0]).toEqual(first);
  });
});

describe("the retention purge", () => {
  it("still deletes what an uninstalled installation left, audit trails included", async () => {
    expect((await audit()).length).toBeGreaterThan(0);
    await h.db.store.markUninstalled(INSTALLATION_ID);
    await h.db.db
      .updateTable("installations")
      .set({ deleted_at: new Date(Date.now() - 31 * 24 * 3600_000) })
      .where("id", "=", INSTALLATION_ID)
      .execute();
    expect(await h.db.store.purgeUninstalled(30)).toEqual([INSTALLATION_ID]);
    expect(await h.db.store.findFeature(seeded.healthId)).toBeNull();
    const events = await h.db.db
      .selectFrom("feature_events")
      .select("id")
      .where("feature_id", "=", seeded.healthId)
      .execute();
    expect(events).toEqual([]);
    expect(await audit()).toEqual([]);
    // The exception ended with the purge's transaction.
    await h.db.db
      .insertInto("settings_audit")
      .values({ installation_id: 1, actor: "x", action: "settings" })
      .execute();
    expect(
      await refusal(
        h.db.db.deleteFrom("settings_audit").where("installation_id", "=", 1).execute(),
      ),
    ).toMatch(/append-only/);
  });
});
