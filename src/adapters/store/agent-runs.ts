import type { Kysely } from "kysely";
import type { Usage } from "../../core/cost.ts";
import type { Database } from "./schema.ts";

/** One row per model call: its tokens, cost, duration and outcome. */
export function agentRunRepository(db: Kysely<Database>) {
  return {
    async recordAgentRun(run: {
      featureId: number | null;
      installationId: number | null;
      agent: string;
      model: string;
      jobId: string | null;
      usage: Usage;
      costUsd: number;
      durationMs: number;
      stopReason: string | null;
      outcome: string;
      error: string | null;
      detail?: Record<string, unknown>;
    }) {
      const row = await db
        .insertInto("agent_runs")
        .values({
          feature_id: run.featureId,
          installation_id: run.installationId,
          agent: run.agent,
          model: run.model,
          job_id: run.jobId,
          input_tokens: run.usage.inputTokens,
          output_tokens: run.usage.outputTokens,
          cache_read_tokens: run.usage.cacheReadTokens,
          cache_write_tokens: run.usage.cacheWriteTokens,
          cost_usd: run.costUsd,
          duration_ms: run.durationMs,
          stop_reason: run.stopReason,
          outcome: run.outcome,
          error: run.error,
          detail: JSON.stringify(run.detail ?? {}),
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      return row.id;
    },

    async setAgentRunDetail(id: number, detail: Record<string, unknown>) {
      await db
        .updateTable("agent_runs")
        .set({ detail: JSON.stringify(detail) })
        .where("id", "=", id)
        .execute();
    },

    /** Token use and cost of every model call of a feature (the status comment's totals). */
    async usageTotals(featureId: number): Promise<Usage & { costUsd: number; calls: number }> {
      const row = await db
        .selectFrom("agent_runs")
        .select((eb) => [
          eb.fn.coalesce(eb.fn.sum<number>("input_tokens"), eb.lit(0)).as("inputTokens"),
          eb.fn.coalesce(eb.fn.sum<number>("output_tokens"), eb.lit(0)).as("outputTokens"),
          eb.fn.coalesce(eb.fn.sum<number>("cache_read_tokens"), eb.lit(0)).as("cacheReadTokens"),
          eb.fn.coalesce(eb.fn.sum<number>("cache_write_tokens"), eb.lit(0)).as("cacheWriteTokens"),
          eb.fn.coalesce(eb.fn.sum<number>("cost_usd"), eb.lit(0)).as("costUsd"),
          eb.fn.countAll<number>().as("calls"),
        ])
        .where("feature_id", "=", featureId)
        .executeTakeFirstOrThrow();
      return {
        inputTokens: Number(row.inputTokens),
        outputTokens: Number(row.outputTokens),
        cacheReadTokens: Number(row.cacheReadTokens),
        cacheWriteTokens: Number(row.cacheWriteTokens),
        costUsd: Number(row.costUsd),
        calls: Number(row.calls),
      };
    },

    /** What an installation's model calls have cost since `since` (its monthly budget). */
    async installationSpend(installationId: number, since: Date) {
      const row = await db
        .selectFrom("agent_runs")
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>("cost_usd"), eb.lit(0)).as("cost"))
        .where("installation_id", "=", installationId)
        .where("created_at", ">=", since)
        .executeTakeFirstOrThrow();
      return Number(row.cost);
    },

    /** Totals of every recorded model call by agent and model (the metrics; sums may be null). */
    async usageByAgentAndModel() {
      return db
        .selectFrom("agent_runs")
        .select((eb) => [
          "agent",
          "model",
          eb.fn.sum<number | null>("input_tokens").as("input"),
          eb.fn.sum<number | null>("output_tokens").as("output"),
          eb.fn.sum<number | null>("cache_read_tokens").as("cache_read"),
          eb.fn.sum<number | null>("cache_write_tokens").as("cache_write"),
          eb.fn.sum<number | null>("cost_usd").as("cost"),
          eb.fn.countAll<number>().as("calls"),
        ])
        .groupBy(["agent", "model"])
        .execute();
    },

    /** The newest agent run of a kind for a feature (e.g. the last alignment review). */
    async latestAgentRun(featureId: number, agent: string) {
      return db
        .selectFrom("agent_runs")
        .selectAll()
        .where("feature_id", "=", featureId)
        .where("agent", "=", agent)
        .orderBy("id", "desc")
        .limit(1)
        .executeTakeFirst();
    },
  };
}
