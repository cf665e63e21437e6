// Routes a user access token (ghu_…, from signing in with GitHub) may call: who am I, which
// installations of this app can I access, which of their repositories can I read, and my role in
// an organisation. An installation token gets 403 here, as on GitHub.
import { HttpError, notFound } from "./errors.ts";
import {
  accessibleInstallations,
  permissionFlags,
  readableRepos,
  userPermission,
} from "./oauth.ts";
import { intParam, json, paginate, type RouteContext, type RouteTable } from "./server.ts";
import type { UserRec } from "./state.ts";

function userOf(ctx: RouteContext): UserRec {
  if (!ctx.user) throw new HttpError(403, "Resource not accessible by integration");
  return ctx.user;
}

function orgShape(ctx: RouteContext, org: UserRec) {
  const api = ctx.core.urls.api;
  return {
    login: org.login,
    id: org.id,
    node_id: org.nodeId,
    url: `${api}/orgs/${org.login}`,
    repos_url: `${api}/orgs/${org.login}/repos`,
    events_url: `${api}/orgs/${org.login}/events`,
    hooks_url: `${api}/orgs/${org.login}/hooks`,
    issues_url: `${api}/orgs/${org.login}/issues`,
    members_url: `${api}/orgs/${org.login}/members{/member}`,
    public_members_url: `${api}/orgs/${org.login}/public_members{/member}`,
    avatar_url: `${ctx.core.urls.web}/avatars/u/${org.id}?v=4`,
    description: null,
  };
}

/** Organisation membership needs the app's "members" permission, as on GitHub. */
function requireMembersPermission(ctx: RouteContext): void {
  if (!ctx.core.state.app.permissions.members) {
    throw new HttpError(403, {
      message: "Resource not accessible by integration",
      documentation_url:
        "https://docs.github.com/rest/orgs/members#get-an-organization-membership-for-the-authenticated-user",
      status: "403",
    });
  }
}

export function registerUserRoutes(r: RouteTable): void {
  r.add("GET /user", "user", (ctx) => {
    const user = userOf(ctx);
    const { shapes, state } = ctx.core;
    const publicRepos = [...state.repos.values()].filter((repo) => repo.owner === user).length;
    return json(200, {
      ...shapes.user(user),
      name: user.name,
      company: null,
      blog: "",
      location: null,
      email: null,
      hireable: null,
      bio: null,
      twitter_username: null,
      public_repos: publicRepos,
      public_gists: 0,
      followers: 0,
      following: 0,
      created_at: "2020-01-01T00:00:00Z",
      updated_at: "2020-01-01T00:00:00Z",
    });
  });

  r.add("GET /user/installations", "user", (ctx) => {
    const user = userOf(ctx);
    const installations = accessibleInstallations(ctx.core.state, user);
    return paginate(
      ctx,
      installations.map((i) => ctx.core.shapes.installation(i)),
      (page) => ({ total_count: installations.length, installations: page }),
    );
  });

  r.add("GET /user/installations/{installation_id}/repositories", "user", (ctx) => {
    const user = userOf(ctx);
    const { state, shapes } = ctx.core;
    const id = intParam(ctx, "installation_id");
    const installation = accessibleInstallations(state, user).find((i) => i.id === id);
    if (!installation) throw notFound();
    const repos = readableRepos(state, installation, user);
    return paginate(
      ctx,
      repos.map((repo) => ({
        ...shapes.repo(repo),
        permissions: permissionFlags(userPermission(state, repo, user)),
      })),
      (page) => ({
        total_count: repos.length,
        repository_selection: "selected",
        repositories: page,
      }),
    );
  });

  r.add("GET /user/memberships/orgs/{org}", "user", (ctx) => {
    const user = userOf(ctx);
    requireMembersPermission(ctx);
    const { state, shapes } = ctx.core;
    const org = state.users.get((ctx.params.org ?? "").toLowerCase());
    if (org?.type !== "Organization") throw notFound();
    const role = state.oauth.role(org.login, user.login);
    if (!role) throw notFound();
    return json(200, {
      url: `${ctx.core.urls.api}/orgs/${org.login}/memberships/${user.login}`,
      state: "active",
      role,
      organization_url: `${ctx.core.urls.api}/orgs/${org.login}`,
      organization: orgShape(ctx, org),
      user: shapes.user(user),
    });
  });

  r.add("GET /orgs/{org}/memberships/{username}", "user", (ctx) => {
    const viewer = userOf(ctx);
    requireMembersPermission(ctx);
    const { state, shapes } = ctx.core;
    const org = state.users.get((ctx.params.org ?? "").toLowerCase());
    if (org?.type !== "Organization") throw notFound();
    // Only members see an organisation's memberships.
    if (!state.oauth.role(org.login, viewer.login)) throw notFound();
    const member = state.users.get((ctx.params.username ?? "").toLowerCase());
    const role = member ? state.oauth.role(org.login, member.login) : null;
    if (!member || !role) throw notFound();
    return json(200, {
      url: `${ctx.core.urls.api}/orgs/${org.login}/memberships/${member.login}`,
      state: "active",
      role,
      organization_url: `${ctx.core.urls.api}/orgs/${org.login}`,
      organization: orgShape(ctx, org),
      user: shapes.user(member),
    });
  });
}
