import { type Kysely, sql } from "kysely";
import { agentRunRepository } from "./agent-runs.ts";
import { artifactRepository } from "./artifacts.ts";
import { ciResultRepository } from "./ci-results.ts";
import { commandRepository } from "./commands.ts";
import { dashboardQueries } from "./dashboard-queries.ts";
import { deliveryRepository } from "./deliveries.ts";
import { featureRepository } from "./features.ts";
import { ingestRepository } from "./ingest.ts";
import { groupedIngest } from "./ingest-batch.ts";
import { installationRepository } from "./installations.ts";
import { messageRepository } from "./messages.ts";
import { outboxRepository } from "./outbox.ts";
import type { Database } from "./schema.ts";
import { SessionStore } from "./sessions.ts";

/** Every repository over one connection (the pool, or a transaction), as one flat object. */
function repositories(db: Kysely<Database>) {
  return {
    ...deliveryRepository(db),
    ...installationRepository(db),
    ...featureRepository(db),
    ...ingestRepository(db),
    ...outboxRepository(db),
    ...messageRepository(db),
    ...agentRunRepository(db),
    ...artifactRepository(db),
    ...commandRepository(db),
    ...ciResultRepository(db),
  };
}

export interface Store extends ReturnType<typeof repositories> {
  /** The dashboard's reads and its few writes. */
  dashboard: ReturnType<typeof dashboardQueries>;
  /** Dashboard sessions, their tokens sealed with `keys[0]` and opened with any of `keys`. */
  sessions(keys: Buffer[]): SessionStore;
  /** Rejects when Postgres does not answer (the readiness check). */
  ping(): Promise<void>;
  /** Runs `fn` in one database transaction with a store bound to it. */
  transaction<T>(fn: (store: Store) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` while holding a session advisory lock named `key`, across every process: two
   * jobs that would both create the same GitHub comment run one after the other.
   */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

/** The store over the pool: deliveries' ingest reads and writes go in groups (ingest-batch.ts). */
export function createStore(db: Kysely<Database>): Store {
  return { ...storeOver(db), ...groupedIngest(db) };
}

function storeOver(db: Kysely<Database>): Store {
  return {
    ...repositories(db),
    dashboard: dashboardQueries(db),
    sessions: (keys) => new SessionStore(db, keys),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    transaction: (fn) => db.transaction().execute((trx) => fn(storeOver(trx))),
    withLock: (key, fn) =>
      db.connection().execute(async (connection) => {
        await sql`select pg_advisory_lock(hashtext(${key}))`.execute(connection);
        try {
          return await fn();
        } finally {
          await sql`select pg_advisory_unlock(hashtext(${key}))`.execute(connection);
        }
      }),
  };
}
