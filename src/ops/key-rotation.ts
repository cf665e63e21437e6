import type { Store } from "../adapters/store/store.ts";
import { decryptModelKey, encryptModelKey, keyFingerprint } from "../core/model-keys.ts";

/** The settings audit's actor for `npm run keys:rotate`. */
export const ROTATION_ACTOR = "operator (keys:rotate)";

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
  store: Store,
  current: Buffer,
  previous: Buffer[],
): Promise<RotationResult> {
  const currentVersion = keyFingerprint(current);
  const result: RotationResult = { reEncrypted: [], current: [], unreadable: [], sessionsEnded: 0 };
  for (const row of await store.listModelKeys()) {
    if (row.version === currentVersion) {
      result.current.push(row.id);
      continue;
    }
    let plaintext: string;
    try {
      plaintext = decryptModelKey({ ciphertext: row.ciphertext, version: row.version }, row.id, [
        current,
        ...previous,
      ]);
    } catch {
      result.unreadable.push(row.id);
      continue;
    }
    const sealed = encryptModelKey(plaintext, row.id, current);
    if (await store.replaceModelKey(row.id, row.ciphertext, sealed)) {
      result.reEncrypted.push(row.id);
      // The operator's command, not a dashboard user: the key's last four, never the key.
      await store.auditSettingsChange({
        installationId: row.id,
        actor: ROTATION_ACTOR,
        action: "model_key_rotated",
        detail: { hint: sealed.hint, from: row.version, to: currentVersion },
      });
    }
  }
  result.sessionsEnded = await store.sessions([current]).deleteSealedWithOtherKeys(current);
  return result;
}
