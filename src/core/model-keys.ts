import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { ModelKeyUnreadableError } from "../errors.ts";

export interface EncryptedKey {
  ciphertext: Buffer;
  /** Which encryption key sealed it: a fingerprint, so ENCRYPTION_KEY can be rotated. */
  version: string;
  /** The last four characters, the only part ever shown. */
  hint: string;
}

export function keyFingerprint(encryptionKey: Buffer): string {
  return createHash("sha256").update(encryptionKey).digest("hex").slice(0, 12);
}

const aad = (installationId: number) => Buffer.from(`installation:${installationId}`);

/** AES-256-GCM with the installation id as associated data: a ciphertext moved to another row does not open. */
export function encryptModelKey(
  plaintext: string,
  installationId: number,
  encryptionKey: Buffer,
): EncryptedKey {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", encryptionKey, iv);
  cipher.setAAD(aad(installationId));
  const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return {
    ciphertext: Buffer.concat([iv, cipher.getAuthTag(), sealed]),
    version: keyFingerprint(encryptionKey),
    hint: plaintext.slice(-4),
  };
}

/** Opens a stored key with whichever configured encryption key sealed it; fails closed. */
export function decryptModelKey(
  stored: { ciphertext: Buffer; version: string },
  installationId: number,
  encryptionKeys: Buffer[],
): string {
  const key = encryptionKeys.find((k) => keyFingerprint(k) === stored.version);
  if (!key || stored.ciphertext.length < 29) throw new ModelKeyUnreadableError();
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, stored.ciphertext.subarray(0, 12));
    decipher.setAAD(aad(installationId));
    decipher.setAuthTag(stored.ciphertext.subarray(12, 28));
    return Buffer.concat([
      decipher.update(stored.ciphertext.subarray(28)),
      decipher.final(),
    ]).toString("utf8");
  } catch {
    throw new ModelKeyUnreadableError();
  }
}
