import type { Kysely } from "kysely";
import type { Database } from "../adapters/store/schema.ts";
import { SessionStore } from "../adapters/store/sessions.ts";
import { decryptModelKey, encryptModelKey, keyFingerprint } from "../core/model-keys.ts";

export interface RotationResult {
  /** Installations whose key was re-encrypted under the current ENCRYPTION_KEY. */
  reEncrypted: number[];
  /** Already under the current key. */
  current: number[];
  /** Keys no configured encryption key opens: an admin must enter them again. */
  unreadable: number[];
  /** Dashboard sessions sealed with an older key, ended (their users sign in again). */
  sessionsEnded: number;
}

/**
 * After ENCRYPTION_KEY changes (the old value moved to ENCRYPTION_KEYS_PREVIOUS), re-encrypts
 * every stored model key under the new one, each in its own row update guarded by the old
 * ciphertext, so a key replaced meanwhile on the dashboard is left alone. Idempotent.
 */
export async function rotateModelKeys(
  db: Kysely<Database>,
  current: Buffer,
  previous: Buffer[],
): Promise<RotationResult> {
  const currentVersion = keyFingerprint(current);
  const result: RotationResult = { reEncrypted: [], current: [], unreadable: [], sessionsEnded: 0 };
  const rows = await db
    .selectFrom("installations")
    .select(["id", "model_key_ciphertext", "model_key_version"])
    .where("model_key_ciphertext", "is not", null)
    .orderBy("id")
    .execute();
  for (const row of rows) {
    if (!row.model_key_ciphertext || !row.model_key_version) continue;
    if (row.model_key_version === currentVersion) {
      result.current.push(row.id);
      continue;
    }
    let plaintext: string;
    try {
      plaintext = decryptModelKey(
        { ciphertext: row.model_key_ciphertext, version: row.model_key_version },
        row.id,
        [current, ...previous],
      );
    } catch {
      result.unreadable.push(row.id);
      continue;
    }
    const sealed = encryptModelKey(plaintext, row.id, current);
    const updated = await db
      .updateTable("installations")
      .set({
        model_key_ciphertext: sealed.ciphertext,
        model_key_version: sealed.version,
        model_key_hint: sealed.hint,
      })
      .where("id", "=", row.id)
      .where("model_key_ciphertext", "=", row.model_key_ciphertext)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 1) result.reEncrypted.push(row.id);
  }
  result.sessionsEnded = await new SessionStore(db, [current]).deleteSealedWithOtherKeys(current);
  return result;
}
