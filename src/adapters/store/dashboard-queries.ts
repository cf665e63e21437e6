import { type ExpressionBuilder, type Kysely, sql } from "kysely";
import type { InstallationSettings } from "../../config/installation-settings.ts";
import { TERMINAL_STAGES } from "../../core/feature.ts";
import type { EncryptedKey } from "../../core/model-keys.ts";
import type { Database } from "./schema.ts";

/** Stages in which a feature is still moving (not finished, not stopped). */
const STOPPED = [...TERMINAL_STAGES, "failed"] as const;

type FeaturesEb = ExpressionBuilder<Database, "features">;

/** Only features of repositories the user can read (lower-case "owner/name" keys). */
function inRepos(eb: FeaturesEb, repoKeys: string[]) {
  return eb(sql<string>`lower(features.repo_owner || '/' || features.repo_name)`, "in", repoKeys);
}

export interface FeatureFilter {
  repo?: string | undefined;
  stage?: string | undefined;
}

/** The dashboard's reads and its few writes (model key, settings). */
export function dashboardQueries(db: Kysely<Database>) {
  return {
    async installations(ids: number[]) {
      if (ids.length === 0) return [];
      return db.selectFrom("installations").selectAll().where("id", "in", ids).execute();
    },

    async installation(id: number) {
      return db.selectFrom("installations").selectAll().where("id", "=", id).executeTakeFirst();
    },

    /** Features in flight, done and failed, and this calendar month's model cost (UTC). */
    async summary(installationId: number, repoKeys: string[]) {
      const empty = { inFlight: 0, done: 0, failed: 0, closed: 0, costThisMonth: 0 };
      if (repoKeys.length === 0) return empty;
      const counts = await db
        .selectFrom("features")
        .select((eb) => [
          "stage",
          eb.fn.countAll<number>().as("n"),
          eb.fn.max("updated_at").as("last"),
        ])
        .where("installation_id", "=", installationId)
        .where((eb) => inRepos(eb, repoKeys))
        .groupBy("stage")
        .execute();
      const result = { ...empty };
      for (const row of counts) {
        const n = Number(row.n);
        if (row.stage === "done") result.done += n;
        else if (row.stage === "failed") result.failed += n;
        else if ((STOPPED as readonly string[]).includes(row.stage)) result.closed += n;
        else result.inFlight += n;
      }
      const cost = await db
        .selectFrom("agent_runs")
        .innerJoin("features", "features.id", "agent_runs.feature_id")
        .select((eb) =>
          eb.fn.coalesce(eb.fn.sum<number>("agent_runs.cost_usd"), eb.lit(0)).as("usd"),
        )
        .where("features.installation_id", "=", installationId)
        .where((eb) => inRepos(eb as unknown as FeaturesEb, repoKeys))
        .where(
          "agent_runs.created_at",
          ">=",
          sql<Date>`date_trunc('month', now() at time zone 'UTC') at time zone 'UTC'`,
        )
        .executeTakeFirstOrThrow();
      result.costThisMonth = Number(cost.usd);
      return result;
    },

    async listFeatures(installationId: number, repoKeys: string[], filter: FeatureFilter = {}) {
      if (repoKeys.length === 0) return [];
      let query = db
        .selectFrom("features")
        .leftJoin(
          (eb) =>
            eb
              .selectFrom("agent_runs")
              .select((e) => [
                "feature_id",
                e.fn.sum<number>("cost_usd").as("cost"),
                e.fn.sum<number>("input_tokens").as("input"),
                e.fn.sum<number>("output_tokens").as("output"),
              ])
              .groupBy("feature_id")
              .as("usage"),
          (join) => join.onRef("usage.feature_id", "=", "features.id"),
        )
        .select([
          "features.id",
          "features.repo_owner",
          "features.repo_name",
          "features.issue_number",
          "features.issue_title",
          "features.stage",
          "features.pr_number",
          "features.updated_at",
          "usage.cost",
          "usage.input",
          "usage.output",
        ])
        .where("features.installation_id", "=", installationId)
        .where((eb) => inRepos(eb, repoKeys));
      if (filter.repo) {
        query = query.where(
          sql<string>`lower(features.repo_owner || '/' || features.repo_name)`,
          "=",
          filter.repo.toLowerCase(),
        );
      }
      if (filter.stage) query = query.where("features.stage", "=", filter.stage);
      const rows = await query.orderBy("features.updated_at", "desc").limit(500).execute();
      return rows.map((row) => ({
        id: row.id,
        repo: `${row.repo_owner}/${row.repo_name}`,
        issueNumber: row.issue_number,
        title: row.issue_title,
        stage: row.stage,
        prNumber: row.pr_number,
        updatedAt: row.updated_at,
        costUsd: Number(row.cost ?? 0),
        tokens: Number(row.input ?? 0) + Number(row.output ?? 0),
      }));
    },

    /** The feature, if it belongs to the installation. */
    async feature(installationId: number, featureId: number) {
      return db
        .selectFrom("features")
        .selectAll()
        .where("id", "=", featureId)
        .where("installation_id", "=", installationId)
        .executeTakeFirst();
    },

    async featureEvents(featureId: number) {
      return db
        .selectFrom("feature_events")
        .selectAll()
        .where("feature_id", "=", featureId)
        .orderBy("id")
        .execute();
    },

    async agentRuns(featureId: number) {
      return db
        .selectFrom("agent_runs")
        .selectAll()
        .where("feature_id", "=", featureId)
        .orderBy("id")
        .execute();
    },

    /** What the page polls while the feature is working. */
    async featureVersion(installationId: number, featureId: number) {
      return db
        .selectFrom("features")
        .select(["version", "stage", "updated_at"])
        .where("id", "=", featureId)
        .where("installation_id", "=", installationId)
        .executeTakeFirst();
    },

    async setModelKey(installationId: number, key: EncryptedKey) {
      await db
        .updateTable("installations")
        .set({
          model_key_ciphertext: key.ciphertext,
          model_key_version: key.version,
          model_key_hint: key.hint,
        })
        .where("id", "=", installationId)
        .execute();
    },

    async deleteModelKey(installationId: number) {
      await db
        .updateTable("installations")
        .set({ model_key_ciphertext: null, model_key_version: null, model_key_hint: null })
        .where("id", "=", installationId)
        .execute();
    },

    async saveSettings(installationId: number, settings: InstallationSettings) {
      await db
        .updateTable("installations")
        .set({ settings: JSON.stringify(settings) })
        .where("id", "=", installationId)
        .execute();
    },
  };
}

export type DashboardQueries = ReturnType<typeof dashboardQueries>;
