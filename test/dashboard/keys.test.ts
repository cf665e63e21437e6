// The model key on the dashboard (paste, replace, delete), at rest (AES-256-GCM bound to the
// installation, rotation), uninstalling, and the rate limits.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptModelKey, encryptModelKey, keyFingerprint } from "../../src/core/model-keys.ts";
import { projectPath } from "../../src/project-root.ts";
import { checkModelKey } from "../../src/web/dashboard/model-key.ts";
import { waitFor } from "../../testkit/services.ts";
import { type Harness, INSTALLATION_ID, MODEL_KEY, startHarness } from "../../testkit/stack.ts";
import {
  ADMIN,
  type Client,
  MEMBER,
  type Seeded,
  seedFeatures,
  seedGitHub,
  signIn,
} from "./support.ts";

const PASTED = `sk-ant-api03-pasted-${randomBytes(16).toString("hex")}`;
const REPLACEMENT = `sk-ant-api03-replaced-${randomBytes(16).toString("hex")}`;
const SETTINGS = `/installations/${INSTALLATION_ID}/settings`;

let h: Harness;
let seeded: Seeded;
let admin: Client;

beforeAll(async () => {
  h = await startHarness({
    worker: false,
    modelKeys: [PASTED, REPLACEMENT],
    dashboard: { rateLimits: { signIn: 12, keyChecks: 6 } },
  });
  seedGitHub(h);
  seeded = await seedFeatures(h.db.db);
  admin = await signIn(h, ADMIN);
});
afterAll(async () => h?.stop());

const row = () => h.db.store.findInstallation(INSTALLATION_ID);
const keys = () => [
  Buffer.from(h.env.ENCRYPTION_KEY ?? "", "hex"),
  ...(h.env.ENCRYPTION_KEYS_PREVIOUS ?? "")
    .split(",")
    .filter(Boolean)
    .map((k) => Buffer.from(k, "hex")),
];

async function paste(client: Client, key: string) {
  const csrf = await client.csrf(SETTINGS);
  return client.post(`${SETTINGS}/key`, { _csrf: csrf, key });
}

describe("the model key on the dashboard", () => {
  it("refuses a key the model API rejects, with a clear message and without echoing it", async () => {
    const wrong = `sk-ant-api03-wrong-${randomBytes(16).toString("hex")}`;
    const response = await paste(admin, wrong);
    const html = await response.text();
    expect(response.status).toBe(422);
    expect(html).toContain("The model API rejected this key (401)");
    expect(html).not.toContain(wrong);
    expect((await row())?.model_key_ciphertext).toBeNull();
    const checked = h.model.requests.filter((r) => r.path === "/v1/models");
    expect(checked.at(-1)?.keyLastFour).toBe(wrong.slice(-4));
  });

  it("refuses something that is not a key without asking the model API", async () => {
    const before = h.model.requests.length;
    const response = await paste(admin, "hello world");
    expect(response.status).toBe(422);
    expect(await response.text()).toContain("does not look like a model API key");
    expect(h.model.requests.length).toBe(before);
  });

  it("checks a good key with one model-list call, stores it encrypted, shows its last four only", async () => {
    const response = await paste(admin, PASTED);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`${SETTINGS}?saved=key`);
    const page = await admin.page(`${SETTINGS}?saved=key`);
    expect(page.html).toContain(`…${PASTED.slice(-4)}`);
    expect(page.html).not.toContain(PASTED.slice(0, -4));
    const overview = await admin.page("/");
    expect(overview.html).toContain(`…${PASTED.slice(-4)}`);
    expect(overview.html).not.toContain(PASTED.slice(0, -4));

    const stored = await row();
    const ciphertext = stored?.model_key_ciphertext as Buffer;
    expect(ciphertext.includes(Buffer.from(PASTED))).toBe(false);
    expect(ciphertext.toString("hex")).not.toContain(Buffer.from(PASTED).toString("hex"));
    expect(ciphertext.toString("base64")).not.toContain(Buffer.from(PASTED).toString("base64"));
    expect(stored?.model_key_hint).toBe(PASTED.slice(-4));
    expect(stored?.model_key_version).toBe(keyFingerprint(keys()[0] as Buffer));
    expect(
      decryptModelKey(
        { ciphertext, version: stored?.model_key_version ?? "" },
        INSTALLATION_ID,
        keys(),
      ),
    ).toBe(PASTED);
    // As the database holds it, too: no column of the row has the key in any form.
    const text = await sql<{ t: string }>`select i::text as t from installations i`.execute(
      h.db.db,
    );
    for (const { t } of text.rows) {
      expect(t).not.toContain(PASTED);
      expect(t).not.toContain(Buffer.from(PASTED).toString("hex"));
    }
  });

  it("a ciphertext copied to another installation's row does not decrypt", async () => {
    const stored = await row();
    await h.db.db
      .insertInto("installations")
      .values({
        id: 777,
        account_login: "someone-else",
        settings: "{}",
        model_key_ciphertext: stored?.model_key_ciphertext ?? null,
        model_key_version: stored?.model_key_version ?? null,
        model_key_hint: stored?.model_key_hint ?? null,
      })
      .execute();
    const copied = await h.db.store.findInstallation(777);
    expect(() =>
      decryptModelKey(
        {
          ciphertext: copied?.model_key_ciphertext as Buffer,
          version: copied?.model_key_version ?? "",
        },
        777,
        keys(),
      ),
    ).toThrow(/cannot be decrypted/);
    await h.db.db.deleteFrom("installations").where("id", "=", 777).execute();
  });

  it("replaces the key", async () => {
    const response = await paste(admin, REPLACEMENT);
    expect(response.status).toBe(303);
    const page = await admin.page(SETTINGS);
    expect(page.html).toContain(`…${REPLACEMENT.slice(-4)}`);
    expect(page.html).not.toContain(`…${PASTED.slice(-4)}`);
    expect((await row())?.model_key_hint).toBe(REPLACEMENT.slice(-4));
  });

  it("limits key checks per user", async () => {
    // Four checks so far; the limit is six per window.
    expect((await paste(admin, "still not a key")).status).toBe(422);
    expect((await paste(admin, "still not a key")).status).toBe(422);
    const limited = await paste(admin, REPLACEMENT);
    expect(limited.status).toBe(429);
    expect(await limited.text()).toContain("Too many key checks");
    expect((await row())?.model_key_hint).toBe(REPLACEMENT.slice(-4));
  });

  it("deletes the key", async () => {
    const csrf = await admin.csrf(SETTINGS);
    const response = await admin.post(`${SETTINGS}/key/delete`, { _csrf: csrf });
    expect(response.status).toBe(303);
    const page = await admin.page(`${SETTINGS}?saved=key-deleted`);
    expect(page.html).toContain('id="no-key"');
    expect(page.html).toContain("The key was deleted.");
    const stored = await row();
    expect(stored?.model_key_ciphertext).toBeNull();
    expect(stored?.model_key_hint).toBeNull();
  });
});

describe("rotating ENCRYPTION_KEY", () => {
  it("re-encrypts every stored key with `npm run keys:rotate`; each still works", async () => {
    const oldKey = keys()[0] as Buffer;
    const newKey = randomBytes(32);
    // Two installations with keys sealed under the old encryption key.
    const sealed = encryptModelKey(PASTED, INSTALLATION_ID, oldKey);
    await h.db.db
      .updateTable("installations")
      .set({
        model_key_ciphertext: sealed.ciphertext,
        model_key_version: sealed.version,
        model_key_hint: sealed.hint,
      })
      .where("id", "=", INSTALLATION_ID)
      .execute();
    const other = encryptModelKey(REPLACEMENT, 5151, oldKey);
    await h.db.db
      .insertInto("installations")
      .values({
        id: 5151,
        account_login: "other-org",
        settings: "{}",
        model_key_ciphertext: other.ciphertext,
        model_key_version: other.version,
        model_key_hint: other.hint,
      })
      .execute();

    const env = {
      ...h.env,
      ENCRYPTION_KEY: newKey.toString("hex"),
      ENCRYPTION_KEYS_PREVIOUS: oldKey.toString("hex"),
    };
    const { code, stdout } = await run(["src/main/rotate-keys.ts"], env);
    expect(code).toBe(0);
    expect(stdout).toContain("Re-encrypted 2 model key(s)");
    // Sessions sealed under the old key end, so the old key can be dropped: sign in again.
    expect(stdout).toMatch(/[1-9]\d* dashboard session\(s\) ended/);
    expect((await admin.page("/")).html).toContain('href="/login"');

    for (const [id, plaintext] of [
      [INSTALLATION_ID, PASTED],
      [5151, REPLACEMENT],
    ] as const) {
      const stored = await h.db.store.findInstallation(id);
      expect(stored?.model_key_version).toBe(keyFingerprint(newKey));
      // Opens with the new key alone: the old one can now be dropped.
      const opened = decryptModelKey(
        {
          ciphertext: stored?.model_key_ciphertext as Buffer,
          version: stored?.model_key_version ?? "",
        },
        id,
        [newKey],
      );
      expect(opened).toBe(plaintext);
      expect(await checkModelKey(opened, { baseURL: h.model.url })).toEqual({ ok: true });
    }
    // Run again: nothing left to do.
    const again = await run(["src/main/rotate-keys.ts"], env);
    expect(again.stdout).toContain("Re-encrypted 0 model key(s); 2 already current");
    admin = await signIn(h, ADMIN);
    await h.db.db.deleteFrom("installations").where("id", "=", 5151).execute();
    // Put the harness's own key back for the tests that follow.
    const restored = encryptModelKey(MODEL_KEY, INSTALLATION_ID, oldKey);
    await h.db.db
      .updateTable("installations")
      .set({
        model_key_ciphertext: restored.ciphertext,
        model_key_version: restored.version,
        model_key_hint: restored.hint,
      })
      .where("id", "=", INSTALLATION_ID)
      .execute();
  });
});

describe("uninstalling", () => {
  it("deletes the key at once, cancels queued work, keeps the rest for the retention period", async () => {
    const queue = h.pipelineQueue();
    await queue.add(
      "agent",
      { featureId: seeded.healthId },
      { jobId: `f${seeded.healthId}-a-spec-x` },
    );
    await queue.add(
      "agent",
      { featureId: seeded.darkId },
      { jobId: `f${seeded.darkId}-a-title-x` },
    );
    const response = await h.send(h.github.deleteInstallation({ id: INSTALLATION_ID, by: ADMIN }));
    expect(response.status).toBe(200);

    const stored = await row();
    expect(stored?.deleted_at).not.toBeNull();
    expect(stored?.model_key_ciphertext).toBeNull();
    expect(stored?.model_key_hint).toBeNull();
    const health = await h.db.store.findFeature(seeded.healthId);
    expect(health?.stage).toBe("cancelled");
    const events = await h.db.db
      .selectFrom("feature_events")
      .selectAll()
      .where("feature_id", "=", seeded.healthId)
      .where("event", "=", "installation_deleted")
      .execute();
    expect(events).toMatchObject([
      { from_stage: "reviewing", to_stage: "cancelled", actor: "github" },
    ]);
    // The finished feature stays as it was.
    expect((await h.db.store.findFeature(seeded.darkId))?.stage).toBe("done");
    await waitFor(
      "the reviewing feature's job to be removed",
      async () => (await queue.getJob(`f${seeded.healthId}-a-spec-x`)) === undefined,
    );

    // Within the retention period nothing else is deleted…
    expect(await h.db.store.purgeUninstalled(30)).toEqual([]);
    expect(await h.db.store.listMessages(seeded.healthId)).toHaveLength(3);
    // …after it, everything is.
    await h.db.db
      .updateTable("installations")
      .set({ deleted_at: new Date(Date.now() - 31 * 24 * 3600_000) })
      .where("id", "=", INSTALLATION_ID)
      .execute();
    expect(await h.db.store.purgeUninstalled(30)).toEqual([INSTALLATION_ID]);
    expect(await h.db.store.findFeature(seeded.healthId)).toBeNull();
    expect(await h.db.store.listMessages(seeded.healthId)).toHaveLength(0);
    const runs = await h.db.db.selectFrom("agent_runs").select("id").execute();
    expect(runs).toHaveLength(0);
    expect(await row()).toBeUndefined();
  });

  it("the dashboard says what is kept and for how long", async () => {
    // A page view may use what GitHub said up to a minute ago; a new session asks afresh.
    const csrf = await admin.csrf("/");
    const write = await admin.post(SETTINGS, { _csrf: csrf, budget_monthly_usd: "9" });
    expect(write.status).toBe(404);
    admin = await signIn(h, ADMIN);
    const page = await admin.page("/");
    expect(page.html).toContain("kept for 30 days, then deleted");
    // Uninstalled: GitHub no longer lists it, so neither does the dashboard.
    expect(page.html).toContain('id="no-installations"');
  });
});

describe("rate limits", () => {
  it("limits sign-in attempts per address", async () => {
    const member = await signIn(h, MEMBER);
    expect(member.cookies.has("bp_session")).toBe(true);
    let status = 0;
    for (let i = 0; i < 12 && status !== 429; i++) {
      status = (await member.get("/login")).status;
    }
    expect(status).toBe(429);
    const page = await member.page("/login");
    expect(page.status).toBe(429);
    expect(page.html).toContain("Too many sign-in attempts");
    expect(page.response.headers.get("ratelimit-policy")).toContain("12");
  });
});

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: projectPath(),
      env: { ...env, LOG_LEVEL: "silent" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (d) => {
      stdout += String(d);
    });
    child.stderr.on("data", (d) => {
      stdout += String(d);
    });
    child.on("close", (code) => resolve({ code: code ?? 1, stdout }));
  });
}
