// Protected files the repository allows (`paths.protected_allowed`) and the plan names: they
// are committed, but a failing `Build Practical / protected files` check run lists each with its
// diff, and the pull request stays a draft until a person with write access says
// `/approve protected` (recorded in the audit trail). The default refusal is in
// protected-files.test.ts.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEMO_REPO_FILES,
  implementerOnTask,
  scriptDemoFeature,
} from "../../testkit/demo-feature.ts";
import { byTool } from "../../testkit/fakes/model/index.ts";
import { type Journey, journey } from "../../testkit/journey.ts";
import { sleep, waitFor } from "../../testkit/services.ts";
import { type Harness, MAINTAINER, OWNER, REPO } from "../../testkit/stack.ts";
import { ATTEMPTS, HEALTH, PROTECTED_CHECK, protectedImplementer } from "./support/protected.ts";
import { refused, settle, startReliabilityHarness } from "./support/suite.ts";

const FILE = "protected-files-allowed";

describe("protected files the repository allows", () => {
  let h: Harness;
  let d: Journey;
  const CONFIG = [
    "allow_self_approval: true",
    "paths:",
    "  protected_allowed:",
    '    - ".github/actions/**"',
    '    - "package.json"',
    '    - ".npmrc"',
  ].join("\n");

  beforeAll(async () => {
    h = await startReliabilityHarness({
      files: { ...DEMO_REPO_FILES, ".github/practical.yml": `${CONFIG}\n` },
    });
    d = journey(h, { maintainer: true });
    h.github.setPermission(OWNER, REPO, "passer-by", "read");
    h.model.respond(implementerOnTask("T001"), protectedImplementer);
    // The plan names the protected files it changes.
    h.model.respond(byTool("submit_plan"), () => ({
      toolUse: {
        name: "submit_plan",
        input: {
          markdown: `# Plan\n\n${ATTEMPTS.map((a) => `- Change \`${a.path}\``).join("\n")}\n- Add \`${HEALTH.path}\`\n`,
          tasks: [
            {
              id: "T001",
              title: "Tooling and health check",
              files: [...ATTEMPTS.map((a) => a.path), HEALTH.path],
              detail: "As planned.",
              requirements: ["FR-001"],
              dependsOn: [],
            },
          ],
          summary: "One task.",
        },
      },
    }));
    scriptDemoFeature(h.model);
  });
  afterAll(async () => {
    if (h) await settle(FILE, h);
    await h?.stop();
  });

  it("committed, a failing check lists each with its diff, and the PR is ready only after /approve protected from a writer", () =>
    refused(FILE, "allowed protected files held until /approve protected", async () => {
      const issue = await d.driveToReviews("Allowed protected files", { planIn: "issue" });
      const f = await d.waitStage(issue, "awaiting_merge", 40_000);
      const head = h.github.files(OWNER, REPO, f.branch ?? "");
      for (const attempt of ATTEMPTS) expect(head[attempt.path]).toBe(attempt.content);

      // The code commit changed them; the docs commit after it (the head) still waits on them.
      const code = (await h.db.store.latestArtifacts(f.id)).code?.commit_sha ?? "";
      expect(f.protectedPending).toBe(code);
      expect(code).not.toBe(f.headSha);
      const check = await waitFor("the protected files check run", () =>
        h.github.checkRuns(OWNER, REPO, code).find((run) => run.name === PROTECTED_CHECK),
      );
      const onHead = await waitFor("the protected files check run on the head", () =>
        h.github
          .checkRuns(OWNER, REPO, f.headSha ?? "")
          .find((run) => run.name === PROTECTED_CHECK),
      );
      expect(onHead.conclusion).toBe("failure");
      expect(onHead.output.summary).toContain(
        `The protected files changed in commit \`${code.slice(0, 7)}\` still wait for approval.`,
      );
      expect(check.conclusion).toBe("failure");
      for (const attempt of ATTEMPTS) {
        expect(check.output.summary).toContain(attempt.path);
        expect(check.output.summary).toContain(attempt.shows);
      }
      await waitFor("the notice that protected files wait", () =>
        d.botComments(issue).some((c) => c.body.includes("/approve protected")),
      );
      const pr = f.prNumber ?? 0;
      await sleep(500);
      expect(h.github.pull(OWNER, REPO, pr).draft).toBe(true);

      // Someone without write access cannot approve them.
      await d.say(issue, "/approve protected", "passer-by");
      await sleep(500);
      expect(h.github.pull(OWNER, REPO, pr).draft).toBe(true);
      expect((await d.feature(issue))?.protectedPending).toBe(code);

      await d.say(issue, "/approve protected", MAINTAINER);
      await waitFor("the PR marked ready", () => !h.github.pull(OWNER, REPO, pr).draft);
      const approved = await waitFor("the check run approved", () =>
        h.github
          .checkRuns(OWNER, REPO, f.headSha ?? "")
          .find((run) => run.name === PROTECTED_CHECK && run.conclusion === "success"),
      );
      expect(approved.output.title).toContain(MAINTAINER);
      const audit = await h.db.db
        .selectFrom("feature_events")
        .select(["actor", "event", "detail"])
        .where("feature_id", "=", f.id)
        .where("event", "=", "approve_protected")
        .execute();
      expect(audit).toEqual([
        expect.objectContaining({ actor: MAINTAINER, event: "approve_protected" }),
      ]);
      return "message";
    }));
});
