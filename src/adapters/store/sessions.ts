import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { type Kysely, sql } from "kysely";
import { keyFingerprint } from "../../core/model-keys.ts";
import { open, seal } from "../../core/sealed.ts";
import type { Database } from "./schema.ts";

export interface DashboardSessionsTable {
  id_hash: string;
  user_id: number;
  login: string;
  token_ciphertext: Buffer;
  token_version: string;
  csrf_token: string;
  created_at: Date | string | undefined;
  expires_at: Date | string;
}

export type SessionDatabase = Database & { dashboard_sessions: DashboardSessionsTable };

export function sessionDb(db: Kysely<Database>): Kysely<SessionDatabase> {
  return db.withTables<{ dashboard_sessions: DashboardSessionsTable }>();
}

/** A session lasts as long as GitHub's user token (8 hours) at most. */
export const SESSION_TTL_MS = 8 * 3600 * 1000;

export interface Session {
  idHash: string;
  userId: number;
  login: string;
  csrfToken: string;
  expiresAt: Date;
  /** The user's GitHub token, opened for the call that needs it. */
  token(): string | null;
}

const hashId = (id: string) => createHash("sha256").update(id).digest("hex");
const context = (idHash: string) => `dashboard-session:${idHash}`;

export class SessionStore {
  readonly #db: Kysely<SessionDatabase>;
  readonly #keys: Buffer[];

  /** `keys[0]` seals; every key opens (ENCRYPTION_KEY, then ENCRYPTION_KEYS_PREVIOUS). */
  constructor(db: Kysely<Database>, keys: Buffer[]) {
    this.#db = sessionDb(db);
    this.#keys = keys;
  }

  /** Starts a session; returns the id the cookie carries (only its hash is stored). */
  async create(input: {
    userId: number;
    login: string;
    token: string;
    expiresAt?: Date | undefined;
  }): Promise<{ id: string; expiresAt: Date }> {
    const id = randomBytes(32).toString("base64url");
    const idHash = hashId(id);
    const [key] = this.#keys;
    if (!key) throw new Error("no encryption key");
    const sealed = seal(input.token, context(idHash), key);
    const latest = new Date(Date.now() + SESSION_TTL_MS);
    const expiresAt = input.expiresAt && input.expiresAt < latest ? input.expiresAt : latest;
    await this.#db
      .insertInto("dashboard_sessions")
      .values({
        id_hash: idHash,
        user_id: input.userId,
        login: input.login,
        token_ciphertext: sealed.ciphertext,
        token_version: sealed.version,
        csrf_token: randomBytes(32).toString("base64url"),
        expires_at: expiresAt,
      })
      .execute();
    return { id, expiresAt };
  }

  async find(id: string): Promise<Session | null> {
    if (!id || id.length > 100) return null;
    const idHash = hashId(id);
    const row = await this.#db
      .selectFrom("dashboard_sessions")
      .selectAll()
      .where("id_hash", "=", idHash)
      .where("expires_at", ">", sql<Date>`now()`)
      .executeTakeFirst();
    if (!row) return null;
    const keys = this.#keys;
    return {
      idHash,
      userId: Number(row.user_id),
      login: row.login,
      csrfToken: row.csrf_token,
      expiresAt: new Date(row.expires_at),
      token: () =>
        open(
          { ciphertext: row.token_ciphertext, version: row.token_version },
          context(idHash),
          keys,
        ),
    };
  }

  async delete(id: string): Promise<void> {
    await this.#db.deleteFrom("dashboard_sessions").where("id_hash", "=", hashId(id)).execute();
  }

  async deleteExpired(): Promise<number> {
    const result = await this.#db
      .deleteFrom("dashboard_sessions")
      .where("expires_at", "<=", sql<Date>`now()`)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** After a key rotation: sessions sealed with another key end (their users sign in again). */
  async deleteSealedWithOtherKeys(current: Buffer): Promise<number> {
    const result = await this.#db
      .deleteFrom("dashboard_sessions")
      .where("token_version", "!=", keyFingerprint(current))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** Constant-time comparison of a submitted CSRF token with the session's. */
export function csrfMatches(session: Session, submitted: unknown): boolean {
  if (typeof submitted !== "string" || submitted.length === 0) return false;
  const a = Buffer.from(session.csrfToken);
  const b = Buffer.from(submitted);
  return a.length === b.length && timingSafeEqual(a, b);
}
