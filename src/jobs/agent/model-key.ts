import { decryptModelKey } from "../../core/model-keys.ts";
import { NoModelKeyError } from "../../errors.ts";
import type { JobDeps } from "../deps.ts";

/** The installation's own key (decrypted here, in the worker, for this call) or the operator's. */
export function resolveModelKey(
  deps: JobDeps,
  installationId: number,
  installation:
    | { model_key_ciphertext: Buffer | null; model_key_version: string | null }
    | undefined,
): string {
  if (installation?.model_key_ciphertext && installation.model_key_version) {
    return decryptModelKey(
      { ciphertext: installation.model_key_ciphertext, version: installation.model_key_version },
      installationId,
      [deps.config.encryptionKey, ...deps.config.previousEncryptionKeys],
    );
  }
  if (deps.config.anthropicApiKey) return deps.config.anthropicApiKey;
  throw new NoModelKeyError();
}
