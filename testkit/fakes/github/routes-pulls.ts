// Pull request routes. A pull request is an issue with a `pull` record (same number sequence).
import { notFound, unprocessable } from "./errors.ts";
import { intParam, json, paginate, type RouteContext, type RouteTable } from "./server.ts";
import type { IssueRec, MergeMethod, PullRec, ReviewRec } from "./state.ts";

type Pull = IssueRec & { pull: PullRec };

function pullOf(ctx: RouteContext): Pull {
  return ctx.core.state.pullIssue(ctx.repo(), intParam(ctx, "pull_number"));
}

const REVIEW_EVENTS: Record<string, ReviewRec["state"]> = {
  APPROVE: "APPROVED",
  REQUEST_CHANGES: "CHANGES_REQUESTED",
  COMMENT: "COMMENTED",
};

export function registerPullRoutes(r: RouteTable): void {
  r.add("GET /repos/{owner}/{repo}/pulls", "token", (ctx) => {
    const repo = ctx.repo();
    const state = ctx.query.get("state") ?? "open";
    const head = ctx.query.get("head");
    const base = ctx.query.get("base");
    const pulls = [...repo.issues.values()]
      .filter((i): i is Pull => i.pull !== null)
      .filter((i) => state === "all" || i.state === state)
      .filter((i) => {
        if (!head) return true;
        const [owner, branch] = head.includes(":") ? head.split(":", 2) : [repo.owner.login, head];
        return owner?.toLowerCase() === repo.owner.login.toLowerCase() && i.pull.headRef === branch;
      })
      .filter((i) => !base || i.pull.baseRef === base)
      .sort((a, b) => b.number - a.number);
    if (ctx.query.get("direction") === "asc") pulls.reverse();
    return paginate(
      ctx,
      pulls.map((p) => ctx.core.shapes.pull(p)),
    );
  });
  r.add("POST /repos/{owner}/{repo}/pulls", "token", (ctx) => {
    const { state, shapes } = ctx.core;
    if (ctx.body.issue !== undefined)
      throw unprocessable("Converting issues to pull requests is not supported by the fake");
    const pull = state.createPull(ctx.repo(), {
      author: ctx.actor,
      title: String(ctx.body.title ?? ""),
      body: ctx.body.body ?? null,
      head: String(ctx.body.head),
      base: String(ctx.body.base),
      draft: ctx.body.draft === true,
      maintainerCanModify: ctx.body.maintainer_can_modify === true,
      viaApp: state.app,
    });
    const body = shapes.pull(pull);
    return json(201, body, { location: String(body.url) });
  });
  r.add("GET /repos/{owner}/{repo}/pulls/{pull_number}", "token", (ctx) =>
    json(200, ctx.core.shapes.pull(pullOf(ctx))),
  );
  r.add("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", "token", (ctx) => {
    const { state, shapes } = ctx.core;
    const pull = pullOf(ctx);
    const body = ctx.body ?? {};
    if (body.base !== undefined) {
      if (!state.branchSha(pull.repo, String(body.base))) {
        throw unprocessable(`Proposed base branch '${body.base}' was not found`);
      }
      pull.pull.baseRef = String(body.base);
    }
    if (body.maintainer_can_modify !== undefined)
      pull.pull.maintainerCanModify = body.maintainer_can_modify === true;
    state.updateIssue(
      pull,
      {
        ...(body.title !== undefined ? { title: String(body.title) } : {}),
        ...(body.body !== undefined ? { body: body.body } : {}),
        ...(body.state !== undefined ? { state: body.state } : {}),
      },
      ctx.actor,
    );
    return json(200, shapes.pull(pull));
  });
  r.add("GET /repos/{owner}/{repo}/pulls/{pull_number}/merge", "token", (ctx) =>
    pullOf(ctx).pull.merged ? json(204) : json(404, { message: "Not Found" }),
  );
  r.add("PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge", "token", (ctx) => {
    const pull = pullOf(ctx);
    const body = ctx.body ?? {};
    const sha = ctx.core.state.mergePull(pull, ctx.actor, {
      method: (body.merge_method ?? "merge") as MergeMethod,
      ...(body.commit_title !== undefined ? { commitTitle: String(body.commit_title) } : {}),
      ...(body.commit_message !== undefined ? { commitMessage: String(body.commit_message) } : {}),
      ...(body.sha !== undefined ? { sha: String(body.sha) } : {}),
    });
    return json(200, { sha, merged: true, message: "Pull Request successfully merged" });
  });
  r.add("GET /repos/{owner}/{repo}/pulls/{pull_number}/commits", "token", (ctx) => {
    const pull = pullOf(ctx);
    const { repo } = pull;
    const head = ctx.core.state.branchSha(repo, pull.pull.headRef) ?? pull.pull.headSha;
    const base = ctx.core.state.branchSha(repo, pull.pull.baseRef) ?? pull.pull.baseSha;
    const shas = repo.git.commitsBetween(pull.pull.merged ? pull.pull.baseSha : base, head);
    return paginate(
      ctx,
      shas.map((sha) => ctx.core.shapes.commit(repo, sha)),
    );
  });
  r.add("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", "token", (ctx) => {
    const pull = pullOf(ctx);
    const { shapes, state } = ctx.core;
    const head = state.branchSha(pull.repo, pull.pull.headRef) ?? pull.pull.headSha;
    return paginate(
      ctx,
      shapes.pullStats(pull).changes.map((c) => shapes.diffEntry(pull.repo, head, c)),
    );
  });

  // ---- reviews -------------------------------------------------------------------------------------
  r.add("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews", "token", (ctx) => {
    const pull = pullOf(ctx);
    return paginate(
      ctx,
      pull.pull.reviews.map((review) => ctx.core.shapes.review(pull, review)),
    );
  });
  r.add("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}", "token", (ctx) => {
    const pull = pullOf(ctx);
    const review = pull.pull.reviews.find((x) => x.id === intParam(ctx, "review_id"));
    if (!review) throw notFound();
    return json(200, ctx.core.shapes.review(pull, review));
  });
  r.add(
    "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/comments",
    "token",
    (ctx) => {
      const pull = pullOf(ctx);
      const id = intParam(ctx, "review_id");
      if (!pull.pull.reviews.some((x) => x.id === id)) throw notFound();
      return paginate(
        ctx,
        pull.pull.reviewComments
          .filter((c) => c.reviewId === id)
          .map((c) => ctx.core.shapes.reviewComment(pull, c)),
      );
    },
  );
  r.add("POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews", "token", (ctx) => {
    const pull = pullOf(ctx);
    const body = ctx.body ?? {};
    const state = body.event ? REVIEW_EVENTS[String(body.event)] : "PENDING";
    if (!state) throw unprocessable(`Unexpected event ${body.event}`);
    if (
      (state === "CHANGES_REQUESTED" || state === "COMMENTED") &&
      !body.body &&
      !(body.comments ?? []).length
    ) {
      throw unprocessable(
        `Unprocessable Entity: "Review Can not request changes or comment without a body"`,
      );
    }
    const comments = (
      (body.comments ?? []) as { path: string; line?: number; position?: number; body: string }[]
    ).map((c) => ({
      path: c.path,
      line: c.line ?? c.position ?? 1,
      body: c.body,
    }));
    const review = ctx.core.state.submitReview(pull, {
      author: ctx.actor,
      state,
      body: String(body.body ?? ""),
      comments,
    });
    return json(200, ctx.core.shapes.review(pull, review));
  });
  r.add("GET /repos/{owner}/{repo}/pulls/{pull_number}/comments", "token", (ctx) => {
    const pull = pullOf(ctx);
    return paginate(
      ctx,
      pull.pull.reviewComments.map((c) => ctx.core.shapes.reviewComment(pull, c)),
    );
  });
}
