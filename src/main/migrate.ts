import { createDatabase } from "../adapters/store/database.ts";
import { migrateToLatest } from "../adapters/store/migrate.ts";

const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const db = createDatabase(url, { max: 1 });
try {
  const applied = await migrateToLatest(db);
  process.stdout.write(applied.length ? `Applied: ${applied.join(", ")}\n` : "Up to date.\n");
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await db.destroy();
}
