import { type Kysely, sql } from "kysely";
import type { EncryptedKey } from "../../core/model-keys.ts";
import type { Database } from "./schema.ts";

export type SettingsAuditAction =
  | "settings"
  | "model_key_set"
  | "model_key_deleted"
  | "model_key_rotated";

/** The app's installations, their sealed model keys, and what an uninstall leaves behind. */
export function installationRepository(db: Kysely<Database>) {
  return {
    async ensureInstallation(id: number, accountLogin: string, accountType = "User") {
      await db
        .insertInto("installations")
        .values({ id, account_login: accountLogin, account_type: accountType, settings: "{}" })
        .onConflict((oc) =>
          oc.column("id").doUpdateSet({
            account_login: accountLogin,
            account_type: accountType,
            deleted_at: null,
          }),
        )
        .execute();
    },

    /** One entry of an installation's settings audit: who changed what. Never a key itself. */
    async auditSettingsChange(entry: {
      installationId: number;
      actor: string;
      action: SettingsAuditAction;
      detail?: Record<string, unknown>;
    }) {
      await db
        .insertInto("settings_audit")
        .values({
          installation_id: entry.installationId,
          actor: entry.actor,
          action: entry.action,
          detail: JSON.stringify(entry.detail ?? {}),
        })
        .execute();
    },

    /** The newest entries of an installation's settings audit first. */
    async listSettingsAudit(installationId: number, limit = 10) {
      return db
        .selectFrom("settings_audit")
        .selectAll()
        .where("installation_id", "=", installationId)
        .orderBy("id", "desc")
        .limit(limit)
        .execute();
    },

    async findInstallation(id: number) {
      return db.selectFrom("installations").selectAll().where("id", "=", id).executeTakeFirst();
    },

    /** The app was uninstalled: the installation is marked deleted and its model key deleted. */
    async markUninstalled(id: number) {
      await db
        .updateTable("installations")
        .set({
          deleted_at: sql<Date>`now()`,
          model_key_ciphertext: null,
          model_key_version: null,
          model_key_hint: null,
        })
        .where("id", "=", id)
        .execute();
    },

    /**
     * Deletes what installations uninstalled more than `retentionDays` ago left: their features
     * (with their conversation, artifacts, approvals, runs and audit trail) and then their rows.
     * Returns their ids.
     */
    async purgeUninstalled(retentionDays: number): Promise<number[]> {
      return db.transaction().execute(async (trx) => {
        const due = await trx
          .selectFrom("installations")
          .select("id")
          .where("deleted_at", "is not", null)
          .where("deleted_at", "<", sql<Date>`now() - make_interval(days => ${retentionDays})`)
          .execute();
        const ids = due.map((r) => r.id);
        if (ids.length === 0) return [];
        // The audit tables refuse deletes (a trigger) except in a transaction that says it purges.
        await sql`SET LOCAL practical.purging = 'on'`.execute(trx);
        await trx.deleteFrom("settings_audit").where("installation_id", "in", ids).execute();
        await trx.deleteFrom("agent_runs").where("installation_id", "in", ids).execute();
        await trx.deleteFrom("features").where("installation_id", "in", ids).execute();
        await trx.deleteFrom("installations").where("id", "in", ids).execute();
        return ids;
      });
    },

    /** Every stored model key, sealed, by installation. */
    async listModelKeys() {
      const rows = await db
        .selectFrom("installations")
        .select(["id", "model_key_ciphertext", "model_key_version"])
        .where("model_key_ciphertext", "is not", null)
        .orderBy("id")
        .execute();
      return rows.flatMap((row) =>
        row.model_key_ciphertext && row.model_key_version
          ? [{ id: row.id, ciphertext: row.model_key_ciphertext, version: row.model_key_version }]
          : [],
      );
    },

    /**
     * Replaces an installation's sealed model key if it is still `expected` (a key replaced
     * meanwhile on the dashboard is left alone). True when it was replaced.
     */
    async replaceModelKey(id: number, expected: Buffer, key: EncryptedKey): Promise<boolean> {
      const updated = await db
        .updateTable("installations")
        .set({
          model_key_ciphertext: key.ciphertext,
          model_key_version: key.version,
          model_key_hint: key.hint,
        })
        .where("id", "=", id)
        .where("model_key_ciphertext", "=", expected)
        .executeTakeFirst();
      return Number(updated.numUpdatedRows) === 1;
    },
  };
}
