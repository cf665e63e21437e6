// Who may act, read from GitHub's collaborator-permission endpoint as the fake serves it:
// maintain and triage are only visible in `role_name`.

import { Probot, type ProbotOctokit } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PermissionCache, permissionOf } from "../../src/adapters/github/permissions.ts";
import { type GitHubFakeServer, startGitHubFake } from "../../testkit/fakes/github/index.ts";

const INSTALLATION = 7373;

describe("permissions from role_name", () => {
  let fake: GitHubFakeServer;
  let octokit: InstanceType<typeof ProbotOctokit>;

  beforeAll(async () => {
    fake = await startGitHubFake({ slug: "build-practical", validateResponses: true });
    fake.addInstallation({ id: INSTALLATION, account: "acme", accountType: "Organization" });
    fake.addRepo({ installationId: INSTALLATION, owner: "acme", name: "widgets", files: {} });
    const probot = new Probot({
      appId: fake.appId,
      privateKey: fake.privateKey,
      secret: "webhook-secret",
      baseUrl: fake.baseUrl,
      logLevel: "fatal",
    });
    octokit = await probot.auth(INSTALLATION);
  });

  afterAll(async () => {
    await fake?.close();
  });

  it.each(["triage", "maintain", "write", "read", "admin"] as const)(
    "a %s collaborator keeps that role",
    async (role) => {
      const login = `user-${role}`;
      fake.addUser(login);
      fake.setPermission("acme", "widgets", login, role);
      const permission = await new PermissionCache().get(octokit, "acme", "widgets", login);
      expect(permission).toBe(role);
      expect(fake.violations).toEqual([]);
    },
  );

  it("a custom role falls back to its base permission", () => {
    expect(permissionOf({ permission: "write", role_name: "release-manager" })).toBe("write");
    expect(permissionOf({ permission: "read", role_name: "docs-writer" })).toBe("read");
    expect(permissionOf({ permission: "bogus", role_name: "odd" })).toBe("none");
  });
});
