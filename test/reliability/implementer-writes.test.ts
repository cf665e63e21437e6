// The implementer (or the contract-tests agent) asking to write where it must not, or to write
// secrets: every traversal spelling, .git, workflows, very long names, cloud keys, private
// keys, the installation's own model key. Each write is refused back to the model with a reason
// (never echoing the secret), and the commit holds only what was allowed.

import { generateKeyPairSync, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEMO_REPO_FILES,
  implementerOnTask,
  scriptDemoFeature,
} from "../../testkit/demo-feature.ts";
import { byTool, type ModelRequest, type Reply } from "../../testkit/fakes/model/index.ts";
import { type Journey, journey } from "../../testkit/journey.ts";
import { waitFor } from "../../testkit/services.ts";
import { type Harness, MODEL_KEY, OWNER, REPO } from "../../testkit/stack.ts";
import { branches } from "./support/audit.ts";
import { record } from "./support/report.ts";
import { refused, settle, startReliabilityHarness, toolResults } from "./support/suite.ts";

const FILE = "implementer-writes";
let h: Harness;
let d: Journey;

const alnum = (n: number) =>
  randomBytes(n * 2)
    .toString("base64")
    .replace(/[^A-Za-z0-9]/g, "")
    .slice(0, n);
const PRIVATE_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
  type: "pkcs8",
  format: "pem",
}) as string;

/** Paths that must never be written, each with what makes it so. */
const FORBIDDEN_PATHS: [string, string][] = [
  ["parent directory", "../outside.txt"],
  ["parent directory, nested", "src/../../outside.txt"],
  ["parent directory after ./", "./.././outside.txt"],
  ["absolute path", "/etc/passwd"],
  ["Windows drive", "C:\\Windows\\win.ini"],
  ["backslashes", "src\\..\\..\\outside.txt"],
  ["URL-encoded dots", "%2e%2e/outside.txt"],
  ["URL-encoded slash", "src%2f..%2f..%2foutside.txt"],
  ["double URL-encoded", "%252e%252e/outside.txt"],
  ["overlong UTF-8 dots", "%c0%ae%c0%ae/outside.txt"],
  ["NUL byte", "src/ok.js\u0000.png"],
  ["control character", "src/line\nbreak.js"],
  [".git/config", ".git/config"],
  [".git hooks", ".git/hooks/pre-commit"],
  ["nested .git", "vendor/lib/.git/config"],
  [".git in capitals", ".GIT/config"],
  [".git with a trailing dot", ".git./config"],
  [".git 8.3 short name", "GIT~1/config"],
  ["workflow", ".github/workflows/ci.yml"],
  ["workflow in capitals", ".GitHub/Workflows/ci.yml"],
  ["workflow through ..", "docs/../.github/workflows/ci.yml"],
  ["very long file name", `src/${"a".repeat(300)}.js`],
  ["very long path", `${"deep/".repeat(60)}x.js`],
  ["zero-width character", "src/hea\u200Blth.js"],
  ["right-to-left override", "src/\u202Esj.exe"],
  [".env file", "config/.env"],
  ["private key file", "certs/server.pem"],
  ["empty path", ""],
];

/** Contents that must never be committed, each with what it carries. */
const SECRETS: [string, string][] = [
  [
    "AWS access key id",
    `const id = "AKIA${alnum(16)
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, "Q")}";\n`,
  ],
  ["AWS secret access key", `aws_secret_access_key = "${alnum(40)}"\n`],
  ["private key", `export const key = \`${PRIVATE_KEY}\`;\n`],
  ["GitHub token", `const token = "ghp_${alnum(36)}";\n`],
  ["Slack token", `const slack = "xoxb-${alnum(12)}-${alnum(24)}";\n`],
  ["Stripe live key", `const stripe = "sk_live_${alnum(24)}";\n`],
  ["the installation's own model key", `export const apiKey = "${MODEL_KEY}";\n`],
];

const VALID = { "src/health.js": "export const healthy = () => true;\n" };

/** Turn 1: every forbidden write and delete at once; turn 2: the real change; turn 3: finish. */
function hostileImplementer(request: ModelRequest): Reply {
  const turns = request.body.messages.filter((m) => m.role === "assistant").length;
  if (turns === 0) {
    return {
      toolUse: [
        ...FORBIDDEN_PATHS.map(([, path]) => ({
          name: "create",
          input: { path, content: "pwned\n" },
        })),
        { name: "delete", input: { path: "../README.md" } },
        { name: "delete", input: { path: ".git/HEAD" } },
        ...SECRETS.map(([, content], i) => ({
          name: "create",
          input: { path: `src/leak${i}.js`, content },
        })),
        { name: "create", input: { path: `src/${MODEL_KEY}.js`, content: "x\n" } },
      ],
    };
  }
  if (turns === 1) {
    return {
      toolUse: Object.entries(VALID).map(([path, content]) => ({
        name: "create",
        input: { path, content },
      })),
    };
  }
  return {
    toolUse: {
      name: "finish",
      input: { summary: "Added src/health.js.", tasksDone: ["T001"] },
    },
  };
}

let testsOutput: "path" | "secret" | null = null;

beforeAll(async () => {
  h = await startReliabilityHarness({ files: DEMO_REPO_FILES });
  d = journey(h, { maintainer: true });
  // The first task's run is the hostile one; the later tasks run as scripted.
  h.model.respond(implementerOnTask("T001"), hostileImplementer);
  h.model.respond(
    (r) => testsOutput !== null && byTool("submit_tests")(r),
    () => ({
      toolUse: {
        name: "submit_tests",
        input: {
          files:
            testsOutput === "path"
              ? [
                  { path: "../../escape.test.js", content: "test\n", covers: ["FR-001"] },
                  {
                    path: ".github/workflows/tests.yml",
                    content: "on: push\n",
                    covers: ["FR-001"],
                  },
                ]
              : [
                  {
                    path: "test/health.test.js",
                    content: `// key: ${MODEL_KEY}\n`,
                    covers: ["FR-001"],
                  },
                ],
          summary: "Tests.",
        },
      },
    }),
  );
  scriptDemoFeature(h.model);
});
afterAll(async () => {
  if (h) await settle(FILE, h);
  await h?.stop();
});

const everySecret = [
  ...SECRETS.map(([, content]) => content.split('"')[1] ?? content),
  MODEL_KEY,
  PRIVATE_KEY.split("\n")[1] ?? "",
];

describe("the implementer's forbidden writes", () => {
  it("every forbidden path and every secret is refused back to the model; the commit holds only the allowed file", async () => {
    const issue = await d.driveToReviews(undefined, { planIn: "issue" });
    const f = await d.waitStage(issue, "awaiting_merge", 40_000);
    const implementer = h.model.requests.filter((r) =>
      JSON.stringify(r.body ?? "").includes("# Agent: implementer"),
    );
    // The second call carries the results of the first turn's calls, in order.
    const results = toolResults(implementer[1]?.body);
    const attempts = [
      ...FORBIDDEN_PATHS.map(([name]) => `write to a forbidden path: ${name}`),
      "delete outside the repository (..)",
      "delete inside .git",
      ...SECRETS.map(([name]) => `write content with a secret: ${name}`),
      "write a file named after the model key",
    ];
    expect(results).toHaveLength(attempts.length);
    for (const [i, name] of attempts.entries()) {
      const result = results[i];
      const clear = result?.isError === true && /^Refused: .{20,}/s.test(result.text);
      const echoes = everySecret.some(
        (secret) => secret.length > 8 && (result?.text ?? "").includes(secret),
      );
      record({
        kind: "bad_input",
        file: FILE,
        name: `implementer ${name}`,
        rejected: clear && !echoes,
        answer: clear && !echoes ? "message" : "none",
        ...(clear && !echoes ? {} : { detail: result?.text.slice(0, 200) ?? "no result" }),
      });
      expect({ name, clear, echoes }).toEqual({ name, clear: true, echoes: false });
    }

    const code = h.github
      .branchCommits(OWNER, REPO, f.branch ?? "")
      .find((c) => c.message.startsWith("feat(T001):"));
    expect(code?.files.map((x) => x.path)).toEqual(Object.keys(VALID));
    // Nothing outside the allowed change was ever sent to GitHub, on any branch.
    const sent = JSON.stringify(h.github.ledger.map((e) => e.body));
    for (const secret of everySecret) expect(sent.includes(secret)).toBe(false);
    expect(sent).not.toContain("pwned");
    for (const branch of branches(h.github)) {
      const paths = Object.keys(h.github.files(OWNER, REPO, branch));
      expect(
        paths.filter((p) => /(^|\/)\.git\/|workflows|outside|leak|\.env$|\.pem$/i.test(p)),
      ).toEqual([]);
    }
  }, 60_000);

  it("contract tests with a path outside the repository or a workflow: not committed, the feature fails with the reasons", () =>
    refused(
      FILE,
      "contract tests written to forbidden paths, then with the model key",
      async () => {
        testsOutput = "path";
        const issue = await d.openAndApproveBrief("Tests that escape");
        for (const stage of ["spec_ready", "plan_ready"] as const) {
          await d.waitStage(issue, stage);
          await d.say(issue, "/approve");
        }
        const failed = await d.waitStage(issue, "failed", 20_000);
        expect(failed.failureReason).toMatch(
          /contract tests were not committed.*'\.\.'.*workflow/s,
        );
        await waitFor("the failure comment", () =>
          d.botComments(issue).some((c) => c.body.includes("❌")),
        );
        expect(d.botComments(issue).filter((c) => c.body.includes("❌"))).toHaveLength(1);

        testsOutput = "secret";
        await d.say(issue, "/retry");
        await waitFor("the second failure", async () =>
          (await d.feature(issue))?.failureReason?.includes("secret"),
        );
        const again = await d.feature(issue);
        expect(again?.failureReason).toMatch(/looks like it contains a secret/);
        expect(again?.failureReason).not.toContain(MODEL_KEY);
        expect(JSON.stringify(h.github.ledger.map((e) => e.body))).not.toContain(MODEL_KEY);

        testsOutput = null;
        await d.say(issue, "/retry");
        await d.waitStage(issue, "tests_ready", 20_000);
        return "message";
      },
    ));
});
