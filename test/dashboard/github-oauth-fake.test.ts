// The GitHub fake speaks GitHub's user authorization (web flow) and user-token API the way the
// real one does, checked with the same Octokit libraries the app uses.
import { exchangeWebFlowCode } from "@octokit/oauth-methods";
import { request } from "@octokit/request";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.ts";
import { GitHubSignIn } from "../../src/web/dashboard/github-user.ts";
import { type GitHubFakeServer, startGitHubFake } from "../../testkit/fakes/github/index.ts";

let fake: GitHubFakeServer;
const callback = "http://127.0.0.1:1/auth/callback";

beforeAll(async () => {
  fake = await startGitHubFake({ validateResponses: true });
  fake.addInstallation({ id: 1, account: "acme", accountType: "Organization" });
  fake.addRepo({ installationId: 1, owner: "acme", name: "widgets" });
  fake.addRepo({ installationId: 1, owner: "acme", name: "secrets" });
  fake.addInstallation({ id: 2, account: "zoe" });
  fake.addRepo({ installationId: 2, owner: "zoe", name: "blog" });
  fake.setOrgRole("acme", "olga", "admin");
  fake.setPermission("acme", "widgets", "pat", "write");
  fake.addCallbackUrl(callback);
});
afterAll(async () => fake?.close());

/** The consent step as a browser would do it; returns the callback URL GitHub redirects to. */
async function consent(login: string, state: string, redirectUri = callback) {
  const form = new URLSearchParams({
    client_id: fake.clientId,
    redirect_uri: redirectUri,
    state,
    login,
    authorize: "1",
  });
  const response = await fetch(`${fake.url}/login/oauth/authorize`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form,
    redirect: "manual",
  });
  return { status: response.status, location: response.headers.get("location") ?? "" };
}

const oauthRequest = () => request.defaults({ baseUrl: fake.baseUrl });

describe("the fake's sign-in", () => {
  it("shows a consent page only for the app's client id and a registered callback", async () => {
    const ok = await fetch(
      `${fake.url}/login/oauth/authorize?client_id=${fake.clientId}&redirect_uri=${encodeURIComponent(callback)}&state=s`,
    );
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("Authorize build-practical");
    const wrongClient = await fetch(`${fake.url}/login/oauth/authorize?client_id=Iv1.nope`);
    expect(wrongClient.status).toBe(404);
    expect((await consent("olga", "s", "http://evil.example/cb")).status).toBe(400);
  });

  it("redirects back with the state; a denial says access_denied", async () => {
    const { status, location } = await consent("olga", "state-123");
    expect(status).toBe(302);
    const url = new URL(location);
    expect(url.origin + url.pathname).toBe(callback);
    expect(url.searchParams.get("state")).toBe("state-123");
    expect(url.searchParams.get("code")).toMatch(/^[0-9a-f]{20}$/);
    const denied = await fetch(`${fake.url}/login/oauth/authorize`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: fake.clientId,
        redirect_uri: callback,
        state: "s",
        authorize: "0",
      }),
      redirect: "manual",
    });
    expect(new URL(denied.headers.get("location") ?? "").searchParams.get("error")).toBe(
      "access_denied",
    );
  });

  it("trades a code for an expiring user token once, and only with the client secret", async () => {
    const code = new URL((await consent("olga", "s")).location).searchParams.get("code") ?? "";
    const exchange = (secret: string) =>
      exchangeWebFlowCode({
        clientType: "github-app",
        clientId: fake.clientId,
        clientSecret: secret,
        code,
        redirectUrl: callback,
        request: oauthRequest(),
      });
    await expect(exchange("wrong")).rejects.toThrow(/incorrect_client_credentials/);
    // GitHub forgets a code after any attempt to use it, as here.
    const fresh = new URL((await consent("olga", "s")).location).searchParams.get("code") ?? "";
    const { authentication } = await exchangeWebFlowCode({
      clientType: "github-app",
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      code: fresh,
      redirectUrl: callback,
      request: oauthRequest(),
    });
    expect(authentication.token).toMatch(/^ghu_/);
    expect("expiresAt" in authentication && authentication.expiresAt).toBeTruthy();
    await expect(
      exchangeWebFlowCode({
        clientType: "github-app",
        clientId: fake.clientId,
        clientSecret: fake.clientSecret,
        code: fresh,
        redirectUrl: callback,
        request: oauthRequest(),
      }),
    ).rejects.toThrow(/bad_verification_code/);
  });
});

describe("the user-token API", () => {
  const api = (login: string) =>
    new GitHubSignIn({
      apiUrl: fake.baseUrl,
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      redirectUrl: callback,
      log: createLogger({ level: "silent", format: "json" }),
    }).forToken(fake.createUserToken(login));

  it("lists what each kind of user can access", async () => {
    expect(await api("olga").getUser()).toMatchObject({ login: "olga" });
    expect((await api("olga").listInstallations()).map((i) => i.id)).toEqual([1]);
    expect((await api("olga").listRepos(1)).map((r) => [r.name, r.admin])).toEqual([
      ["widgets", true],
      ["secrets", true],
    ]);
    expect((await api("pat").listInstallations()).map((i) => i.id)).toEqual([1]);
    expect((await api("pat").listRepos(1)).map((r) => [r.name, r.push, r.admin])).toEqual([
      ["widgets", true, false],
    ]);
    expect((await api("zoe").listInstallations()).map((i) => i.account)).toEqual(["zoe"]);
    expect(await api("nobody").listInstallations()).toEqual([]);
    await expect(api("nobody").listRepos(1)).rejects.toMatchObject({ status: 404 });
  });

  it("tells organisation roles only with the Members permission", async () => {
    expect(await api("olga").orgRole("acme")).toBe("unknown");
    fake.grantAppPermission("members", "read");
    expect(await api("olga").orgRole("acme")).toBe("admin");
    expect(await api("pat").orgRole("acme")).toBe("none");
    fake.setOrgRole("acme", "pat", "member");
    expect(await api("pat").orgRole("acme")).toBe("member");
  });

  it("refuses installation tokens and unknown tokens on user routes", async () => {
    const bad = await fetch(`${fake.baseUrl}/user`, {
      headers: { authorization: "token ghu_nope" },
    });
    expect(bad.status).toBe(401);
    expect(fake.violations.filter((v) => v.kind !== "unknown-route")).toEqual([]);
  });
});
