import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { keyFingerprint } from "./model-keys.ts";

/** A secret sealed with AES-256-GCM; `version` names the encryption key (its fingerprint). */
export interface Sealed {
  ciphertext: Buffer;
  version: string;
}

/** Seals a secret (a user's GitHub token) bound to `context`, the associated data. */
export function seal(plaintext: string, context: string, encryptionKey: Buffer): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", encryptionKey, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return {
    ciphertext: Buffer.concat([iv, cipher.getAuthTag(), body]),
    version: keyFingerprint(encryptionKey),
  };
}

/** Opens a sealed secret, or returns null (unknown key version, tampered, other context). */
export function open(sealed: Sealed, context: string, encryptionKeys: Buffer[]): string | null {
  const key = encryptionKeys.find((k) => keyFingerprint(k) === sealed.version);
  if (!key || sealed.ciphertext.length < 29) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.ciphertext.subarray(0, 12));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(sealed.ciphertext.subarray(12, 28));
    return Buffer.concat([
      decipher.update(sealed.ciphertext.subarray(28)),
      decipher.final(),
    ]).toString("utf8");
  } catch {
    return null;
  }
}

/** A key for signing cookies, derived from an encryption key (never the key itself). */
export function cookieSecret(encryptionKey: Buffer): string {
  return Buffer.from(
    hkdfSync("sha256", encryptionKey, Buffer.alloc(0), "build-practical dashboard cookies", 32),
  ).toString("base64url");
}
