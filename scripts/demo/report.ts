// Figures shared by the demo and the benchmark: model use per agent from `agent_runs`, and the
// GitHub API calls the app made, by kind, from the GitHub fake's request log.

import { sql } from "kysely";
import type { Db } from "../../src/adapters/store/database.ts";
import { addUsage, type Usage, ZERO_USAGE } from "../../src/core/cost.ts";

export interface AgentUsage extends Usage {
  agent: string;
  calls: number;
  costUsd: number;
  durationMs: number;
}

export interface TokenUsage {
  features: number;
  byAgent: AgentUsage[];
  total: AgentUsage;
  /** cache_read / (input + cache_read + cache_write), over every run. */
  cacheShare: number;
  /** The same, over the runs after the brief was approved (the stages after the first). */
  cacheShareAfterBrief: number;
  /**
   * The share per model, as the API counts it: a prompt cache belongs to one model (and lives
   * 5 minutes), so one model's reads never come from another's writes.
   * https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching
   */
  byModel: { model: string; calls: number; cacheShare: number; cacheShareAfterBrief: number }[];
}

const share = (read: number, all: number) => (all > 0 ? read / all : 0);

interface UsageRow {
  key: string;
  calls: number;
  input: number;
  cache_read: number;
  cache_write: number;
  output: number;
  cost: number;
  duration: number;
  after_input: number;
  after_read: number;
  after_write: number;
}

/** Token sums per agent or per model, and the part after the brief's approval. */
async function usageBy(db: Db, only: ReturnType<typeof sql>, column: "agent" | "model") {
  const key = sql.ref(`r.${column}`);
  const { rows } = await sql<UsageRow>`
    WITH brief AS (
      SELECT feature_id, min(created_at) AS at FROM approvals WHERE gate = 'brief' GROUP BY feature_id
    )
    SELECT ${key} AS key,
      count(*)::int AS calls,
      sum(r.input_tokens)::float8 AS input,
      sum(r.cache_read_tokens)::float8 AS cache_read,
      sum(r.cache_write_tokens)::float8 AS cache_write,
      sum(r.output_tokens)::float8 AS output,
      sum(r.cost_usd)::float8 AS cost,
      sum(r.duration_ms)::float8 AS duration,
      coalesce(sum(r.input_tokens) FILTER (WHERE r.created_at > b.at), 0)::float8 AS after_input,
      coalesce(sum(r.cache_read_tokens) FILTER (WHERE r.created_at > b.at), 0)::float8 AS after_read,
      coalesce(sum(r.cache_write_tokens) FILTER (WHERE r.created_at > b.at), 0)::float8 AS after_write
    FROM agent_runs r LEFT JOIN brief b ON b.feature_id = r.feature_id
    WHERE ${only}
    GROUP BY ${key}
    ORDER BY min(r.id)
  `.execute(db);
  return rows;
}

/** Model use of the given features (all of them when `featureIds` is null). */
export async function tokenUsage(db: Db, featureIds: number[] | null): Promise<TokenUsage> {
  const only = featureIds
    ? sql`r.feature_id = ANY(${featureIds}::bigint[])`
    : sql`r.feature_id IS NOT NULL`;
  const rows = await usageBy(db, only, "agent");
  const models = await usageBy(db, only, "model");
  const features = featureIds
    ? featureIds.length
    : Number(
        (
          await sql<{
            n: number;
          }>`SELECT count(DISTINCT feature_id)::int AS n FROM agent_runs`.execute(db)
        ).rows[0]?.n ?? 0,
      );
  const byAgent: AgentUsage[] = rows.map((r) => ({
    agent: r.key,
    calls: r.calls,
    inputTokens: r.input,
    cacheReadTokens: r.cache_read,
    cacheWriteTokens: r.cache_write,
    outputTokens: r.output,
    costUsd: r.cost,
    durationMs: r.duration,
  }));
  const total = byAgent.reduce<AgentUsage>(
    (sum, a) => ({
      ...addUsage(sum, a),
      agent: "total",
      calls: sum.calls + a.calls,
      costUsd: sum.costUsd + a.costUsd,
      durationMs: sum.durationMs + a.durationMs,
    }),
    { ...ZERO_USAGE, agent: "total", calls: 0, costUsd: 0, durationMs: 0 },
  );
  const after = rows.reduce(
    (sum, r) => ({
      input: sum.input + r.after_input,
      read: sum.read + r.after_read,
      write: sum.write + r.after_write,
    }),
    { input: 0, read: 0, write: 0 },
  );
  return {
    features,
    byAgent,
    total,
    // Summed over models: each model's reads are counted against its own prompts only.
    cacheShare: share(
      total.cacheReadTokens,
      total.inputTokens + total.cacheReadTokens + total.cacheWriteTokens,
    ),
    cacheShareAfterBrief: share(after.read, after.input + after.read + after.write),
    byModel: models.map((m) => ({
      model: m.key,
      calls: m.calls,
      cacheShare: share(m.cache_read, m.input + m.cache_read + m.cache_write),
      cacheShareAfterBrief: share(m.after_read, m.after_input + m.after_read + m.after_write),
    })),
  };
}

export {
  type ApiCalls,
  type CallKind,
  callKind,
  countApiCalls,
  createsContent,
} from "../../testkit/api-calls.ts";

/** GitHub's limits for one installation (the lowest: 5,000 requests an hour). */
export const INSTALLATION_LIMIT_PER_HOUR = 5_000;
export const CONTENT_CREATION_LIMIT_PER_HOUR = 500;

export function featuresPerHour(perFeature: { total: number; contentCreating: number }) {
  const byRequests = perFeature.total > 0 ? INSTALLATION_LIMIT_PER_HOUR / perFeature.total : 0;
  const byContent =
    perFeature.contentCreating > 0
      ? CONTENT_CREATION_LIMIT_PER_HOUR / perFeature.contentCreating
      : 0;
  return { byRequests, byContent, sustainable: Math.min(byRequests, byContent) };
}

export const fmt = {
  int: (n: number) => Math.round(n).toLocaleString("en-US"),
  usd: (n: number) => `$${n.toFixed(n < 0.01 && n > 0 ? 5 : 4)}`,
  pct: (n: number) => `${(n * 100).toFixed(1)}%`,
  ms: (n: number) => `${n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n)} ms`,
};

/** A plain text table with right-aligned numbers. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const numeric = header.map((_, i) =>
    rows.every((r) => /^[-$\d.,%\s]+(ms|s|MiB|x|\/s|×)?$/.test(String(r[i] ?? ""))),
  );
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [
    line(cells[0] ?? []),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...cells.slice(1).map(line),
  ].join("\n");
}
