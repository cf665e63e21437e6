import { exchangeWebFlowCode, getWebFlowAuthorizationUrl } from "@octokit/oauth-methods";
import { request as octokitRequest } from "@octokit/request";
import { ProbotOctokit } from "probot";
import { githubStatusOf, SignInError } from "../../errors.ts";
import type { Logger } from "../../log.ts";

export interface GitHubUser {
  id: number;
  login: string;
}

export interface UserInstallation {
  id: number;
  account: string;
  accountType: "User" | "Organization";
}

export interface UserRepo {
  owner: string;
  name: string;
  /** The user's permission, as GitHub reports it for their token. */
  admin: boolean;
  push: boolean;
}

/** What the user's role in an organisation is, or why it cannot be told. */
export type OrgRole = "admin" | "member" | "none" | "unknown";

/** What the dashboard asks GitHub with a signed-in user's token. */
export interface UserApi {
  getUser(): Promise<GitHubUser>;
  listInstallations(): Promise<UserInstallation[]>;
  listRepos(installationId: number): Promise<UserRepo[]>;
  orgRole(org: string): Promise<OrgRole>;
}

const UserOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  // A page view must not wait out a rate limit: fail, and let the person reload.
  retry: { enabled: false },
  throttle: { enabled: false },
}));

/** GitHub's user authorization for this app (web flow) and the user-token API. */
export class GitHubSignIn {
  readonly #apiUrl: string;
  readonly #clientId: string;
  readonly #clientSecret: string;
  readonly #redirectUrl: string;
  readonly #log: Logger;

  constructor(options: {
    apiUrl: string;
    clientId: string;
    clientSecret: string;
    redirectUrl: string;
    log: Logger;
  }) {
    this.#apiUrl = options.apiUrl;
    this.#clientId = options.clientId;
    this.#clientSecret = options.clientSecret;
    this.#redirectUrl = options.redirectUrl;
    this.#log = options.log;
  }

  /** Where to send the browser: GitHub's consent page, which comes back with `code` and `state`. */
  authorizeUrl(state: string): string {
    return getWebFlowAuthorizationUrl({
      clientType: "github-app",
      clientId: this.#clientId,
      redirectUrl: this.#redirectUrl,
      state,
      allowSignup: false,
      request: this.#request(),
    }).url;
  }

  /** Trades the callback's code for a user token. */
  async exchangeCode(code: string): Promise<{ token: string; expiresAt: Date | undefined }> {
    try {
      const { authentication } = await exchangeWebFlowCode({
        clientType: "github-app",
        clientId: this.#clientId,
        clientSecret: this.#clientSecret,
        code,
        redirectUrl: this.#redirectUrl,
        request: this.#request(),
      });
      const expiresAt =
        "expiresAt" in authentication && authentication.expiresAt
          ? new Date(authentication.expiresAt)
          : undefined;
      return { token: authentication.token, expiresAt };
    } catch (error) {
      const status = githubStatusOf(error);
      this.#log.warn({ status }, "sign-in: GitHub did not accept the authorization code");
      throw new SignInError(
        status === 400
          ? "GitHub did not accept the sign-in (the code expired or was already used). Please sign in again."
          : "GitHub could not be reached to finish signing in. Please try again.",
      );
    }
  }

  forToken(token: string): UserApi {
    const octokit = new UserOctokit({
      auth: { token },
      baseUrl: this.#apiUrl,
      log: this.#log,
    });
    return {
      async getUser() {
        const { data } = await octokit.rest.users.getAuthenticated();
        return { id: data.id, login: data.login };
      },
      async listInstallations() {
        const installations = await octokit.paginate(
          octokit.rest.apps.listInstallationsForAuthenticatedUser,
          { per_page: 100 },
        );
        return installations.map((i) => {
          const account = i.account as { login?: string; slug?: string; type?: string } | null;
          return {
            id: i.id,
            account: account?.login ?? account?.slug ?? "unknown",
            accountType: i.target_type === "Organization" ? "Organization" : "User",
          };
        });
      },
      async listRepos(installationId) {
        const repos = await octokit.paginate(
          octokit.rest.apps.listInstallationReposForAuthenticatedUser,
          { installation_id: installationId, per_page: 100 },
        );
        return repos
          .filter((r) => r.permissions?.pull !== false)
          .map((r) => ({
            owner: r.owner.login,
            name: r.name,
            admin: r.permissions?.admin === true,
            push: r.permissions?.push === true,
          }));
      },
      async orgRole(org) {
        try {
          const { data } = await octokit.rest.orgs.getMembershipForAuthenticatedUser({ org });
          if (data.state !== "active") return "none";
          return data.role === "admin" ? "admin" : "member";
        } catch (error) {
          const status = githubStatusOf(error);
          if (status === 404) return "none";
          // 403: the app lacks the "Members" organisation permission; the role cannot be told.
          if (status === 403) return "unknown";
          throw error;
        }
      },
    };
  }

  #request() {
    return octokitRequest.defaults({
      baseUrl: this.#apiUrl,
      headers: { "user-agent": "build-practical-dashboard" },
    });
  }
}
