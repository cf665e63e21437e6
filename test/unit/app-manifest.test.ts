// app.yml against GitHub's documented manifest rules ("Registering a GitHub App from a
// manifest" and "Choosing permissions for a GitHub App", docs.github.com/en/apps/sharing-github-apps).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { projectPath } from "../../src/project-root.ts";

const manifest = parse(readFileSync(projectPath("app.yml"), "utf8")) as {
  name: string;
  hook_attributes?: { url?: string };
  default_permissions: Record<string, string>;
  default_events: string[];
};

/** The permission each subscribed event needs (the "Webhook events" table of the permissions page). */
const EVENT_PERMISSION: Record<string, string> = {
  issues: "issues",
  issue_comment: "issues",
  pull_request: "pull_requests",
  pull_request_review: "pull_requests",
  check_run: "checks",
  check_suite: "checks",
  status: "statuses",
};

describe("app.yml", () => {
  it("subscribes to no event GitHub delivers without subscription (it refuses: Default events unsupported)", () => {
    expect(manifest.default_events).not.toContain("installation");
    expect(manifest.default_events).not.toContain("installation_repositories");
  });

  it("leaves the webhook URL to Probot's setup (a URL here would replace WEBHOOK_PROXY_URL)", () => {
    expect(manifest.hook_attributes?.url).toBeUndefined();
  });

  it("asks for least privilege: every subscribed event's permission, job logs read, never workflows", () => {
    for (const event of manifest.default_events) {
      const permission = EVENT_PERMISSION[event];
      expect(permission, `a permission for ${event}`).toBeDefined();
      expect(manifest.default_permissions[permission as string]).toMatch(/^(read|write)$/);
    }
    expect(manifest.default_permissions.actions).toBe("read");
    expect(manifest.default_permissions).not.toHaveProperty("workflows");
    for (const level of Object.values(manifest.default_permissions)) {
      expect(["read", "write"]).toContain(level);
    }
  });

  it("has a name GitHub accepts (at most 34 characters)", () => {
    expect(manifest.name.length).toBeLessThanOrEqual(34);
  });
});
