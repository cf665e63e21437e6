// The pages people read: the overview of their installations, an installation's features, a
// feature's page and the version it polls.

import { type Request, type Response, Router } from "express";
import type { DashboardQueries } from "../../../adapters/store/dashboard-queries.ts";
import type { Store } from "../../../adapters/store/store.ts";
import type { Config } from "../../../config/env.ts";
import {
  monthlyBudgetUsd,
  parseInstallationSettings,
} from "../../../config/installation-settings.ts";
import { ciRows, taskCommitLabels } from "../../../core/ci-view.ts";
import { STAGES } from "../../../core/feature.ts";
import { ciText } from "../../../views.ts";
import { repoKey, type UserAccess } from "../access.ts";
import { notFound } from "../errors.ts";
import { layoutFields, sendPage } from "../layout.ts";
import {
  agentRuns,
  conversation,
  githubLinks,
  isStopped,
  reviews,
  stageKind,
  stageOptions,
  timeline,
} from "../page-data.ts";
import { localsOf } from "../session.ts";

export interface PageDeps {
  config: Pick<Config, "githubWebUrl" | "retentionDays" | "ciWaitMinutes">;
  store: Pick<Store, "listApprovals" | "listMessages" | "ciResults">;
  queries: DashboardQueries;
  access: UserAccess;
  /** Whether the sign-in page can offer signing in with GitHub. */
  signInConfigured: boolean;
  /** How often a working feature's page asks whether it changed. */
  pollMs: number;
}

export function pageRoutes({
  config,
  store,
  queries,
  access: users,
  signInConfigured,
  pollMs,
}: PageDeps): Router {
  const router = Router();

  router.get("/", async (_req, res) => {
    if (!localsOf(res).session) {
      sendPage(res, 200, "signin", {
        ...layoutFields(res, "Sign in"),
        configured: signInConfigured,
      });
      return;
    }
    const access = await users.of(res);
    const rows = await queries.installations(access.installations.map((i) => i.id));
    const cards = await Promise.all(
      access.installations.map(async (installation) => {
        const row = rows.find((r) => r.id === installation.id);
        const settings = parseInstallationSettings(row?.settings);
        const repoKeys = installation.repos.map((r) => repoKey(r.owner, r.name));
        return {
          id: installation.id,
          account: installation.account,
          accountType: installation.accountType,
          admin: installation.admin,
          repoCount: installation.repos.length,
          keyHint: row?.model_key_hint ?? null,
          monthlyBudget: monthlyBudgetUsd(settings),
          ...(await queries.summary(installation.id, repoKeys)),
        };
      }),
    );
    sendPage(res, 200, "overview", {
      ...layoutFields(res, "Installations", users.isOperatorAdmin(access)),
      installations: cards,
      retentionDays: config.retentionDays,
    });
  });

  router.get("/installations/:id", async (req, res) => {
    const access = await users.of(res);
    const installation = users.installation(access, req.params.id);
    const repoKeys = installation.repos.map((r) => repoKey(r.owner, r.name));
    const repoFilter = typeof req.query.repo === "string" ? req.query.repo : "";
    const stageFilter = typeof req.query.stage === "string" ? req.query.stage : "";
    const repo = repoKeys.includes(repoFilter.toLowerCase()) ? repoFilter : "";
    const stage = (STAGES as readonly string[]).includes(stageFilter) ? stageFilter : "";
    const features = await queries.listFeatures(installation.id, repoKeys, { repo, stage });
    sendPage(res, 200, "features", {
      ...layoutFields(res, `${installation.account} · features`, users.isOperatorAdmin(access)),
      installation: {
        id: installation.id,
        account: installation.account,
        admin: installation.admin,
      },
      features: features.map((f) => ({ ...f, kind: stageKind(f.stage) })),
      repos: installation.repos.map((r) => {
        const name = `${r.owner}/${r.name}`;
        return { value: name, selected: name.toLowerCase() === repo.toLowerCase() };
      }),
      stages: stageOptions(stage || undefined),
      filtered: Boolean(repo || stage),
    });
  });

  /** The feature in the URL, if the user can read its repository. */
  async function featureFor(req: Request, res: Response) {
    const access = await users.of(res);
    const installation = users.installation(access, req.params.id as string | undefined);
    const featureId = Number(req.params.featureId);
    if (!Number.isSafeInteger(featureId)) throw notFound();
    const feature = await queries.feature(installation.id, featureId);
    const readable = new Set(installation.repos.map((r) => repoKey(r.owner, r.name)));
    if (!feature || !readable.has(repoKey(feature.repo_owner, feature.repo_name))) {
      throw notFound();
    }
    return { access, installation, feature };
  }

  router.get("/installations/:id/features/:featureId", async (req, res) => {
    const { access, installation, feature } = await featureFor(req, res);
    const [events, approvals, messages, runs, ci] = await Promise.all([
      queries.featureEvents(feature.id),
      store.listApprovals(feature.id),
      store.listMessages(feature.id),
      queries.agentRuns(feature.id),
      store.ciResults(feature.id),
    ]);
    const usage = agentRuns(runs);
    sendPage(res, 200, "feature", {
      ...layoutFields(
        res,
        `${feature.repo_owner}/${feature.repo_name}#${feature.issue_number}`,
        users.isOperatorAdmin(access),
      ),
      installation: { id: installation.id, account: installation.account },
      feature: {
        id: feature.id,
        repo: `${feature.repo_owner}/${feature.repo_name}`,
        issueNumber: feature.issue_number,
        title: feature.issue_title,
        author: feature.issue_author,
        stage: feature.stage,
        kind: stageKind(feature.stage),
        branch: feature.branch,
        prNumber: feature.pr_number,
        failureReason: feature.failure_reason,
        createdAt: feature.created_at,
        updatedAt: feature.updated_at,
      },
      links: githubLinks(config.githubWebUrl, feature),
      timeline: timeline(config.githubWebUrl, feature, events, approvals),
      conversation: conversation(messages),
      runs: usage.rows,
      totals: usage.totals,
      reviews: reviews(runs),
      // Details links are set by each CI app: only web addresses become links.
      ci: ciRows(ci, config.ciWaitMinutes, taskCommitLabels(feature.tasks)).map((row) => ({
        ...row,
        label: ciText(row.label),
        text: ciText(row.text).replace(/\*\*/g, ""),
        checks: row.checks.map((c) => ({ ...c, url: /^https?:\/\//.test(c.url) ? c.url : "" })),
      })),
      poll: isStopped(feature.stage)
        ? null
        : {
            url: `/installations/${installation.id}/features/${feature.id}/version`,
            fingerprint: fingerprintOf(feature.version, messages.length, runs.length),
            ms: pollMs,
          },
    });
  });

  router.get("/installations/:id/features/:featureId/version", async (req, res) => {
    const { feature } = await featureFor(req, res);
    const [messages, runs] = await Promise.all([
      store.listMessages(feature.id),
      queries.agentRuns(feature.id),
    ]);
    res
      .status(200)
      .set("cache-control", "no-store")
      .json({
        fingerprint: fingerprintOf(feature.version, messages.length, runs.length),
        stage: feature.stage,
        working: !isStopped(feature.stage),
      });
  });

  return router;
}

function fingerprintOf(version: number, messages: number, runs: number): string {
  return `${version}.${messages}.${runs}`;
}
