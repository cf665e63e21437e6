// App, installation, repository, issue, comment, reaction and label routes.
import { notFound, validationFailed } from "./errors.ts";
import { intParam, json, paginate, type RouteContext, type RouteTable } from "./server.ts";
import type { IssueRec, ReactionContent, ReactionRec } from "./state.ts";

// `permission` carries only the legacy base roles: "the maintain role is mapped to write and the
// triage role is mapped to read"; the role itself is in `role_name`.
// https://docs.github.com/en/rest/collaborators/collaborators#get-repository-permissions-for-a-user
const ROLE_TO_PERMISSION = {
  admin: "admin",
  maintain: "write",
  write: "write",
  triage: "read",
  read: "read",
  none: "none",
} as const;

function labelNames(body: unknown): string[] {
  const items: unknown[] = Array.isArray(body)
    ? body
    : typeof body === "string"
      ? [body]
      : Array.isArray((body as { labels?: unknown })?.labels)
        ? ((body as { labels: unknown[] }).labels ?? [])
        : [];
  return items.map((item) =>
    typeof item === "string" ? item : String((item as { name?: string }).name ?? ""),
  );
}

function issueOf(ctx: RouteContext): IssueRec {
  return ctx.core.state.issue(ctx.repo(), intParam(ctx, "issue_number"));
}

function reactionList(ctx: RouteContext, list: ReactionRec[]) {
  const content = ctx.query.get("content");
  const filtered = content ? list.filter((r) => r.content === content) : list;
  return paginate(
    ctx,
    filtered.map((r) => ctx.core.shapes.reaction(r)),
  );
}

export function registerIssueRoutes(r: RouteTable): void {
  // ---- app and installations (JWT) ------------------------------------------------------------
  r.add("GET /app", "jwt", (ctx) => json(200, ctx.core.shapes.app(ctx.core.state.app)));
  r.add("GET /app/installations", "jwt", (ctx) =>
    paginate(
      ctx,
      [...ctx.core.state.installations.values()].map((i) => ctx.core.shapes.installation(i)),
    ),
  );
  r.add("GET /app/installations/{installation_id}", "jwt", (ctx) =>
    json(
      200,
      ctx.core.shapes.installation(ctx.core.state.installation(intParam(ctx, "installation_id"))),
    ),
  );
  r.add("POST /app/installations/{installation_id}/access_tokens", "jwt", (ctx) => {
    const { state, shapes } = ctx.core;
    const installation = state.installation(intParam(ctx, "installation_id"));
    const token = state.createToken(installation.id);
    const body: Record<string, unknown> = {
      token: token.token,
      expires_at: `${new Date(token.expiresAt).toISOString().slice(0, 19)}Z`,
      permissions:
        ctx.body?.permissions ?? installation.granted?.permissions ?? installation.app.permissions,
      repository_selection: "selected",
    };
    const wanted: string[] | undefined = ctx.body?.repositories;
    const wantedIds: number[] | undefined = ctx.body?.repository_ids;
    if (wanted || wantedIds) {
      const repos = [...state.repos.values()].filter(
        (repo) =>
          repo.installationId === installation.id &&
          ((wanted?.includes(repo.name) ?? false) || (wantedIds?.includes(repo.id) ?? false)),
      );
      body.repositories = repos.map((repo) => shapes.repo(repo));
    }
    return { status: 201, body, changed: false };
  });
  r.add("GET /repos/{owner}/{repo}/installation", "jwt", (ctx) => {
    const repo = ctx.core.state.repo(ctx.params.owner ?? "", ctx.params.repo ?? "");
    return json(
      200,
      ctx.core.shapes.installation(ctx.core.state.installation(repo.installationId)),
    );
  });
  r.add("GET /installation/repositories", "token", (ctx) => {
    const repos = [...ctx.core.state.repos.values()].filter(
      (repo) => repo.installationId === ctx.token?.installationId,
    );
    return paginate(
      ctx,
      repos.map((repo) => ctx.core.shapes.repo(repo)),
      (page) => ({
        total_count: repos.length,
        repository_selection: "selected",
        repositories: page,
      }),
    );
  });

  // ---- repository ------------------------------------------------------------------------------
  r.add("GET /repos/{owner}/{repo}", "token", (ctx) => json(200, ctx.core.shapes.repo(ctx.repo())));
  r.add("GET /repos/{owner}/{repo}/collaborators/{username}/permission", "token", (ctx) => {
    const { state, shapes } = ctx.core;
    const repo = ctx.repo();
    const user = state.user(ctx.params.username ?? "");
    const role = state.permission(repo, user.login);
    const rank = ["none", "read", "triage", "write", "maintain", "admin"].indexOf(role);
    return json(200, {
      permission: ROLE_TO_PERMISSION[role],
      role_name: role,
      user: {
        ...shapes.user(user),
        permissions: {
          admin: rank >= 5,
          maintain: rank >= 4,
          push: rank >= 3,
          triage: rank >= 2,
          pull: rank >= 1,
        },
        role_name: role,
      },
    });
  });

  // ---- issues ----------------------------------------------------------------------------------
  r.add("GET /repos/{owner}/{repo}/issues", "token", (ctx) => {
    const repo = ctx.repo();
    const state = ctx.query.get("state") ?? "open";
    const labels = (ctx.query.get("labels") ?? "")
      .split(",")
      .filter(Boolean)
      .map((l) => l.toLowerCase());
    const creator = ctx.query.get("creator")?.toLowerCase();
    const issues = [...repo.issues.values()]
      .filter((i) => state === "all" || i.state === state)
      .filter((i) => labels.every((l) => i.labels.some((x) => x.name.toLowerCase() === l)))
      .filter((i) => !creator || i.user.login.toLowerCase() === creator)
      .sort((a, b) => b.number - a.number);
    if (ctx.query.get("direction") === "asc") issues.reverse();
    return paginate(
      ctx,
      issues.map((i) => ctx.core.shapes.issue(i)),
    );
  });
  r.add("POST /repos/{owner}/{repo}/issues", "token", (ctx) => {
    const { state, shapes } = ctx.core;
    const issue = state.createIssue(ctx.repo(), {
      author: ctx.actor,
      title: String(ctx.body.title),
      body: ctx.body.body ?? null,
      labels: labelNames(ctx.body.labels ?? []),
      viaApp: state.app,
    });
    return json(201, shapes.issue(issue));
  });
  r.add("GET /repos/{owner}/{repo}/issues/{issue_number}", "token", (ctx) =>
    json(200, ctx.core.shapes.issue(issueOf(ctx))),
  );
  r.add("PATCH /repos/{owner}/{repo}/issues/{issue_number}", "token", (ctx) => {
    const { state, shapes } = ctx.core;
    const issue = issueOf(ctx);
    const body = ctx.body ?? {};
    state.updateIssue(
      issue,
      {
        ...(body.title !== undefined ? { title: String(body.title) } : {}),
        ...(body.body !== undefined ? { body: body.body } : {}),
        ...(body.state !== undefined ? { state: body.state } : {}),
        ...(body.state_reason !== undefined ? { state_reason: body.state_reason } : {}),
      },
      ctx.actor,
    );
    if (Array.isArray(body.labels)) {
      issue.labels = [];
      for (const name of labelNames(body.labels)) state.addLabelToIssue(issue, name);
    }
    return json(200, shapes.issue(issue));
  });

  // ---- comments ----------------------------------------------------------------------------------
  r.add("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", "token", (ctx) => {
    const since = ctx.query.get("since");
    const comments = issueOf(ctx).comments.filter((c) => !since || c.updatedAt >= since);
    return paginate(
      ctx,
      comments.map((c) => ctx.core.shapes.comment(c)),
    );
  });
  r.add("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", "token", (ctx) => {
    const { state, shapes } = ctx.core;
    const comment = state.createComment(issueOf(ctx), ctx.actor, String(ctx.body.body), state.app);
    return json(201, shapes.comment(comment), { location: String(shapes.comment(comment).url) });
  });
  r.add("GET /repos/{owner}/{repo}/issues/comments", "token", (ctx) => {
    const repo = ctx.repo();
    const comments = [...ctx.core.state.comments.values()].filter((c) => c.repo === repo);
    return paginate(
      ctx,
      comments.map((c) => ctx.core.shapes.comment(c)),
    );
  });
  r.add("GET /repos/{owner}/{repo}/issues/comments/{comment_id}", "token", (ctx) =>
    json(
      200,
      ctx.core.shapes.comment(ctx.core.state.comment(ctx.repo(), intParam(ctx, "comment_id"))),
    ),
  );
  r.add("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", "token", (ctx) => {
    const { state, shapes } = ctx.core;
    const comment = state.comment(ctx.repo(), intParam(ctx, "comment_id"));
    state.updateComment(comment, String(ctx.body.body));
    return json(200, shapes.comment(comment));
  });
  r.add("DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}", "token", (ctx) => {
    const { state } = ctx.core;
    state.deleteComment(state.comment(ctx.repo(), intParam(ctx, "comment_id")));
    return json(204);
  });

  // ---- reactions ---------------------------------------------------------------------------------
  r.add("GET /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", "token", (ctx) =>
    reactionList(ctx, ctx.core.state.comment(ctx.repo(), intParam(ctx, "comment_id")).reactions),
  );
  r.add("POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", "token", (ctx) => {
    const { state, shapes } = ctx.core;
    const comment = state.comment(ctx.repo(), intParam(ctx, "comment_id"));
    const [reaction, created] = state.addReaction(
      comment.reactions,
      ctx.actor,
      ctx.body.content as ReactionContent,
    );
    return { status: created ? 201 : 200, body: shapes.reaction(reaction), changed: created };
  });
  r.add(
    "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions/{reaction_id}",
    "token",
    (ctx) => {
      const comment = ctx.core.state.comment(ctx.repo(), intParam(ctx, "comment_id"));
      const id = intParam(ctx, "reaction_id");
      if (!comment.reactions.some((x) => x.id === id)) throw notFound();
      comment.reactions = comment.reactions.filter((x) => x.id !== id);
      return json(204);
    },
  );
  r.add("GET /repos/{owner}/{repo}/issues/{issue_number}/reactions", "token", (ctx) =>
    reactionList(ctx, issueOf(ctx).reactions),
  );
  r.add("POST /repos/{owner}/{repo}/issues/{issue_number}/reactions", "token", (ctx) => {
    const { state, shapes } = ctx.core;
    const [reaction, created] = state.addReaction(
      issueOf(ctx).reactions,
      ctx.actor,
      ctx.body.content as ReactionContent,
    );
    return { status: created ? 201 : 200, body: shapes.reaction(reaction), changed: created };
  });

  // ---- labels ------------------------------------------------------------------------------------
  const issueLabels = (ctx: RouteContext, issue: IssueRec) =>
    issue.labels.map((l) => ctx.core.shapes.label(issue.repo, l));
  r.add("GET /repos/{owner}/{repo}/issues/{issue_number}/labels", "token", (ctx) =>
    paginate(ctx, issueLabels(ctx, issueOf(ctx))),
  );
  r.add("POST /repos/{owner}/{repo}/issues/{issue_number}/labels", "token", (ctx) => {
    const issue = issueOf(ctx);
    const names = labelNames(ctx.body);
    if (names.length === 0) {
      throw validationFailed([{ resource: "Label", code: "missing_field", field: "labels" }]);
    }
    let changed = false;
    for (const name of names) changed = ctx.core.state.addLabelToIssue(issue, name) || changed;
    return { status: 200, body: issueLabels(ctx, issue), changed };
  });
  r.add("PUT /repos/{owner}/{repo}/issues/{issue_number}/labels", "token", (ctx) => {
    const issue = issueOf(ctx);
    issue.labels = [];
    for (const name of labelNames(ctx.body)) ctx.core.state.addLabelToIssue(issue, name);
    return json(200, issueLabels(ctx, issue));
  });
  r.add("DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels", "token", (ctx) => {
    const issue = issueOf(ctx);
    issue.labels = [];
    return json(204);
  });
  r.add("DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", "token", (ctx) => {
    const issue = issueOf(ctx);
    ctx.core.state.removeLabelFromIssue(issue, ctx.params.name ?? "");
    return json(200, issueLabels(ctx, issue));
  });
  r.add("GET /repos/{owner}/{repo}/labels", "token", (ctx) => {
    const repo = ctx.repo();
    return paginate(
      ctx,
      [...repo.labels.values()].map((l) => ctx.core.shapes.label(repo, l)),
    );
  });
  r.add("POST /repos/{owner}/{repo}/labels", "token", (ctx) => {
    const repo = ctx.repo();
    const label = ctx.core.state.createLabel(
      repo,
      String(ctx.body.name),
      ctx.body.color,
      ctx.body.description,
    );
    return json(201, ctx.core.shapes.label(repo, label));
  });
  r.add("GET /repos/{owner}/{repo}/labels/{name}", "token", (ctx) => {
    const repo = ctx.repo();
    const label = repo.labels.get((ctx.params.name ?? "").toLowerCase());
    if (!label) throw notFound();
    return json(200, ctx.core.shapes.label(repo, label));
  });
  r.add("PATCH /repos/{owner}/{repo}/labels/{name}", "token", (ctx) => {
    const repo = ctx.repo();
    const label = repo.labels.get((ctx.params.name ?? "").toLowerCase());
    if (!label) throw notFound();
    if (ctx.body.new_name) {
      repo.labels.delete(label.name.toLowerCase());
      label.name = String(ctx.body.new_name);
      repo.labels.set(label.name.toLowerCase(), label);
    }
    if (ctx.body.color) label.color = String(ctx.body.color).replace(/^#/, "");
    if (ctx.body.description !== undefined) label.description = ctx.body.description;
    return json(200, ctx.core.shapes.label(repo, label));
  });
  r.add("DELETE /repos/{owner}/{repo}/labels/{name}", "token", (ctx) => {
    const repo = ctx.repo();
    const key = (ctx.params.name ?? "").toLowerCase();
    const label = repo.labels.get(key);
    if (!label) throw notFound();
    repo.labels.delete(key);
    for (const issue of repo.issues.values())
      issue.labels = issue.labels.filter((l) => l !== label);
    return json(204);
  });
}
