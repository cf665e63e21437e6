import { type Kysely, sql } from "kysely";
import type { CiCheck, CiResultRow, Database } from "./schema.ts";

export type CiState = "pending" | "success" | "failure" | "none";

export interface CiResult {
  sha: string;
  stage: string;
  state: CiState;
  checks: CiCheck[];
  createdAt: Date;
  updatedAt: Date;
}

function toCiResult(row: CiResultRow): CiResult {
  return {
    sha: row.sha,
    stage: row.stage,
    state: row.state as CiState,
    checks: row.checks,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The repository's CI on each commit the app made on a feature branch. */
export function ciResultRepository(db: Kysely<Database>) {
  return {
    /** Starts following a commit (pending); a second call keeps what was recorded. */
    async followCommit(featureId: number, sha: string, stage: string): Promise<void> {
      await db
        .insertInto("ci_results")
        .values({ feature_id: featureId, sha, stage, checks: "[]" })
        .onConflict((oc) => oc.columns(["feature_id", "sha"]).doNothing())
        .execute();
    },

    async ciResult(featureId: number, sha: string): Promise<CiResult | null> {
      const row = await db
        .selectFrom("ci_results")
        .selectAll()
        .where("feature_id", "=", featureId)
        .where("sha", "=", sha)
        .executeTakeFirst();
      return row ? toCiResult(row) : null;
    },

    /** Every followed commit of a feature, oldest first. */
    async ciResults(featureId: number): Promise<CiResult[]> {
      const rows = await db
        .selectFrom("ci_results")
        .selectAll()
        .where("feature_id", "=", featureId)
        .orderBy("created_at")
        .orderBy("sha")
        .execute();
      return rows.map(toCiResult);
    },

    /** Records the latest reading; returns whether the state or the checks changed. */
    async recordCi(
      featureId: number,
      sha: string,
      state: CiState,
      checks: CiCheck[],
    ): Promise<boolean> {
      const before = await this.ciResult(featureId, sha);
      if (!before) return false;
      const same =
        before.state === state && JSON.stringify(before.checks) === JSON.stringify(checks);
      if (same) return false;
      await db
        .updateTable("ci_results")
        .set({ state, checks: JSON.stringify(checks), updated_at: sql<Date>`now()` })
        .where("feature_id", "=", featureId)
        .where("sha", "=", sha)
        .execute();
      return true;
    },
  };
}
