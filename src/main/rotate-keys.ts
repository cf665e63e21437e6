// `npm run keys:rotate`: after setting a new ENCRYPTION_KEY and moving the old one to
// ENCRYPTION_KEYS_PREVIOUS, re-encrypts every stored model key under the new key. Safe to run
// again; once it reports no unreadable key, the old key can be dropped from the environment.
import { createDatabase } from "../adapters/store/database.ts";
import { createStore } from "../adapters/store/store.ts";
import { readConfig } from "../config/env.ts";
import { ConfigurationError } from "../errors.ts";
import { rotateModelKeys } from "../ops/key-rotation.ts";

let config: ReturnType<typeof readConfig>;
try {
  config = readConfig();
} catch (error) {
  process.stderr.write(
    `${error instanceof ConfigurationError ? error.message : String(error)}\nSee the configuration table in README.md.\n`,
  );
  process.exit(1);
}
const db = createDatabase(config.databaseUrl, { max: 1 });
try {
  const result = await rotateModelKeys(
    createStore(db),
    config.encryptionKey,
    config.previousEncryptionKeys,
  );
  process.stdout.write(
    `Re-encrypted ${result.reEncrypted.length} model key(s); ${result.current.length} already current; ` +
      `${result.sessionsEnded} dashboard session(s) ended.\n`,
  );
  if (result.unreadable.length > 0) {
    process.stderr.write(
      `No configured key opens the model key of installation(s) ${result.unreadable.join(", ")}: ` +
        "add the key that sealed them to ENCRYPTION_KEYS_PREVIOUS, or have an admin enter them again.\n",
    );
    process.exitCode = 1;
  }
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await db.destroy();
}
