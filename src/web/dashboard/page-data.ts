// Page data: database rows turned into what the templates show. Pure, no I/O.
import type { Selectable } from "kysely";
import type {
  AgentRunsTable,
  ApprovalsTable,
  FeatureEventsTable,
  FeaturesTable,
  MessagesTable,
} from "../../adapters/store/schema.ts";
import { addUsage, cacheShare, type Usage, ZERO_USAGE } from "../../core/cost.ts";
import { STAGES, TERMINAL_STAGES, WORKING_STAGES } from "../../core/feature.ts";

type Feature = Selectable<FeaturesTable>;

export function isStopped(stage: string): boolean {
  return stage === "failed" || (TERMINAL_STAGES as readonly string[]).includes(stage);
}

export function isWorking(stage: string): boolean {
  return (WORKING_STAGES as readonly string[]).includes(stage);
}

/** A stage's CSS class: working, waiting (a gate or review by people), done, failed, closed. */
export function stageKind(stage: string): string {
  if (stage === "done") return "done";
  if (stage === "failed") return "failed";
  if (isStopped(stage)) return "closed";
  return isWorking(stage) ? "working" : "waiting";
}

export function stageOptions(selected: string | undefined) {
  return STAGES.map((stage) => ({
    value: stage,
    label: stage.replace(/_/g, " "),
    selected: stage === selected,
  }));
}

/** "key: value; …" for an audit entry's detail, short and flat. */
export function describeDetail(detail: unknown): string {
  if (!detail || typeof detail !== "object") return "";
  const parts: string[] = [];
  for (const [key, value] of Object.entries(detail as Record<string, unknown>)) {
    if (value === null || value === undefined || value === "") continue;
    if (typeof value === "object") continue;
    const text = String(value);
    parts.push(`${key.replace(/_/g, " ")}: ${text.length > 120 ? `${text.slice(0, 117)}…` : text}`);
  }
  const joined = parts.join("; ");
  return joined.length > 400 ? `${joined.slice(0, 397)}…` : joined;
}

const looksLikeSha = (v: string) => /^[0-9a-f]{40}$/.test(v);

export function githubLinks(webUrl: string, feature: Feature) {
  const repo = `${webUrl}/${feature.repo_owner}/${feature.repo_name}`;
  return {
    repoUrl: repo,
    issueUrl: `${repo}/issues/${feature.issue_number}`,
    branchUrl: feature.branch ? `${repo}/tree/${encodeURI(feature.branch)}` : null,
    prUrl: feature.pr_number ? `${repo}/pull/${feature.pr_number}` : null,
  };
}

export function timeline(
  webUrl: string,
  feature: Feature,
  events: Selectable<FeatureEventsTable>[],
  approvals: Selectable<ApprovalsTable>[],
) {
  const current = (feature.approvals ?? {}) as Record<string, string>;
  const repo = `${webUrl}/${feature.repo_owner}/${feature.repo_name}`;
  return {
    events: events.map((e) => ({
      at: e.created_at,
      actor: e.actor,
      event: e.event.replace(/_/g, " "),
      from: e.from_stage,
      to: e.to_stage,
      moved: e.from_stage !== e.to_stage,
      detail: describeDetail(e.detail),
    })),
    approvals: approvals.map((a) => ({
      at: a.created_at,
      gate: a.gate,
      approver: a.approver,
      version: a.artifact_version,
      commitUrl: looksLikeSha(a.artifact_version) ? `${repo}/commit/${a.artifact_version}` : null,
      current: current[a.gate] === a.artifact_version,
    })),
  };
}

export function conversation(messages: Selectable<MessagesTable>[]) {
  return messages.map((m) => ({
    at: m.created_at,
    author: m.author,
    fromApp: m.role === "assistant",
    body: m.body,
  }));
}

export function agentRuns(runs: Selectable<AgentRunsTable>[]) {
  const rows = runs.map((r) => {
    const usage: Usage = {
      inputTokens: r.input_tokens,
      outputTokens: r.output_tokens,
      cacheReadTokens: r.cache_read_tokens,
      cacheWriteTokens: r.cache_write_tokens,
    };
    return {
      at: r.created_at,
      agent: r.agent.replace(/_/g, " "),
      model: r.model,
      ...usage,
      cacheShare: cacheShare(usage),
      costUsd: Number(r.cost_usd),
      durationMs: r.duration_ms,
      outcome: r.outcome,
      ok: r.outcome === "ok",
      stopReason: r.stop_reason ?? "",
      error: r.error ?? "",
    };
  });
  const usage = rows.reduce<Usage>(addUsage, ZERO_USAGE);
  return {
    rows,
    totals: {
      ...usage,
      costUsd: rows.reduce((sum, r) => sum + r.costUsd, 0),
      durationMs: rows.reduce((sum, r) => sum + r.durationMs, 0),
      calls: rows.length,
      cacheShare: cacheShare(usage),
    },
  };
}

interface ReviewDetail {
  review?: string;
  verdict?: string;
  recommendation?: string;
  gate?: string;
  summary?: string;
  reasons?: unknown;
  findings?: unknown;
}

/** The reviewers' verdicts (pass/fail) and the alignment recommendations (APPROVE/REVISE). */
export function reviews(runs: Selectable<AgentRunsTable>[]) {
  return runs
    .map((r) => ({ run: r, detail: (r.detail ?? {}) as ReviewDetail }))
    .filter(({ detail }) => detail.verdict !== undefined || detail.recommendation !== undefined)
    .map(({ run, detail }) => {
      const result = String(detail.verdict ?? detail.recommendation ?? "");
      const findings = Array.isArray(detail.findings)
        ? (detail.findings as Record<string, unknown>[]).slice(0, 50).map((f) => ({
            severity: String(f.severity ?? ""),
            title: String(f.title ?? ""),
            where: f.path ? `${String(f.path)}${f.line ? `:${String(f.line)}` : ""}` : "",
          }))
        : [];
      const reasons = Array.isArray(detail.reasons) ? detail.reasons.map(String).slice(0, 10) : [];
      return {
        at: run.created_at,
        agent: run.agent.replace(/_/g, " "),
        gate: detail.gate ?? "",
        result,
        ok: result === "pass" || result === "APPROVE",
        summary: detail.summary ?? "",
        reasons,
        findings,
      };
    });
}
